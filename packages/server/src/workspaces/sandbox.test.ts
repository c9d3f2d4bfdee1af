/**
 * Real sandbox tests: real bubblewrap, real Theia backend (packages/ide, built on demand).
 * Without a working bwrap these tests are skipped with the reason printed, except under CI=true
 * where they fail.
 */
import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildSandboxCommand, defaultIdeAppDir, SANDBOX } from './sandbox-command.js';
import {
  descendants,
  ensureIdeBuilt,
  httpGetSocket,
  isAlive,
  runSandboxProbe,
  sandboxPrereq,
  websocketOverSocket,
} from './test-support.js';
import type { WorkspaceProcess } from './workspace-process.js';
import { WorkspaceRunner } from './workspace-runner.js';

const prereq = sandboxPrereq();
if (!prereq.ok) {
  const msg = `SANDBOX TESTS SKIPPED: ${prereq.reason}`;
  if (process.env.CI === 'true') throw new Error(`${msg} (CI=true: failing instead of skipping)`);
  console.warn(`\n*** ${msg} ***\n`);
}

const HOST_SECRET = 'host-secret-' + Math.random().toString(36).slice(2);

describe.skipIf(!prereq.ok)('workspace sandbox (real bwrap + Theia)', () => {
  let root: string;
  let dataDir: string;
  let wsA: string;
  let wsB: string;
  let runRoot: string;
  let runner: WorkspaceRunner;
  let a: WorkspaceProcess;
  let b: WorkspaceProcess;
  let hostServer: net.Server;
  let hostPort: number;
  const apiRequests: { method: string; url: string; auth?: string }[] = [];
  let apiServer: http.Server;

  beforeAll(async () => {
    await ensureIdeBuilt();
    process.env.CODITECT_TEST_HOST_SECRET = HOST_SECRET;
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'coditect-sbx-'));
    dataDir = path.join(root, 'data');
    wsA = path.join(dataDir, 'workspaces', 'sess-a');
    wsB = path.join(dataDir, 'workspaces', 'sess-b');
    runRoot = path.join(root, 'run');
    fs.mkdirSync(wsA, { recursive: true });
    fs.mkdirSync(wsB, { recursive: true });
    fs.mkdirSync(path.join(dataDir, 'keys'), { recursive: true });
    fs.writeFileSync(path.join(wsA, 'hello.txt'), 'hello from A\n');
    fs.writeFileSync(path.join(wsB, 'secret.txt'), 'SENTINEL-B\n');
    fs.writeFileSync(path.join(dataDir, 'coditect.db'), 'SENTINEL-DB\n');
    fs.writeFileSync(path.join(dataDir, 'keys', 'jwt.key'), 'SENTINEL-KEY\n');

    hostServer = net.createServer(s => s.end('HOST-SERVICE\n'));
    await new Promise<void>(r => hostServer.listen(0, '127.0.0.1', r));
    hostPort = (hostServer.address() as net.AddressInfo).port;

    runner = new WorkspaceRunner({
      runRoot,
      reapIntervalMs: 0,
      beforeStart: async (sessionId, runDir) => {
        if (sessionId !== 'sess-a') return;
        // The server's side of the API relay: listen on {runDir}/api.sock.
        const sock = path.join(runDir, 'api.sock');
        fs.rmSync(sock, { force: true });
        apiServer = http.createServer((req, res) => {
          const entry: { method: string; url: string; auth?: string } = { method: req.method ?? '', url: req.url ?? '' };
          if (req.headers.authorization) entry.auth = req.headers.authorization;
          apiRequests.push(entry);
          res.setHeader('content-type', 'application/json');
          res.end(JSON.stringify({ id: sessionId, name: 'A', activeFiles: ['hello.txt'], state: {} }));
        });
        await new Promise<void>(r => apiServer.listen(sock, r));
      },
    });
    // Two starts at once for A (single flight), and B in parallel.
    const [a1, a2, b1] = await Promise.all([
      runner.ensureRunning('sess-a', { workspaceDir: wsA, env: { CODITECT_API_TOKEN: 'tok-a' } }),
      runner.ensureRunning('sess-a', { workspaceDir: wsA, env: { CODITECT_API_TOKEN: 'tok-a' } }),
      runner.ensureRunning('sess-b', { workspaceDir: wsB }),
    ]);
    expect(a1).toBe(a2);
    a = a1;
    b = b1;
  }, 15 * 60_000);

  afterAll(async () => {
    await runner?.stopAll();
    hostServer?.close();
    apiServer?.close();
    delete process.env.CODITECT_TEST_HOST_SECRET;
    if (root) fs.rmSync(root, { recursive: true, force: true });
  }, 60_000);

  /** The Theia node process inside A's sandbox. */
  function innerNodePid(p: WorkspaceProcess): number {
    const pid = descendants(p.pid).find(d => {
      try {
        return fs.readFileSync(`/proc/${d}/cmdline`, 'utf8').includes('ide-relay.mjs') && !fs.readFileSync(`/proc/${d}/cmdline`, 'utf8').startsWith('bwrap');
      } catch {
        return false;
      }
    });
    if (!pid) throw new Error('no IDE process inside the sandbox');
    return pid;
  }

  it('single-flight: two concurrent starts of one session run one sandbox', () => {
    expect(runner.status('sess-a')).toBe('running');
    const ideProcs = (p: WorkspaceProcess) =>
      descendants(p.pid).filter(d => {
        try {
          return fs.readFileSync(`/proc/${d}/cmdline`, 'utf8').startsWith(process.execPath);
        } catch {
          return false;
        }
      });
    expect(ideProcs(a)).toHaveLength(1);
    expect(ideProcs(b)).toHaveLength(1);
    expect(a.pid).not.toBe(b.pid);
  });

  /** Sess-a's IDE tunnel: the relay inside dialled out to the server's socket. */
  const tunnelA = () => runner.tunnel('sess-a')!;

  it('serves the Theia app through the tunnel the relay dialled out to, its cookie at Path=/', async () => {
    const res = await httpGetSocket(tunnelA(), '/');
    expect(res.status).toBe(200);
    expect(res.body).toContain('<title>Coditect</title>');
    expect(res.body).toContain('src="./bundle.js"');
    const cookie = String(res.headers['set-cookie']);
    expect(cookie).toContain('theia-connection-token=');
    expect(cookie).toContain('Path=/;');
    const js = await httpGetSocket(tunnelA(), '/bundle.js');
    expect(js.status).toBe(200);
  });

  it('answers arrive whole through the tunnel, also many large ones at once', async () => {
    const frontend = path.join(defaultIdeAppDir(), 'lib', 'frontend');
    const sizes: Record<string, number> = {
      '/bundle.js': fs.statSync(path.join(frontend, 'bundle.js')).size,
      '/bundle.css': fs.statSync(path.join(frontend, 'bundle.css')).size,
    };
    for (let round = 0; round < 10; round++) {
      const paths = ['/bundle.js', '/bundle.css', '/bundle.js', '/bundle.css', '/bundle.css', '/bundle.js'];
      const got = await Promise.all(paths.map(async (p) => [p, Buffer.byteLength((await httpGetSocket(tunnelA(), p)).body)] as const));
      for (const [p, n] of got) expect(n, `${p} round ${round}`).toBe(sizes[p]);
    }
  }, 120_000);

  it('upgrades a WebSocket (socket.io) through the tunnel with the connection cookie', async () => {
    const page = await httpGetSocket(tunnelA(), '/');
    const token = /theia-connection-token=([^;]+)/.exec(String(page.headers['set-cookie']))![1]!;
    const ok = await websocketOverSocket(tunnelA(), '/socket.io/?EIO=4&transport=websocket', {
      Cookie: `theia-connection-token=${token}`,
      Origin: 'http://localhost:8080',
    });
    expect(ok.statusLine).toContain('101');
    expect(ok.firstMessage).toMatch(/^0\{"sid"/);
    // Without Theia's cookie, or from another origin, Theia itself refuses.
    const noCookie = await websocketOverSocket(tunnelA(), '/socket.io/?EIO=4&transport=websocket', { Origin: 'http://localhost:8080' });
    expect(noCookie.statusLine).not.toContain('101');
    const otherOrigin = await websocketOverSocket(tunnelA(), '/socket.io/?EIO=4&transport=websocket', {
      Cookie: `theia-connection-token=${token}`,
      Origin: 'http://evil.example',
    });
    expect(otherOrigin.statusLine).not.toContain('101');
  });

  it('the running IDE sees only its workspace, no host network, no capabilities, no host env', () => {
    const pid = innerNodePid(a);
    const rootfs = `/proc/${pid}/root`;
    expect(fs.readFileSync(`${rootfs}${SANDBOX.workspaceDir}/hello.txt`, 'utf8')).toBe('hello from A\n');
    for (const hidden of ['/work', '/root', dataDir, wsB, runRoot, path.join(dataDir, 'coditect.db')]) {
      expect(fs.existsSync(`${rootfs}${hidden}`), hidden).toBe(false);
    }
    expect(fs.readlinkSync(`/proc/${pid}/ns/net`)).not.toBe(fs.readlinkSync('/proc/self/ns/net'));
    expect(fs.readlinkSync(`/proc/${pid}/ns/pid`)).not.toBe(fs.readlinkSync('/proc/self/ns/pid'));
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    expect(/CapEff:\s+([0-9a-f]+)/.exec(status)![1]).toMatch(/^0+$/);
    const environ = fs.readFileSync(`/proc/${pid}/environ`, 'utf8');
    expect(environ).not.toContain(HOST_SECRET);
    expect(environ).toContain('CODITECT_SESSION_ID=sess-a');
  });

  it('the IDE reaches the API only through {runDir}/api.sock (relay on its private loopback)', async () => {
    const pid = innerNodePid(a);
    const script =
      "require('http').get({host:'127.0.0.1',port:3001,path:'/api/v5/sessions/sess-a',headers:{authorization:'Bearer tok-a'}}," +
      "r=>{let b='';r.on('data',d=>b+=d);r.on('end',()=>console.log(r.statusCode,b))}).on('error',e=>{console.log('ERR',e.code);process.exit(3)})";
    const out = await new Promise<string>((resolve, reject) =>
      execFile('nsenter', ['-t', String(pid), '-n', process.execPath, '-e', script], { timeout: 10_000 }, (err, stdout) =>
        err ? reject(new Error(`${err.message} ${stdout}`)) : resolve(stdout),
      ),
    );
    expect(out).toContain('200');
    expect(out).toContain('"activeFiles":["hello.txt"]');
    expect(apiRequests).toContainEqual({ method: 'GET', url: '/api/v5/sessions/sess-a', auth: 'Bearer tok-a' });
  });

  it('a process inside the workspace sandbox cannot read, write or connect outside it', async () => {
    // Same sandbox as the IDE's (same builder, same binds), running an attacker script instead.
    const otherIdeSocket = b.socketPath;
    const attack = `
      const fs = require('fs'), net = require('net');
      const out = {};
      const tryRead = p => { try { return 'READ:' + fs.readFileSync(p, 'utf8').slice(0, 40); } catch (e) { return e.code; } };
      const tryWrite = p => { try { fs.writeFileSync(p, 'x'); return 'WROTE'; } catch (e) { return e.code; } };
      out.own = tryRead('/workspace/hello.txt');
      out.ownWrite = tryWrite('/workspace/new.txt');
      out.otherWs = tryRead(${JSON.stringify(path.join(wsB, 'secret.txt'))});
      out.db = tryRead(${JSON.stringify(path.join(dataDir, 'coditect.db'))});
      out.key = tryRead(${JSON.stringify(path.join(dataDir, 'keys', 'jwt.key'))});
      out.work = (() => { try { return fs.readdirSync('/work').join(','); } catch (e) { return e.code; } })();
      out.rootHome = (() => { try { return fs.readdirSync('/root').join(','); } catch (e) { return e.code; } })();
      out.writeUsr = tryWrite('/usr/pwned');
      out.writeEtc = tryWrite('/etc/pwned');
      out.writeApp = tryWrite('/opt/coditect/ide/pwned');
      out.hostProcs = fs.readdirSync('/proc').filter(n => /^\\d+$/.test(n)).length;
      out.env = JSON.stringify(process.env).includes(${JSON.stringify(HOST_SECRET)}) ? 'LEAK' : 'clean';
      const conn = (opts) => new Promise(r => { const s = net.connect(opts); const t = setTimeout(() => { s.destroy(); r('TIMEOUT'); }, 3000);
        s.on('connect', () => { clearTimeout(t); s.destroy(); r('CONNECTED'); }); s.on('error', e => { clearTimeout(t); r(e.code); }); });
      (async () => {
        out.hostTcp = await conn({ host: '127.0.0.1', port: ${hostPort} });
        out.hostIp = await conn({ host: ${JSON.stringify(nonLoopbackIp() ?? '127.0.0.2')}, port: ${hostPort} });
        out.otherIde = await conn({ path: ${JSON.stringify(otherIdeSocket)} });
        console.log(JSON.stringify(out));
      })();
    `;
    const runDir = path.join(root, 'run-attacker');
    const cmd = buildSandboxCommand({
      sessionId: 'sess-a',
      workspaceDir: wsA,
      runDir,
      env: { CODITECT_API_TOKEN: 'tok-a' },
      entry: [process.execPath, '-e', attack],
    });
    const out = await runSandboxProbe<Record<string, any>>(cmd);
    if (process.env.CODITECT_TEST_VERBOSE) console.log(out);
    expect(out.own).toBe('READ:hello from A\n');
    expect(out.ownWrite).toBe('WROTE');
    expect(fs.readFileSync(path.join(wsA, 'new.txt'), 'utf8')).toBe('x');
    expect(out.otherWs).toBe('ENOENT');
    expect(out.db).toBe('ENOENT');
    expect(out.key).toBe('ENOENT');
    expect(out.work).toBe('ENOENT');
    expect(out.rootHome).toBe('ENOENT');
    expect(out.writeUsr).toMatch(/EROFS|EACCES/);
    expect(out.writeEtc).toMatch(/EROFS|EACCES/);
    expect(out.writeApp).toMatch(/EROFS|EACCES/);
    expect(out.hostProcs).toBeLessThan(5);
    expect(out.env).toBe('clean');
    expect(out.hostTcp).toBe('ECONNREFUSED');
    expect(out.hostIp).not.toBe('CONNECTED');
    expect(out.otherIde).toBe('ENOENT');
  });

  it('a process inside cannot replace, move or delete the sockets the server talks through, nor flood the tunnel', async () => {
    // The attacker runs in sess-a's own sandbox layout, over sess-a's very run dir.
    const runDir = runner.runDir('sess-a');
    const ideSock = path.join(runDir, 'ide.sock');
    const inodeBefore = fs.statSync(ideSock).ino;
    const attack = `
      const fs = require('fs'), net = require('net');
      const out = {};
      const t = (name, fn) => { try { fn(); out[name] = 'DONE'; } catch (e) { out[name] = e.code; } };
      const R = '/run/coditect';
      t('unlinkIde', () => fs.unlinkSync(R + '/ide.sock'));
      t('unlinkApi', () => fs.unlinkSync(R + '/api.sock'));
      t('renameIde', () => fs.renameSync(R + '/ide.sock', R + '/old.sock'));
      t('symlinkIde', () => fs.symlinkSync('/tmp/evil.sock', R + '/evil.sock'));
      t('writeFile', () => fs.writeFileSync(R + '/x', 'x'));
      t('mkdir', () => fs.mkdirSync(R + '/d'));
      t('chmod', () => fs.chmodSync(R + '/ide.sock', 0o777));
      t('rmEtc', () => fs.rmSync(R + '/etc', { recursive: true }));
      t('writeBin', () => fs.writeFileSync(R + '/bin/coditect', 'echo pwned'));
      t('utimes', () => fs.utimesSync(R, new Date(), new Date()));
      (async () => {
        out.listen = await new Promise(r => { const s = net.createServer(); s.on('error', e => r(e.code)); s.listen(R + '/new.sock', () => { s.close(); r('LISTENING'); }); });
        // Flood the tunnel: dial 600 connections and count how many the server keeps open.
        const socks = [];
        for (let i = 0; i < 600; i++) { const c = net.connect(R + '/ide.sock'); c.on('error', () => {}); c.closedByServer = false; c.on('close', () => (c.closedByServer = true)); socks.push(c); }
        await new Promise(r => setTimeout(r, 1500));
        out.floodKept = socks.filter(c => !c.closedByServer).length;
        socks.forEach(c => c.destroy());
        console.log(JSON.stringify(out));
      })();
    `;
    const cmd = buildSandboxCommand({ sessionId: 'sess-a', workspaceDir: wsA, runDir, entry: [process.execPath, '-e', attack] });
    const out = await runSandboxProbe<Record<string, any>>(cmd);
    if (process.env.CODITECT_TEST_VERBOSE) console.log(out);
    for (const op of ['unlinkIde', 'unlinkApi', 'renameIde', 'symlinkIde', 'writeFile', 'mkdir', 'chmod', 'rmEtc', 'writeBin', 'utimes', 'listen']) {
      expect(out[op], op).toMatch(/^(EROFS|EPERM|EACCES)$/);
    }
    // The server keeps at most its idle cap (8) of anyone's connections; the rest are closed on arrival.
    expect(out.floodKept).toBeLessThanOrEqual(8);
    // Same socket file, and the server still reaches the real IDE through it.
    expect(fs.statSync(ideSock).ino).toBe(inodeBefore);
    await expect.poll(async () => (await httpGetSocket(tunnelA(), '/')).body, { timeout: 10_000 }).toContain('<title>Coditect</title>');
  }, 60_000);

  it('stop() ends the sandbox and everything in it; status goes back to stopped', async () => {
    // A detached process in the sandbox's pid namespace (like a terminal shell: own session,
    // not in the runner's process group) must die with the sandbox too.
    const marker = `${Math.floor(Math.random() * 1e6) + 1000}.5`;
    const nsenter = spawn('nsenter', ['-t', String(innerNodePid(b)), '-p', '--', 'setsid', '-f', 'sleep', marker], {
      stdio: 'ignore',
      detached: true,
    });
    nsenter.unref();
    const findSleeper = () =>
      fs.readdirSync('/proc').filter(n => {
        try {
          return /^\d+$/.test(n) && fs.readFileSync(`/proc/${n}/cmdline`, 'utf8') === `sleep\0${marker}\0`;
        } catch {
          return false;
        }
      });
    await expect.poll(findSleeper, { timeout: 5000 }).toHaveLength(1);
    const sleeper = Number(findSleeper()[0]);
    // (Orphaned, it is re-parented to the sandbox's init; it has its own session and process group.)
    expect(fs.readFileSync(`/proc/${sleeper}/stat`, 'utf8')).toBeTruthy();
    const tree = [b.pid, ...descendants(b.pid), sleeper];
    expect(tree.length).toBeGreaterThanOrEqual(3); // bwrap, bwrap init, node (+ watcher, …)
    await runner.stop('sess-b');
    expect(runner.status('sess-b')).toBe('stopped');
    await new Promise(r => setTimeout(r, 200));
    for (const pid of tree) expect(isAlive(pid), `pid ${pid}`).toBe(false);
    // The server closed its end of the tunnel with the workspace: nothing is left to connect to.
    expect(runner.tunnel('sess-b')).toBeUndefined();
    await expect.poll(() => fs.existsSync(b.socketPath), { timeout: 5000 }).toBe(false);
  }, 30_000);
});

function nonLoopbackIp(): string | undefined {
  for (const list of Object.values(os.networkInterfaces())) {
    for (const i of list ?? []) if (i.family === 'IPv4' && !i.internal) return i.address;
  }
  return undefined;
}
