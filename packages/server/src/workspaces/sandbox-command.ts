/**
 * The commands that run one workspace's IDE backend, one per runtime, all rendered from the same
 * WorkspaceSpec (sandbox/workspace-spec.ts): bubblewrap + seccomp (sandbox/bwrap-args.ts), gVisor's
 * runsc with an OCI bundle (sandbox/oci-bundle.ts, sandbox/runsc.ts), and — for development only —
 * no sandbox at all. The environment is exactly the spec's (spawn with `env` = `command.env`);
 * secrets are never put on the command line.
 */
import { spawn, type ChildProcess, type IOType } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { bwrapSupportsDisableUserns, renderBwrapArgs } from './sandbox/bwrap-args.js';
import { deleteSandbox, killSandbox, prepareRunsc, type RunscPaths } from './sandbox/runsc.js';
import { defaultIdeAppDir, findCli, findOnPath, SANDBOX, writeCliLauncher } from './sandbox/sandbox-layout.js';
import { openSeccompFilterFd } from './sandbox/seccomp/seccomp-filter.js';
import { buildWorkspaceSpec, type WorkspaceSpec, type WorkspaceSpecOptions } from './sandbox/workspace-spec.js';

export {
  defaultIdeAppDir,
  findCli,
  findOnPath,
  llmClientEnv,
  SANDBOX,
  SANDBOX_CLI,
  writeSandboxEtc,
} from './sandbox/sandbox-layout.js';
export type { WorkspaceSpec } from './sandbox/workspace-spec.js';

/** The runtimes a workspace can run on. */
export type WorkspaceRuntime = 'bwrap' | 'gvisor';

/** A workspace's description plus how to run it. */
export interface SandboxCommandOptions extends WorkspaceSpecOptions {
  /** bwrap executable, default: found on PATH. */
  bwrapPath?: string;
  /** Whether bwrap supports --disable-userns (bwrap >= 0.8). Default: probe the version. */
  disableNestedUserns?: boolean;
  /** Apply the seccomp deny list (bwrap --seccomp). Default true; false only for diagnosis. */
  seccomp?: boolean;
}

/** A command ready to spawn, with what its runtime needs around the process. */
export interface SandboxCommand {
  command: string;
  args: string[];
  /** Working directory for spawn (unsandboxed mode only; the runtimes set their own). */
  cwd?: string;
  /** Exact environment to spawn with (bwrap passes it on; runsc takes it from the bundle). */
  env: Record<string, string>;
  /** Host path of the IDE socket (HTTP + WebSocket to the Theia backend). */
  ideSocketPath: string;
  /** Host path where the server should listen for the IDE's API calls. */
  apiSocketPath: string;
  /**
   * Open host fds the child gets as fd 3, 4, … (the seccomp program for `--seccomp 3`). Spawn with
   * spawnSandboxCommand (or put them after stdin/stdout/stderr yourself) and close them after spawn.
   */
  passFds: number[];
  /** Runtimes whose processes are not all in the spawned process group signal them here. */
  kill?: (signal: 'TERM' | 'KILL') => Promise<void>;
  /** Removes what the runtime keeps after the process exited (runsc: the sandbox and its bundle). */
  afterExit?: () => Promise<void>;
}

function apiAndIde(spec: WorkspaceSpec): Pick<SandboxCommand, 'ideSocketPath' | 'apiSocketPath'> {
  return { ideSocketPath: spec.sockets.ide.hostPath, apiSocketPath: spec.sockets.api.hostPath };
}

/**
 * The bubblewrap + seccomp command for one workspace. Creates {runDir} and {runDir}/etc on the host
 * (the caller creates the workspace dir). Throws if bwrap cannot be found.
 */
export function buildSandboxCommand(opts: SandboxCommandOptions): SandboxCommand {
  const bwrap = opts.bwrapPath ?? findOnPath('bwrap');
  if (!bwrap) throw new Error('bubblewrap (bwrap) not found on PATH: install the Debian package "bubblewrap"');
  const spec = buildWorkspaceSpec(opts);
  const passFds: number[] = [];
  // The program goes through an inherited fd (3): bwrap reads it and installs it right before exec.
  if (opts.seccomp !== false) passFds.push(openSeccompFilterFd(spec.runDir));
  const args = renderBwrapArgs(spec, {
    disableNestedUserns: opts.disableNestedUserns ?? bwrapSupportsDisableUserns(bwrap),
    ...(passFds.length ? { seccompFd: 3 } : {}),
  });
  return { command: bwrap, args, env: spec.env, ...apiAndIde(spec), passFds };
}

/**
 * The gVisor command for one workspace: writes its OCI bundle and answers `runsc … run` in the
 * foreground (signals to it reach the sandbox's init); kill and afterExit go through runsc.
 */
export function buildGvisorCommand(opts: SandboxCommandOptions & { runsc: RunscPaths }): SandboxCommand {
  const spec = buildWorkspaceSpec(opts);
  const { args, id } = prepareRunsc(opts.runsc, spec);
  return {
    command: opts.runsc.runscPath,
    args,
    env: spec.env,
    ...apiAndIde(spec),
    passFds: [],
    kill: (signal) => killSandbox(opts.runsc, id, signal),
    afterExit: () => deleteSandbox(opts.runsc, id),
  };
}

/**
 * DEVELOPMENT ONLY: the same IDE entry without any sandbox (server user, files and network).
 * Ports are picked freely (0) since workspaces share the host's loopback.
 */
export function buildUnsandboxedCommand(opts: SandboxCommandOptions): SandboxCommand {
  const nodePath = opts.nodePath ?? process.execPath;
  const ideAppDir = path.resolve(opts.ideAppDir ?? defaultIdeAppDir());
  const runDir = path.resolve(opts.runDir);
  const workspaceDir = path.resolve(opts.workspaceDir);
  fs.mkdirSync(runDir, { recursive: true, mode: 0o700 });
  const homeDir = path.resolve(opts.homeDir ?? path.join(runDir, 'home'));
  fs.mkdirSync(homeDir, { recursive: true, mode: 0o700 });
  const ideSocketPath = path.join(runDir, SANDBOX.ideSocketName);
  const apiSocketPath = path.join(runDir, SANDBOX.apiSocketName);
  const cli = findCli(opts.cliDir);
  const hostPath = process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin';
  // The LLM client variables are derived by the relay once it knows its API port (see ide-relay.mjs).
  return {
    command: nodePath,
    args: [path.join(ideAppDir, 'sandbox/ide-relay.mjs')],
    cwd: workspaceDir,
    env: {
      PATH: cli ? `${hostPath}:${writeCliLauncher(runDir, nodePath, cli.main)}` : hostPath,
      HOME: homeDir,
      SHELL: '/bin/bash',
      LANG: 'C.UTF-8',
      TERM: 'xterm-256color',
      NODE_ENV: 'production',
      CODITECT_SESSION_ID: opts.sessionId,
      CODITECT_IDE_APP_DIR: ideAppDir,
      CODITECT_IDE_PORT: '0',
      CODITECT_IDE_SOCKET: ideSocketPath,
      CODITECT_API_PORT: '0',
      CODITECT_API_SOCKET: apiSocketPath,
      CODITECT_WORKSPACE_DIR: workspaceDir,
      CODITECT_UNSANDBOXED: '1',
      ...opts.env,
    },
    ideSocketPath,
    apiSocketPath,
    passFds: [],
  };
}

/**
 * Spawns a sandbox command with its passed fds as fd 3, 4, … and closes the parent's copies
 * (also when spawning fails). `stdio` gives stdin, stdout and stderr.
 */
export function spawnSandboxCommand(
  cmd: SandboxCommand,
  options: { stdio?: [IOType, IOType, IOType]; detached?: boolean } = {},
): ChildProcess {
  try {
    return spawn(cmd.command, cmd.args, {
      env: cmd.env,
      ...(cmd.cwd ? { cwd: cmd.cwd } : {}),
      stdio: [...(options.stdio ?? ['ignore', 'pipe', 'pipe']), ...cmd.passFds],
      detached: options.detached ?? false,
    });
  } finally {
    for (const fd of cmd.passFds.splice(0)) fs.closeSync(fd);
  }
}
