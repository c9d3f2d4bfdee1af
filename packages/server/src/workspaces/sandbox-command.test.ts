import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildGvisorCommand, buildSandboxCommand, buildUnsandboxedCommand, SANDBOX } from './sandbox-command.js';
import { GVISOR_PIDS_OVERHEAD, type OciConfig } from './sandbox/oci-bundle.js';
import { runscPaths } from './sandbox/runsc.js';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'coditect-cmd-'));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

/** Pairs/triples of a flag in argv, e.g. ['--bind', src, dest]. */
function flagArgs(args: string[], flag: string, n: number): string[][] {
  const out: string[][] = [];
  args.forEach((a, i) => {
    if (a === flag) out.push(args.slice(i + 1, i + 1 + n));
  });
  return out;
}

describe('buildSandboxCommand', () => {
  const ws = path.join(root, 'ws');
  const run = path.join(root, 'run');
  fs.mkdirSync(ws, { recursive: true });
  const cmd = buildSandboxCommand({
    sessionId: 's1',
    workspaceDir: ws,
    runDir: run,
    ideAppDir: '/srv/ide',
    bwrapPath: '/usr/bin/bwrap',
    disableNestedUserns: true,
    env: { CODITECT_API_TOKEN: 'secret-token' },
  });
  const sep = cmd.args.indexOf('--');
  const opts = cmd.args.slice(0, sep);

  it('unshares everything, dies with its parent, drops capabilities', () => {
    expect(opts).toEqual(expect.arrayContaining(['--unshare-all', '--unshare-user', '--die-with-parent', '--disable-userns']));
    expect(flagArgs(opts, '--cap-drop', 1)).toEqual([['ALL']]);
    expect(opts).not.toContain('--share-net');
  });

  it('installs the seccomp filter from an inherited fd (3), unless asked not to', () => {
    expect(flagArgs(opts, '--seccomp', 1)).toEqual([['3']]);
    expect(cmd.passFds).toHaveLength(1);
    const prog = fs.readFileSync(`/proc/self/fd/${cmd.passFds[0]}`);
    expect(prog.length % 8).toBe(0);
    expect(prog.length).toBeGreaterThan(400);
    const off = buildSandboxCommand({ sessionId: 's1', workspaceDir: ws, runDir: run, bwrapPath: '/usr/bin/bwrap', seccomp: false });
    expect(off.args).not.toContain('--seccomp');
    expect(off.passFds).toEqual([]);
    // Nothing of the program stays on disk.
    expect(fs.readdirSync(run).filter(n => n.includes('seccomp'))).toEqual([]);
  });

  it('binds only the workspace read-write; the run dir (the server\'s sockets) read-only', () => {
    expect(flagArgs(opts, '--bind', 2)).toEqual([[ws, SANDBOX.workspaceDir]]);
    expect(flagArgs(opts, '--ro-bind', 2)).toContainEqual([run, SANDBOX.runDir]);
    expect(flagArgs(opts, '--ro-bind', 2)).toContainEqual(['/srv/ide', SANDBOX.appDir]);
    expect(flagArgs(opts, '--tmpfs', 1)).toEqual(expect.arrayContaining([['/tmp'], ['/etc'], [SANDBOX.homeDir]]));
    expect(opts).toContain('--proc');
    expect(opts).toContain('--dev');
    expect(fs.readFileSync(path.join(run, 'etc', 'passwd'), 'utf8')).toContain(`coditect:x:${SANDBOX.uid}`);
  });

  it('runs the IDE entry; secrets go through the environment, never argv', () => {
    expect(cmd.args.slice(sep + 1)).toEqual([fs.realpathSync(process.execPath), `${SANDBOX.appDir}/sandbox/ide-relay.mjs`]);
    expect(cmd.args.join(' ')).not.toContain('secret-token');
    expect(cmd.env.CODITECT_API_TOKEN).toBe('secret-token');
    expect(cmd.env.CODITECT_SESSION_ID).toBe('s1');
    expect(cmd.env.CODITECT_API_URL).toBe(`http://127.0.0.1:${SANDBOX.apiPort}`);
    expect(Object.keys(cmd.env)).not.toContain('CI');
    expect(cmd.ideSocketPath).toBe(path.join(run, 'ide.sock'));
    expect(cmd.apiSocketPath).toBe(path.join(run, 'api.sock'));
  });

  it('a persistent home is bound when given', () => {
    const home = path.join(root, 'home');
    const c = buildSandboxCommand({ sessionId: 's1', workspaceDir: ws, runDir: run, homeDir: home, bwrapPath: '/usr/bin/bwrap', disableNestedUserns: false });
    expect(flagArgs(c.args, '--bind', 2)).toContainEqual([home, SANDBOX.homeDir]);
    expect(c.args).not.toContain('--disable-userns');
  });
});

describe('buildUnsandboxedCommand', () => {
  it('runs the same entry with host paths and free ports', () => {
    const c = buildUnsandboxedCommand({ sessionId: 's1', workspaceDir: path.join(root, 'ws'), runDir: path.join(root, 'run2'), ideAppDir: '/srv/ide' });
    expect(c.args).toEqual(['/srv/ide/sandbox/ide-relay.mjs']);
    expect(c.env.CODITECT_IDE_PORT).toBe('0');
    expect(c.env.CODITECT_UNSANDBOXED).toBe('1');
    expect(c.cwd).toBe(path.join(root, 'ws'));
  });
});

describe('one spec, two renderings', () => {
  const ws = path.join(root, 'ws');
  fs.mkdirSync(ws, { recursive: true });
  const limits = { cpus: 1.5, memoryBytes: 1024 ** 3, swapBytes: 256 * 1024 ** 2, pids: 100, tmpBytes: 64 * 1024 ** 2 };
  const opts = { sessionId: 's2', workspaceDir: ws, runDir: path.join(root, 'run-s2'), ideAppDir: '/srv/ide', cliDir: false as const, limits };
  const bwrap = buildSandboxCommand({ ...opts, bwrapPath: '/usr/bin/bwrap', disableNestedUserns: true, seccomp: false });
  const gvisor = buildGvisorCommand({ ...opts, runsc: runscPaths(path.join(root, 'run-root'), '/usr/bin/runsc') });
  const bundle = path.join(root, 'run-root', '.runsc', 'bundles', 'coditect-s2');
  const config = JSON.parse(fs.readFileSync(path.join(bundle, 'config.json'), 'utf8')) as OciConfig;

  it('the OCI bundle binds the same host paths, with only the workspace writable', () => {
    const ociBinds = config.mounts.filter(m => m.type === 'bind').map(m => [m.source, m.destination, m.options!.includes('ro') ? 'ro' : 'rw']);
    const bwrapBinds = [...flagArgs(bwrap.args, '--ro-bind', 2).map(([s, d]) => [s, d, 'ro']), ...flagArgs(bwrap.args, '--ro-bind-try', 2).filter(([s]) => fs.existsSync(s!)).map(([s, d]) => [s, d, 'ro']),
      ...flagArgs(bwrap.args, '--bind', 2).map(([s, d]) => [s, d, 'rw'])];
    const key = (b: (string | undefined)[]) => `${b[0]}>${b[1]}`;
    expect(ociBinds.map(key).sort()).toEqual(bwrapBinds.map(key).sort());
    // gVisor was asked for a read-only run dir (the server owns its sockets): the workspace is the only rw bind.
    expect(ociBinds.filter(b => b[2] === 'rw')).toEqual([[ws, SANDBOX.workspaceDir, 'rw']]);
    expect(gvisor.args).toEqual(expect.arrayContaining(['--network=none', '--host-uds=open', '--oci-seccomp', 'run']));
    expect(config.root).toEqual({ path: path.join(bundle, 'rootfs'), readonly: true });
    expect(fs.readlinkSync(path.join(bundle, 'rootfs', 'bin'))).toBe(fs.readlinkSync('/bin'));
    expect(fs.statSync(path.join(bundle, 'config.json')).mode & 0o777).toBe(0o600);
  });

  it('limits become linux.resources, the /tmp size, and bwrap --size', () => {
    expect(config.linux.resources).toEqual({
      memory: { limit: 1024 ** 3, swap: 1024 ** 3 + 256 * 1024 ** 2 },
      cpu: { quota: 150_000, period: 100_000 },
      pids: { limit: 100 + GVISOR_PIDS_OVERHEAD },
    });
    expect(config.linux.cgroupsPath).toBe('/coditect/gvisor-s2');
    expect(config.mounts.find(m => m.destination === '/tmp')!.options).toContain(`size=${64 * 1024 ** 2}`);
    const i = bwrap.args.indexOf('--size');
    expect(bwrap.args.slice(i, i + 4)).toEqual(['--size', String(64 * 1024 ** 2), '--tmpfs', '/tmp']);
  });

  it('the same process: argv, environment, working directory, no capabilities', () => {
    expect(config.process.args).toEqual(bwrap.args.slice(bwrap.args.indexOf('--') + 1));
    expect(Object.fromEntries(config.process.env.map(e => [e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1)]))).toEqual(bwrap.env);
    expect(config.process.cwd).toBe(SANDBOX.workspaceDir);
    expect(config.process.capabilities.effective).toEqual([]);
    expect(config.process.noNewPrivileges).toBe(true);
    expect(config.linux.namespaces.map(n => n.type)).toEqual(['pid', 'ipc', 'uts', 'mount', 'network']);
    expect(config.linux.seccomp!.syscalls[0]!.names).toEqual(expect.arrayContaining(['keyctl', 'bpf', 'mount', 'unshare']));
  });
});
