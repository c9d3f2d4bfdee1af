/**
 * One description of a workspace sandbox — mounts, environment, identity, limits, sockets — that
 * every runtime renders: bwrap-args.ts as bubblewrap arguments, oci-bundle.ts as an OCI bundle for
 * gVisor's runsc. Neither runtime keeps its own copy of the layout.
 *
 * Layout (inside):
 *   /usr, /lib*, /bin, /sbin          read-only system dirs (symlinks on merged-/usr systems)
 *   /etc                              read-only: a few host entries + generated passwd/group/hosts
 *   {node prefix}                     read-only, when node is not under /usr
 *   /opt/coditect/ide                 the built Theia application, read-only
 *   /workspace                        the session's workspace directory, read-write (the only
 *                                       writable host path besides HOME when one is given)
 *   /run/coditect                     the session's run dir (host: {runDir}), READ-ONLY: ide.sock (the
 *                                       IDE tunnel) and api.sock — the server listens, the sandbox dials
 *   /home/coditect                    HOME: a tmpfs, or a bound per-session dir when homeDir is given
 *   /tmp                              private tmpfs (sized by limits.tmpBytes)
 *   /proc, /dev                       the sandbox's own procfs and a minimal /dev
 */
import fs from 'node:fs';
import path from 'node:path';
import type { WorkspaceLimits } from '../workspace-limits.js';
import {
  defaultIdeAppDir,
  ETC_ENTRIES,
  findCli,
  llmClientEnv,
  safeReaddir,
  SANDBOX,
  SANDBOX_CLI,
  SYSTEM_DIRS,
  writeCliLauncher,
  writeSandboxEtc,
} from './sandbox-layout.js';

/** One step of the sandbox's file system, applied in order. */
export type SpecMount =
  /** A host path bound at `target`; `optional`: skipped when the host path is missing. */
  | { kind: 'bind'; source: string; target: string; readonly: boolean; optional?: boolean }
  /** A private, writable in-memory file system. */
  | { kind: 'tmpfs'; target: string; sizeBytes?: number }
  /** A read-only directory that holds only what later steps mount inside it. */
  | { kind: 'ro-dir'; target: string }
  /** A symbolic link `target` -> `linkTo` (merged-/usr systems). */
  | { kind: 'symlink'; target: string; linkTo: string }
  | { kind: 'proc'; target: string }
  | { kind: 'dev'; target: string };

/** Everything a runtime needs to run one workspace. */
export interface WorkspaceSpec {
  sessionId: string;
  hostname: string;
  /** Identity inside (bubblewrap maps it to the server's uid; see oci-bundle.ts for gVisor). */
  uid: number;
  gid: number;
  mounts: SpecMount[];
  /** Working directory inside. */
  cwd: string;
  /** What runs inside (paths as seen inside). */
  argv: string[];
  /** The exact environment inside. */
  env: Record<string, string>;
  limits?: WorkspaceLimits;
  /** RLIMIT_FSIZE of the processes inside, when the runtime applies it itself (gVisor: OCI process.rlimits). */
  fileSizeLimitBytes?: number;
  /** Host path of the run dir ({runRoot}/{sessionId}). */
  runDir: string;
  /** Host paths of the two sockets; the server listens on both, the sandbox only dials them. */
  sockets: {
    ide: { hostPath: string };
    api: { hostPath: string };
  };
}

/** What the caller decides about one workspace; the rest of the spec follows from the layout. */
export interface WorkspaceSpecOptions {
  sessionId: string;
  /** Host path of the session's workspace directory (bound read-write at /workspace). */
  workspaceDir: string;
  /** Host path of the session's run directory (bound at /run/coditect; holds ide.sock, api.sock). */
  runDir: string;
  /** Host path of the built Theia application (packages/ide). Defaults to the repository's packages/ide. */
  ideAppDir?: string;
  /** Host path of a persistent HOME for the session; a tmpfs when omitted. */
  homeDir?: string;
  /** Extra environment for the IDE backend (e.g. CODITECT_API_TOKEN). Only these and the defaults are passed. */
  env?: Record<string, string>;
  /** node executable, default: process.execPath. */
  nodePath?: string;
  /**
   * What runs inside instead of the IDE entry (argv, paths as seen inside). For tests and tools
   * that must run in exactly the workspace's sandbox. Default: node {appDir}/sandbox/ide-relay.mjs.
   */
  entry?: string[];
  /**
   * The built `coditect` CLI (packages/cli with dist/) to put on the sandbox's PATH, bound read-only
   * with its two dependencies (the contract and zod). Default: the repository's; false: none.
   */
  cliDir?: string | false;
  /** CPU, memory, pids and /tmp limits (enforced by each runtime in its own way). */
  limits?: WorkspaceLimits;
  /**
   * RLIMIT_FSIZE inside the sandbox (the storage quota's hard stop), for runtimes that set it
   * themselves: gVisor. (On runsc's host process it would bound the Sentry's own memory file and
   * kill the sandbox; bubblewrap gets it from the confinement wrapper instead.)
   */
  fileSizeLimitBytes?: number;
}

/**
 * Builds the description of one workspace. Creates {runDir}, its generated etc/ and the CLI
 * launcher on the host (the caller creates the workspace dir).
 */
export function buildWorkspaceSpec(opts: WorkspaceSpecOptions): WorkspaceSpec {
  const nodePath = fs.realpathSync(opts.nodePath ?? process.execPath);
  const ideAppDir = path.resolve(opts.ideAppDir ?? defaultIdeAppDir());
  const workspaceDir = path.resolve(opts.workspaceDir);
  const runDir = path.resolve(opts.runDir);
  fs.mkdirSync(runDir, { recursive: true, mode: 0o700 });
  const etcDir = writeSandboxEtc(runDir);
  const mounts: SpecMount[] = [];
  const ro = (source: string, target = source, optional = false) =>
    mounts.push({ kind: 'bind', source, target, readonly: true, ...(optional ? { optional } : {}) });

  for (const dir of SYSTEM_DIRS) {
    let st: fs.Stats;
    try {
      st = fs.lstatSync(dir);
    } catch {
      continue;
    }
    if (st.isSymbolicLink()) mounts.push({ kind: 'symlink', target: dir, linkTo: fs.readlinkSync(dir) });
    else if (st.isDirectory()) ro(dir);
  }
  // node, when it does not live under /usr (nvm, /opt; /usr/local is under /usr already).
  if (!nodePath.startsWith('/usr/')) ro(path.dirname(path.dirname(nodePath)));

  // /etc: read-only, with a few host entries and generated identity files.
  mounts.push({ kind: 'ro-dir', target: '/etc' });
  for (const entry of ETC_ENTRIES) if (fs.existsSync(entry)) ro(entry, entry, true);
  for (const name of ['passwd', 'group', 'hosts', 'hostname']) ro(path.join(etcDir, name), `/etc/${name}`);
  // /etc/profile.d file by file, plus a hook that keeps the CLI on PATH in login shells (the IDE's
  // terminals), whose /etc/profile resets PATH.
  for (const name of safeReaddir('/etc/profile.d')) ro(`/etc/profile.d/${name}`);
  ro(path.join(etcDir, 'profile-coditect.sh'), '/etc/profile.d/zz-coditect.sh');

  mounts.push(
    { kind: 'proc', target: '/proc' },
    { kind: 'dev', target: '/dev' },
    { kind: 'tmpfs', target: '/tmp', ...(opts.limits ? { sizeBytes: opts.limits.tmpBytes } : {}) },
    { kind: 'tmpfs', target: '/run' },
    { kind: 'ro-dir', target: '/opt' },
  );
  ro(ideAppDir, SANDBOX.appDir);
  // Read-only: nothing inside can replace, move or delete the sockets the server listens on.
  mounts.push({ kind: 'bind', source: runDir, target: SANDBOX.runDir, readonly: true });
  // The run dir's etc/ must not be writable from inside.
  ro(etcDir, `${SANDBOX.runDir}/etc`);
  mounts.push({ kind: 'bind', source: workspaceDir, target: SANDBOX.workspaceDir, readonly: false });
  if (opts.homeDir) {
    fs.mkdirSync(opts.homeDir, { recursive: true, mode: 0o700 });
    mounts.push({ kind: 'bind', source: path.resolve(opts.homeDir), target: SANDBOX.homeDir, readonly: false });
  } else {
    mounts.push({ kind: 'tmpfs', target: SANDBOX.homeDir });
  }
  // The coditect CLI, read-only, with a launcher on PATH (the launcher dir is bound over its rw copy).
  const cli = findCli(opts.cliDir);
  if (cli) {
    for (const [from, to] of cli.binds) ro(from, to);
    const binDir = writeCliLauncher(runDir, nodePath, `${SANDBOX_CLI.dir}/dist/main.js`);
    ro(binDir, SANDBOX_CLI.binDir);
    ro(binDir, `${SANDBOX.runDir}/bin`);
  }

  const nodeBinDir = path.dirname(nodePath);
  const pathDirs = ['/usr/local/bin', '/usr/bin', '/bin', '/usr/local/sbin', '/usr/sbin', '/sbin'];
  if (!pathDirs.includes(nodeBinDir)) pathDirs.unshift(nodeBinDir);
  if (cli) pathDirs.push(SANDBOX_CLI.binDir);
  const extraPath = [nodeBinDir, ...(cli ? [SANDBOX_CLI.binDir] : [])].filter((d) => !['/usr/bin', '/bin'].includes(d));
  const apiUrl = `http://127.0.0.1:${SANDBOX.apiPort}`;
  const env: Record<string, string> = {
    PATH: pathDirs.join(':'),
    HOME: SANDBOX.homeDir,
    USER: SANDBOX.user,
    LOGNAME: SANDBOX.user,
    SHELL: '/bin/bash',
    LANG: 'C.UTF-8',
    TERM: 'xterm-256color',
    TMPDIR: '/tmp',
    NODE_ENV: 'production',
    CODITECT_SESSION_ID: opts.sessionId,
    CODITECT_API_URL: apiUrl,
    CODITECT_IDE_APP_DIR: SANDBOX.appDir,
    CODITECT_IDE_PORT: String(SANDBOX.idePort),
    CODITECT_IDE_SOCKET: `${SANDBOX.runDir}/${SANDBOX.ideSocketName}`,
    CODITECT_API_PORT: String(SANDBOX.apiPort),
    CODITECT_API_SOCKET: `${SANDBOX.runDir}/${SANDBOX.apiSocketName}`,
    CODITECT_WORKSPACE_DIR: SANDBOX.workspaceDir,
    ...(extraPath.length ? { CODITECT_EXTRA_PATH: extraPath.join(' ') } : {}),
    ...llmClientEnv(apiUrl, opts.env?.CODITECT_API_TOKEN),
    ...opts.env,
  };

  return {
    sessionId: opts.sessionId,
    hostname: 'coditect',
    uid: SANDBOX.uid,
    gid: SANDBOX.gid,
    mounts,
    cwd: SANDBOX.workspaceDir,
    argv: opts.entry ?? [nodePath, `${SANDBOX.appDir}/sandbox/ide-relay.mjs`],
    env,
    ...(opts.limits ? { limits: opts.limits } : {}),
    ...(opts.fileSizeLimitBytes !== undefined ? { fileSizeLimitBytes: opts.fileSizeLimitBytes } : {}),
    runDir,
    sockets: {
      ide: { hostPath: path.join(runDir, SANDBOX.ideSocketName) },
      api: { hostPath: path.join(runDir, SANDBOX.apiSocketName) },
    },
  };
}
