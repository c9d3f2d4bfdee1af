/**
 * The fixed layout of a workspace sandbox, shared by every runtime: paths and ports inside, the
 * host system directories and /etc entries it sees, the generated identity files, the `coditect`
 * CLI and the LLM client environment.
 */
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

const here = path.dirname(fileURLToPath(import.meta.url));

/** The repository's packages/ide, found from this file (src/ or dist/ of packages/server). */
export function defaultIdeAppDir(): string {
  return path.resolve(here, '../../../../ide');
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
export const SYSTEM_DIRS = ['/usr', '/bin', '/sbin', '/lib', '/lib32', '/lib64', '/libx32'];

/** Read-only files and dirs from /etc the tools inside need (dynamic linker, TLS roots, shells, locale, alternatives). */
export const ETC_ENTRIES = [
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

/** Entries of `dir`, or none when it cannot be read. */
export function safeReaddir(dir: string): string[] {
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

/** Where the CLI is inside the sandbox: /opt/coditect/cli (a node package) and /opt/coditect/bin/coditect. */
export const SANDBOX_CLI = { dir: '/opt/coditect/cli', binDir: '/opt/coditect/bin' } as const;

/** Where the built CLI comes from on the host and goes to in the sandbox. */
export interface CliLayout {
  /** host path -> sandbox path, read-only binds */
  binds: [string, string][];
  /** host path of packages/cli/dist/main.js */
  main: string;
}

/** The built CLI and what it imports (host paths), or undefined when the CLI has not been built. */
export function findCli(cliDir: string | false | undefined): CliLayout | undefined {
  if (cliDir === false) return undefined;
  const dir = path.resolve(cliDir ?? path.resolve(here, '../../../../cli'));
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
export function writeCliLauncher(runDir: string, nodePath: string, main: string): string {
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
