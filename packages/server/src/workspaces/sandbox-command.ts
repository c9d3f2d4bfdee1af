/**
 * Builds the bubblewrap (bwrap) command line that runs one workspace's IDE backend.
 *
 * Sandbox layout (inside):
 *   /usr, /lib*, /bin, /sbin          read-only system dirs (symlinks on merged-/usr systems)
 *   /etc                              a minimal set of read-only files + generated passwd/group/hosts
 *   {node prefix}                     read-only, when node is not under /usr
 *   /opt/coditect/ide                 the built Theia application, read-only
 *   /workspace                        the session's workspace directory, read-write
 *   /run/coditect                     the session's run dir (host: {runDir}), READ-ONLY: nothing inside
 *                                     can replace, move or delete what the server connects through
 *                                       ide.sock  <- the server listens, the relay dials out (IDE tunnel)
 *                                       api.sock  <- the server listens, the IDE calls the API here
 *   /home/coditect                    HOME: a tmpfs, or a bound per-session dir when homeDir is given
 *   /tmp                              private tmpfs
 *   /proc, /dev                       a fresh procfs for the new pid namespace, a minimal /dev
 * Namespaces: all unshared (user, ipc, pid, net, uts, cgroup): the network namespace holds only
 * its own loopback, so the sandbox reaches nothing on the host except through the two sockets.
 * Environment: the process gets exactly the env built here (spawn it with `env` = `command.env`),
 * secrets are never put on the command line.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Fixed paths and ports inside the sandbox. */
export const SANDBOX = {
  workspaceDir: '/workspace',
  appDir: '/opt/coditect/ide',
  runDir: '/run/coditect',
  homeDir: '/home/coditect',
  user: 'coditect',
  uid: 1000,
  gid: 1000,
  /** Theia listens here on the sandbox's private loopback. */
  idePort: 3000,
  /** The relay listens here on the sandbox's private loopback and forwards to {runDir}/api.sock. */
  apiPort: 3001,
  ideSocketName: 'ide.sock',
  apiSocketName: 'api.sock',
} as const;

export interface SandboxCommandOptions {
  sessionId: string;
  /** Host path of the session's workspace directory (bound read-write at /workspace). */
  workspaceDir: string;
  /** Host path of the session's run directory (bound read-only at /run/coditect; holds ide.sock, api.sock). */
  runDir: string;
  /** Host path of the built Theia application (packages/ide). Defaults to the repository's packages/ide. */
  ideAppDir?: string;
  /** Host path of a persistent HOME for the session; a tmpfs when omitted. */
  homeDir?: string;
  /** Extra environment for the IDE backend (e.g. CODITECT_API_TOKEN). Only these and the defaults are passed. */
  env?: Record<string, string>;
  /** bwrap executable, default: found on PATH. */
  bwrapPath?: string;
  /** node executable, default: process.execPath. */
  nodePath?: string;
  /**
   * What runs inside instead of the IDE entry (argv, paths as seen inside). For tests and tools
   * that must run in exactly the workspace's sandbox. Default: node {appDir}/sandbox/ide-relay.mjs.
   */
  entry?: string[];
  /** Whether bwrap supports --disable-userns (bwrap >= 0.8). Default: probe the version. */
  disableNestedUserns?: boolean;
  /**
   * The built `coditect` CLI (packages/cli with dist/) to put on the sandbox's PATH, bound read-only
   * with its two dependencies (the contract and zod). Default: the repository's; false: none.
   */
  cliDir?: string | false;
}

export interface SandboxCommand {
  command: string;
  args: string[];
  /** Working directory for spawn (unsandboxed mode only; bwrap sets its own with --chdir). */
  cwd?: string;
  /** Exact environment to spawn bwrap with (bwrap passes it to the sandboxed process). */
  env: Record<string, string>;
  /** Host path of the IDE tunnel socket (the server listens, the relay dials out). */
  ideSocketPath: string;
  /** Host path where the server should listen for the IDE's API calls. */
  apiSocketPath: string;
}

const here = path.dirname(fileURLToPath(import.meta.url));

/** The repository's packages/ide, found from this file (src/ or dist/ of packages/server). */
export function defaultIdeAppDir(): string {
  return path.resolve(here, '../../../ide');
}

/** First executable named `name` on PATH, or undefined. */
export function findOnPath(name: string, envPath = process.env.PATH ?? ''): string | undefined {
  for (const dir of envPath.split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, name);
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** Host directories that are bound read-only if they exist. Symlinks (merged /usr) are recreated as symlinks. */
const SYSTEM_DIRS = ['/usr', '/bin', '/sbin', '/lib', '/lib32', '/lib64', '/libx32'];

/** Read-only files and dirs from /etc the tools inside need (dynamic linker, TLS roots, shells, locale, alternatives). */
const ETC_ENTRIES = [
  '/etc/ld.so.cache',
  '/etc/ld.so.conf',
  '/etc/ld.so.conf.d',
  '/etc/alternatives',
  '/etc/ssl',
  '/etc/ca-certificates',
  '/etc/localtime',
  '/etc/timezone',
  '/etc/nsswitch.conf',
  '/etc/bash.bashrc',
  '/etc/profile',
  '/etc/inputrc',
  '/etc/terminfo',
  '/etc/mime.types',
  '/etc/gitconfig',
  '/etc/vim',
  '/etc/nanorc',
  '/etc/os-release',
  '/etc/debian_version',
  '/etc/shells',
];

function safeReaddir(dir: string): string[] {
  try {
    return fs.readdirSync(dir);
  } catch {
    return [];
  }
}

/** Writes passwd/group/hosts/hostname for the sandbox user into {runDir}/etc (host side). */
export function writeSandboxEtc(runDir: string): string {
  const etcDir = path.join(runDir, 'etc');
  fs.mkdirSync(etcDir, { recursive: true, mode: 0o755 });
  const { user, uid, gid, homeDir } = SANDBOX;
  fs.writeFileSync(
    path.join(etcDir, 'passwd'),
    `root:x:0:0:root:/root:/usr/sbin/nologin\n${user}:x:${uid}:${gid}:Coditect:${homeDir}:/bin/bash\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n`,
  );
  fs.writeFileSync(path.join(etcDir, 'group'), `root:x:0:\n${user}:x:${gid}:\nnogroup:x:65534:\n`);
  fs.writeFileSync(path.join(etcDir, 'hosts'), '127.0.0.1 localhost coditect\n::1 localhost ip6-localhost ip6-loopback\n');
  fs.writeFileSync(path.join(etcDir, 'hostname'), 'coditect\n');
  fs.writeFileSync(path.join(etcDir, 'profile-coditect.sh'),
    '# Coditect: the node binary and the coditect CLI stay on PATH in login shells\n'
    + 'for d in ${CODITECT_EXTRA_PATH:-}; do case ":$PATH:" in *":$d:"*) ;; *) PATH="$PATH:$d" ;; esac; done\nexport PATH\n');
  return etcDir;
}

let bwrapVersionCache: { path: string; supportsDisableUserns: boolean } | undefined;

function probeDisableUserns(bwrapPath: string): boolean {
  if (bwrapVersionCache?.path === bwrapPath) return bwrapVersionCache.supportsDisableUserns;
  // --disable-userns arrived in bubblewrap 0.8.0.
  let supports = false;
  try {
    const out = execFileSyncText(bwrapPath, ['--version']);
    const m = /(\d+)\.(\d+)\.(\d+)/.exec(out);
    if (m) {
      const major = Number(m[1]);
      const minor = Number(m[2]);
      supports = major > 0 || minor >= 8;
    }
  } catch {
    supports = false;
  }
  bwrapVersionCache = { path: bwrapPath, supportsDisableUserns: supports };
  return supports;
}

function execFileSyncText(cmd: string, args: string[]): string {
  return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 5000 });
}

/** Where the CLI is inside the sandbox: /opt/coditect/cli (a node package) and /opt/coditect/bin/coditect. */
export const SANDBOX_CLI = { dir: '/opt/coditect/cli', binDir: '/opt/coditect/bin' } as const;

interface CliLayout {
  /** host path -> sandbox path, read-only binds */
  binds: [string, string][];
  /** host path of packages/cli/dist/main.js */
  main: string;
}

/** The built CLI and what it imports (host paths), or undefined when the CLI has not been built. */
export function findCli(cliDir: string | false | undefined): CliLayout | undefined {
  if (cliDir === false) return undefined;
  const dir = path.resolve(cliDir ?? path.resolve(here, '../../../cli'));
  const main = path.join(dir, 'dist', 'main.js');
  if (!fs.existsSync(main)) return undefined;
  // The packages' exports do not all expose package.json: look them up in node_modules directly.
  const findPackage = (from: string, name: string): string => {
    for (let d = from; ; d = path.dirname(d)) {
      const candidate = path.join(d, 'node_modules', name);
      if (fs.existsSync(path.join(candidate, 'package.json'))) return fs.realpathSync(candidate);
      if (path.dirname(d) === d) throw new Error(`${name} not found from ${from}`);
    }
  };
  try {
    const contractDir = findPackage(dir, '@coditect/contract');
    const zodDir = findPackage(contractDir, 'zod');
    const nm = `${SANDBOX_CLI.dir}/node_modules`;
    return {
      main,
      binds: [
        [path.join(dir, 'package.json'), `${SANDBOX_CLI.dir}/package.json`],
        [path.join(dir, 'dist'), `${SANDBOX_CLI.dir}/dist`],
        [path.join(contractDir, 'package.json'), `${nm}/@coditect/contract/package.json`],
        [path.join(contractDir, 'dist'), `${nm}/@coditect/contract/dist`],
        [fs.realpathSync(zodDir), `${nm}/zod`],
      ],
    };
  } catch {
    return undefined;
  }
}

/** Writes {runDir}/bin/coditect, a launcher for the CLI at `main` (a path as seen by whoever runs it). */
function writeCliLauncher(runDir: string, nodePath: string, main: string): string {
  const binDir = path.join(runDir, 'bin');
  fs.mkdirSync(binDir, { recursive: true, mode: 0o755 });
  fs.writeFileSync(path.join(binDir, 'coditect'), `#!/bin/sh\nexec ${JSON.stringify(nodePath)} ${JSON.stringify(main)} "$@"\n`, { mode: 0o755 });
  fs.chmodSync(path.join(binDir, 'coditect'), 0o755);
  return binDir;
}

/**
 * The environment that routes LLM CLIs (Claude Code, Codex, aider, OpenAI/Anthropic SDKs) through
 * the gateway with the workspace's own token, given the API URL as seen inside the workspace.
 * No provider key ever enters the workspace: the token is valid only through the workspace's
 * socket while it runs.
 */
export function llmClientEnv(apiUrl: string, token: string | undefined): Record<string, string> {
  if (!token) return {};
  const llm = `${apiUrl.replace(/\/+$/, '')}/api/v5/llm`;
  return {
    ANTHROPIC_BASE_URL: `${llm}/anthropic`,
    ANTHROPIC_AUTH_TOKEN: token,
    ANTHROPIC_API_KEY: token,
    OPENAI_BASE_URL: `${llm}/openai/v1`,
    OPENAI_API_BASE: `${llm}/openai/v1`,
    OPENAI_API_KEY: token,
    CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
  };
}

/**
 * Builds the bwrap argv and env for one workspace. Creates {runDir} and {runDir}/etc on the host
 * (the caller creates the workspace dir). Throws if bwrap cannot be found.
 */
export function buildSandboxCommand(opts: SandboxCommandOptions): SandboxCommand {
  const bwrap = opts.bwrapPath ?? findOnPath('bwrap');
  if (!bwrap) throw new Error('bubblewrap (bwrap) not found on PATH: install the Debian package "bubblewrap"');
  const nodePath = fs.realpathSync(opts.nodePath ?? process.execPath);
  const ideAppDir = path.resolve(opts.ideAppDir ?? defaultIdeAppDir());
  const workspaceDir = path.resolve(opts.workspaceDir);
  const runDir = path.resolve(opts.runDir);
  fs.mkdirSync(runDir, { recursive: true, mode: 0o700 });
  const etcDir = writeSandboxEtc(runDir);

  const args: string[] = [
    '--unshare-all',
    '--unshare-user',
    '--uid', String(SANDBOX.uid),
    '--gid', String(SANDBOX.gid),
    '--hostname', 'coditect',
    '--die-with-parent',
    '--cap-drop', 'ALL',
  ];
  if (opts.disableNestedUserns ?? probeDisableUserns(bwrap)) {
    // No nested user namespaces: closes a class of kernel attack surface from inside.
    args.push('--disable-userns');
  }

  for (const dir of SYSTEM_DIRS) {
    let st: fs.Stats;
    try {
      st = fs.lstatSync(dir);
    } catch {
      continue;
    }
    if (st.isSymbolicLink()) args.push('--symlink', fs.readlinkSync(dir), dir);
    else if (st.isDirectory()) args.push('--ro-bind', dir, dir);
  }

  // node, when it does not live under /usr (nvm, /opt, /usr/local is under /usr already).
  const nodePrefix = path.dirname(path.dirname(nodePath));
  if (!nodePath.startsWith('/usr/')) args.push('--ro-bind', nodePrefix, nodePrefix);

  // Minimal /etc: a tmpfs with a few read-only host entries and generated identity files.
  args.push('--tmpfs', '/etc');
  for (const entry of ETC_ENTRIES) args.push('--ro-bind-try', entry, entry);
  for (const name of ['passwd', 'group', 'hosts', 'hostname']) {
    args.push('--ro-bind', path.join(etcDir, name), `/etc/${name}`);
  }
  // /etc/profile.d file by file, plus a hook that keeps the CLI on PATH in login shells (the IDE's
  // terminals), whose /etc/profile resets PATH.
  args.push('--dir', '/etc/profile.d');
  for (const name of safeReaddir('/etc/profile.d')) args.push('--ro-bind', `/etc/profile.d/${name}`, `/etc/profile.d/${name}`);
  args.push('--ro-bind', path.join(etcDir, 'profile-coditect.sh'), '/etc/profile.d/zz-coditect.sh');
  args.push('--remount-ro', '/etc');

  args.push(
    '--proc', '/proc',
    '--dev', '/dev',
    '--tmpfs', '/tmp',
    '--tmpfs', '/run',
    '--tmpfs', '/opt',
    '--ro-bind', ideAppDir, SANDBOX.appDir,
    // Read-only: the sockets the server listens on here cannot be replaced from inside.
    '--ro-bind', runDir, SANDBOX.runDir,
    '--ro-bind', etcDir, `${SANDBOX.runDir}/etc`,
    '--bind', workspaceDir, SANDBOX.workspaceDir,
  );
  if (opts.homeDir) {
    fs.mkdirSync(opts.homeDir, { recursive: true, mode: 0o700 });
    args.push('--bind', path.resolve(opts.homeDir), SANDBOX.homeDir);
  } else {
    args.push('--tmpfs', SANDBOX.homeDir);
  }
  // The coditect CLI, read-only, with a launcher on PATH (the launcher dir is bound over its rw copy).
  const cli = findCli(opts.cliDir);
  if (cli) {
    for (const [from, to] of cli.binds) args.push('--ro-bind', from, to);
    const binDir = writeCliLauncher(runDir, nodePath, `${SANDBOX_CLI.dir}/dist/main.js`);
    args.push('--ro-bind', binDir, SANDBOX_CLI.binDir, '--ro-bind', binDir, `${SANDBOX.runDir}/bin`);
  }
  args.push('--chdir', SANDBOX.workspaceDir);

  const entry = opts.entry ?? [nodePath, `${SANDBOX.appDir}/sandbox/ide-relay.mjs`];
  args.push('--', ...entry);

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
    command: bwrap,
    args,
    env,
    ideSocketPath: path.join(runDir, SANDBOX.ideSocketName),
    apiSocketPath: path.join(runDir, SANDBOX.apiSocketName),
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
  };
}
