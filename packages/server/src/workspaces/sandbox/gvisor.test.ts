/**
 * Workspaces on gVisor (real runsc, real Theia): the syscall surface and development work from
 * inside, the IDE end to end through its socket, a broken runtime, and the clean-up of sandboxes a
 * killed server left behind. Skipped loudly without a working runsc (failing under CI=true).
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildGvisorCommand, spawnSandboxCommand } from '../sandbox-command.js';
import { ensureIdeBuilt, httpGetSocket } from '../test-support.js';
import { WorkspaceRunner, WorkspaceRuntimeUnavailableError } from '../workspace-runner.js';
import { GVISOR_PIDS_OVERHEAD } from './oci-bundle.js';
import { containerId, listSandboxes, runscPaths, runscSelfTest } from './runsc.js';
import { findOnPath } from './sandbox-layout.js';
import { installProbe, runProbe, type ProbeResult } from './syscall-probe.js';

const runscPath = findOnPath('runsc');
const check = runscPath ? await runscSelfTest(runscPath) : { ok: false, reason: 'runsc is not installed (apt-get install runsc)' };
if (!check.ok) {
  const msg = `GVISOR TESTS SKIPPED: ${check.reason}`;
  if (process.env.CI === 'true') throw new Error(`${msg} (CI=true: failing instead of skipping)`);
  console.warn(`\n*** ${msg} ***\n`);
}

describe.skipIf(!check.ok)('workspaces on gVisor', () => {
  let root: string;
  let probe: ProbeResult;

  beforeAll(async () => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'coditect-gv-'));
    const ws = path.join(root, 'ws-probe');
    fs.mkdirSync(ws);
    const cmd = buildGvisorCommand({
      sessionId: 'probe', workspaceDir: ws, runDir: path.join(root, 'run', 'probe'), cliDir: false, entry: installProbe(ws),
      runsc: runscPaths(path.join(root, 'run'), runscPath!),
    });
    try {
      probe = await runProbe(cmd);
    } finally {
      await cmd.afterExit?.();
    }
    if (process.env.CODITECT_TEST_VERBOSE) console.log(JSON.stringify(probe, null, 1));
  }, 120_000);

  afterAll(() => {
    if (root) fs.rmSync(root, { recursive: true, force: true });
  });

  it("the kernel seen inside is gVisor's, with the deny list applied by it", () => {
    // gVisor's fixed identity, not the host's kernel.
    expect(probe.dev.uname).toMatch(/^Linux coditect 4\.4\.0 #1 SMP Sun Jan 10 15:06:54 PST 2016 /);
    expect(probe.dev.uname).not.toContain(os.release());
    // syslog is on the deny list (gVisor's own dmesg would say "Starting gVisor...").
    expect(probe.dev.dmesg).toMatch(/Operation not permitted/);
    expect(probe.seccomp).toBe('2');
  });

  it('every denied call answers EPERM or ENOSYS', () => {
    const refused = Object.entries(probe.calls).filter(([, r]) => r === 'EPERM' || r === 'ENOSYS').map(([n]) => n);
    expect(refused).toEqual(Object.keys(probe.calls));
    expect(probe.calls).toMatchObject({ keyctl: 'EPERM', bpf: 'EPERM', io_uring_setup: 'EPERM', unshare: 'EPERM', 'clone(CLONE_NEWUTS)': 'EPERM', clone3: 'ENOSYS' });
  });

  it('development still works: ptrace of a child, pty, inotify, node, npm, git, python', () => {
    expect(probe.dev).toMatchObject({ ptrace: 'ok', pty: 'ok', inotify: 'ok', node: '42', python: 'py-ok', git: 'first' });
    expect(probe.dev.npm).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it('the IDE opens: Theia answers through the socket; stop deletes the sandbox', async () => {
    await ensureIdeBuilt();
    const runRoot = path.join(root, 'run-ide');
    const runner = new WorkspaceRunner({ runRoot, reapIntervalMs: 0, runtime: 'gvisor', runscPath: runscPath! });
    try {
      expect(await runner.runtime()).toMatchObject({ runtime: 'gvisor', ok: true });
      const ws = path.join(root, 'ws-ide');
      fs.mkdirSync(ws);
      const p = await runner.ensureRunning('ide-1', { workspaceDir: ws });
      if (process.env.CODITECT_TEST_VERBOSE) console.log(`gVisor IDE ready in ${p.readyMs} ms`);
      const res = await httpGetSocket(runner.tunnel('ide-1')!, '/');
      expect(res.status).toBe(200);
      expect(res.body).toContain('<title>Coditect</title>');
      expect((await httpGetSocket(runner.tunnel('ide-1')!, '/bundle.js')).status).toBe(200);
      const paths = runscPaths(runRoot, runscPath!);
      expect(await listSandboxes(paths)).toEqual([containerId('ide-1')]);
      await runner.stop('ide-1');
      expect(await listSandboxes(paths)).toEqual([]);
    } finally {
      await runner.stopAll();
    }
  }, 180_000);

  it("the storage quota's file size limit holds inside; the sandbox itself is not bound by it", async () => {
    // Inside: RLIMIT_FSIZE from the bundle (python ignores SIGXFSZ and sees EFBIG).
    const ws = path.join(root, 'ws-fsize');
    fs.mkdirSync(ws);
    const write = `
import errno
def w(name, n):
    try:
        open('/workspace/' + name, 'wb').write(b'x' * n); return 'ok'
    except OSError as e:
        return errno.errorcode[e.errno]
print(w('small', 1000), w('big', 3 * 1024 * 1024))`;
    const cmd = buildGvisorCommand({
      sessionId: 'fsize', workspaceDir: ws, runDir: path.join(root, 'run', 'fsize'), cliDir: false, fileSizeLimitBytes: 1024 * 1024,
      entry: ['/usr/bin/python3', '-c', write], runsc: runscPaths(path.join(root, 'run'), runscPath!),
    });
    const out = await new Promise<string>((resolve, reject) => {
      const child = spawnSandboxCommand(cmd);
      let text = '';
      child.stdout!.on('data', (d) => (text += d));
      child.on('error', reject);
      child.on('exit', () => resolve(text));
    }).finally(() => cmd.afterExit?.());
    expect(out.trim()).toBe('ok EFBIG');
    expect(fs.statSync(path.join(ws, 'big')).size).toBeLessThanOrEqual(1024 * 1024);

    // The IDE behind a small limit starts (on runsc's own process the limit bounded the Sentry's
    // memory file and killed the sandbox with 137).
    await ensureIdeBuilt();
    const runner = new WorkspaceRunner({ runRoot: path.join(root, 'run-fsize'), reapIntervalMs: 0, runtime: 'gvisor', runscPath: runscPath! });
    try {
      const wsIde = path.join(root, 'ws-fsize-ide');
      fs.mkdirSync(wsIde);
      await runner.ensureRunning('fsize-ide', { workspaceDir: wsIde, fileSizeLimitBytes: 64 * 1024 * 1024 });
      expect((await httpGetSocket(runner.tunnel('fsize-ide')!, '/')).status).toBe(200);
    } finally {
      await runner.stopAll();
    }
  }, 180_000);

  it('gvisor asked for but broken: workspace_runtime_unavailable naming it, no fallback; auto falls back', async () => {
    const broken = new WorkspaceRunner({ runRoot: path.join(root, 'run-broken'), reapIntervalMs: 0, runtime: 'gvisor', runscPath: '/bin/false' });
    const err = await broken.ensureRunning('b1', { workspaceDir: path.join(root, 'ws-b1') }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkspaceRuntimeUnavailableError);
    expect((err as WorkspaceRuntimeUnavailableError).code).toBe('workspace_runtime_unavailable');
    expect((err as Error).message).toMatch(/gvisor runtime is unavailable: runsc cannot start a sandbox/);
    expect(broken.status('b1')).toBe('stopped');
    const auto = new WorkspaceRunner({ runRoot: path.join(root, 'run-auto'), reapIntervalMs: 0, runtime: 'auto', runscPath: '/bin/false' });
    expect(await auto.runtime()).toMatchObject({ runtime: 'bwrap', ok: true });
    expect((await auto.runtime()).reason).toContain('runsc cannot start a sandbox');
  }, 60_000);

  it('issue-12 containment holds: only its workspace, no host files, network or environment', async () => {
    const dataDir = path.join(root, 'data');
    const wsA = path.join(dataDir, 'ws-a');
    const wsB = path.join(dataDir, 'ws-b');
    fs.mkdirSync(wsA, { recursive: true });
    fs.mkdirSync(wsB, { recursive: true });
    fs.writeFileSync(path.join(wsA, 'hello.txt'), 'hello from A\n');
    fs.writeFileSync(path.join(wsB, 'secret.txt'), 'SENTINEL-B\n');
    fs.writeFileSync(path.join(dataDir, 'coditect.db'), 'SENTINEL-DB\n');
    const hostServer = net.createServer((c) => c.end('HOST-SERVICE\n'));
    await new Promise<void>((r) => hostServer.listen(0, '127.0.0.1', r));
    const hostPort = (hostServer.address() as net.AddressInfo).port;
    process.env.CODITECT_TEST_HOST_SECRET = 'host-secret-gv';
    const attack = `
      const fs = require('fs'), net = require('net');
      const out = {};
      const tryRead = p => { try { return 'READ:' + fs.readFileSync(p, 'utf8').slice(0, 40); } catch (e) { return e.code; } };
      const tryWrite = p => { try { fs.writeFileSync(p, 'x'); return 'WROTE'; } catch (e) { return e.code; } };
      out.own = tryRead('/workspace/hello.txt');
      out.ownWrite = tryWrite('/workspace/new.txt');
      out.otherWs = tryRead(${JSON.stringify(path.join(wsB, 'secret.txt'))});
      out.db = tryRead(${JSON.stringify(path.join(dataDir, 'coditect.db'))});
      out.work = fs.existsSync('/work') ? 'EXISTS' : 'ENOENT';
      out.rootHome = fs.existsSync('/root') ? 'EXISTS' : 'ENOENT';
      out.writeUsr = tryWrite('/usr/pwned');
      out.writeEtc = tryWrite('/etc/pwned');
      out.writeApp = tryWrite('/opt/coditect/ide/pwned');
      out.writeRoot = tryWrite('/pwned');
      out.env = JSON.stringify(process.env).includes('host-secret-gv') ? 'LEAK' : 'clean';
      const conn = (o) => new Promise(r => { const s = net.connect(o); const t = setTimeout(() => { s.destroy(); r('TIMEOUT'); }, 3000);
        s.on('connect', () => { clearTimeout(t); s.destroy(); r('CONNECTED'); }); s.on('error', e => { clearTimeout(t); r(e.code); }); });
      (async () => {
        out.hostTcp = await conn({ host: '127.0.0.1', port: ${hostPort} });
        out.hostIp = await conn({ host: ${JSON.stringify(nonLoopbackIp() ?? '127.0.0.2')}, port: ${hostPort} });
        console.log(JSON.stringify(out));
      })();
    `;
    const cmd = buildGvisorCommand({
      sessionId: 'attacker', workspaceDir: wsA, runDir: path.join(root, 'run', 'attacker'), cliDir: false,
      entry: [process.execPath, '-e', attack], runsc: runscPaths(path.join(root, 'run'), runscPath!),
    });
    let stdout = '';
    try {
      stdout = await new Promise<string>((resolve, reject) => {
        const child = spawn(cmd.command, cmd.args, { env: cmd.env, stdio: ['ignore', 'pipe', 'pipe'] });
        let o = '';
        let e = '';
        child.stdout.on('data', (d) => (o += d));
        child.stderr.on('data', (d) => (e += d));
        child.on('exit', (code) => (code === 0 ? resolve(o) : reject(new Error(`attacker exited ${code}: ${e}`))));
      });
    } finally {
      await cmd.afterExit?.();
      hostServer.close();
      delete process.env.CODITECT_TEST_HOST_SECRET;
    }
    const out = JSON.parse(stdout.trim().split('\n').pop()!) as Record<string, string>;
    expect(out).toMatchObject({ own: 'READ:hello from A\n', ownWrite: 'WROTE', otherWs: 'ENOENT', db: 'ENOENT', work: 'ENOENT', rootHome: 'ENOENT', env: 'clean' });
    expect(fs.readFileSync(path.join(wsA, 'new.txt'), 'utf8')).toBe('x');
    for (const k of ['writeUsr', 'writeEtc', 'writeApp', 'writeRoot']) expect(out[k], k).toMatch(/EROFS|EACCES/);
    expect(out.hostTcp).toBe('ECONNREFUSED');
    expect(out.hostIp).not.toBe('CONNECTED');
  }, 60_000);

  it('limits: the host cgroup carries them, and memory beyond the limit ends the sandbox', async () => {
    const ws = path.join(root, 'ws-limits');
    fs.mkdirSync(ws);
    const limits = { cpus: 0.5, memoryBytes: 256 * 1024 ** 2, swapBytes: 0, pids: 64, tmpBytes: 32 * 1024 ** 2 };
    const alloc = 'b = bytearray(1 << 30); b[::4096] = b"x" * len(b[::4096]); print("ALLOCATED")';
    const cmd = buildGvisorCommand({
      sessionId: 'limits', workspaceDir: ws, runDir: path.join(root, 'run', 'limits'), cliDir: false, limits,
      entry: ['/bin/sh', '-c', `sleep 2; /usr/bin/python3 -c '${alloc}'`], runsc: runscPaths(path.join(root, 'run'), runscPath!),
    });
    const child = spawn(cmd.command, cmd.args, { env: cmd.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    const cg = (ctl: string, file: string) => `/sys/fs/cgroup/${ctl}/coditect/gvisor-limits/${file}`;
    await expect.poll(() => fs.existsSync(cg('memory', 'memory.limit_in_bytes')), { timeout: 10_000 }).toBe(true);
    expect(Number(fs.readFileSync(cg('memory', 'memory.limit_in_bytes'), 'utf8'))).toBe(limits.memoryBytes);
    expect(Number(fs.readFileSync(cg('cpu', 'cpu.cfs_quota_us'), 'utf8'))).toBe(50_000);
    expect(Number(fs.readFileSync(cg('pids', 'pids.max'), 'utf8'))).toBe(limits.pids + GVISOR_PIDS_OVERHEAD);
    const code = await exited;
    await cmd.afterExit?.();
    expect(out).not.toContain('ALLOCATED');
    expect(code).toBe(137);
  }, 60_000);

  it("a killed server's leftover sandbox is deleted when the next runner starts", async () => {
    const runRoot = path.join(root, 'run-crash');
    const ws = path.join(root, 'ws-crash');
    fs.mkdirSync(ws);
    const paths = runscPaths(runRoot, runscPath!);
    const cmd = buildGvisorCommand({ sessionId: 'orphan', workspaceDir: ws, runDir: path.join(runRoot, 'orphan'), cliDir: false, entry: ['/bin/sleep', '600'], runsc: paths });
    // As a crashed server would leave it: runsc's foreground process SIGKILLed, the sandbox still there.
    const child = spawn(cmd.command, cmd.args, { stdio: 'ignore', detached: true });
    await expect.poll(async () => (await listSandboxes(paths)).length, { timeout: 30_000 }).toBe(1);
    await new Promise((r) => setTimeout(r, 1000));
    process.kill(-child.pid!, 'SIGKILL');
    expect(await listSandboxes(paths)).toEqual([containerId('orphan')]);
    const runner = new WorkspaceRunner({ runRoot, reapIntervalMs: 0, runtime: 'gvisor', runscPath: runscPath! });
    await runner.runtime();
    expect(await listSandboxes(paths)).toEqual([]);
    expect(fs.existsSync(path.join(paths.bundlesDir, containerId('orphan')))).toBe(false);
    await runner.stopAll();
  }, 90_000);
});

function nonLoopbackIp(): string | undefined {
  for (const list of Object.values(os.networkInterfaces())) {
    for (const i of list ?? []) if (i.family === 'IPv4' && !i.internal) return i.address;
  }
  return undefined;
}
