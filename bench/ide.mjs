#!/usr/bin/env node
// `npm run bench:ide`: the IDE as a user gets it, per workspace runtime (bubblewrap + seccomp, gVisor).
// For each runtime in BENCH_RUNTIMES the real server runs in this process (built dist, SQLite,
// CODITECT_WORKSPACE_RUNTIME=that runtime, the built web app) and headless Chromium drives the web
// app's IDE page. The IDE frame is cross-origin ({id}.ws.localhost), so "workbench rendered" is
// read from the frame's own DOM through Playwright's frame API (Theia's shell + status bar, the
// preload screen gone), timed from the app's `POST /sessions/{id}/open` request.
// Measures per runtime: backend start (POST /open on a stopped workspace: spawn → Theia answering
// through the tunnel), cold open, warm reopen, idle memory, and a file-heavy task run inside the
// workspace's own sandbox (N file writes, `git add`, `git status` over N files).
// Writes bench/results/ide.md; text below its "<!-- earlier -->" line is kept as it is.
//   BENCH_RUNTIMES=bwrap,gvisor  BENCH_RUNS=3 (samples)  BENCH_FILES=10000
//   BENCH_CONCURRENT=0 (N workspaces at once; 0 = skip)  BENCH_GZIP=0 (1 = frontend gzip comparison)
//   CODITECT_CHROMIUM=/usr/bin/chromium
import crypto from 'node:crypto';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { loadConfig } from '../packages/server/dist/config/config.js';
import { startServer } from '../packages/server/dist/server.js';
import { buildGvisorCommand, buildSandboxCommand, spawnSandboxCommand } from '../packages/server/dist/workspaces/sandbox-command.js';
import { runscPaths } from '../packages/server/dist/workspaces/sandbox/runsc.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const RUNTIMES = (process.env.BENCH_RUNTIMES ?? 'bwrap,gvisor').split(',').map((s) => s.trim()).filter(Boolean);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const FILES = Number(process.env.BENCH_FILES ?? 10_000);
const CONCURRENT = Number(process.env.BENCH_CONCURRENT ?? 0);
const GZIP = process.env.BENCH_GZIP === '1';
const CHROMIUM = process.env.CODITECT_CHROMIUM ?? '/usr/bin/chromium';
const TARGET = { coldMs: 3000, warmMs: 1000, idleMb: 200, gvisorColdRatio: 1.5 };
/** Theia's workbench has rendered: shell and status bar shown, the preload screen gone. */
const SHELL_READY = `!!document.querySelector('#theia-app-shell') && !!document.querySelector('#theia-statusBar') && !document.querySelector('.theia-preload')`;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : Math.round((s[s.length / 2 - 1] + s[s.length / 2]) / 2);
};
const load = () => os.loadavg().map((x) => x.toFixed(2)).join(' / ');
const log = (m) => console.log(`[bench:ide] ${m}`);
for (const r of RUNTIMES) {
  if (r !== 'bwrap' && r !== 'gvisor') {
    console.error(`[bench:ide] BENCH_RUNTIMES: unknown runtime ${r} (bwrap, gvisor)`);
    process.exit(1);
  }
}

for (const [what, ok] of [
  [`${CHROMIUM} (apt-get install chromium)`, fs.existsSync(CHROMIUM)],
  ['packages/web/dist (npm run build:web)', fs.existsSync(path.join(root, 'packages/web/dist/index.html'))],
  ['packages/ide/lib (node scripts/ide-build.mjs)', fs.existsSync(path.join(root, 'packages/ide/lib/backend/main.js'))],
]) {
  if (!ok) {
    console.error(`[bench:ide] missing: ${what}`);
    process.exit(1);
  }
}

// ---- process memory (/proc) ----
function childrenMap() {
  const children = new Map();
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${name}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(name)]);
    } catch { /* exited */ }
  }
  return children;
}
/** RSS and PSS (MB) of a workspace's process tree (bwrap → relay + Theia → file watcher, shells). */
function treeMemory(pid) {
  const children = childrenMap();
  const pids = [];
  const walk = (p) => { pids.push(p); for (const c of children.get(p) ?? []) walk(c); };
  walk(pid);
  let rss = 0;
  let pss = 0;
  const parts = [];
  for (const p of pids) {
    try {
      const rollup = fs.readFileSync(`/proc/${p}/smaps_rollup`, 'utf8');
      const r = Number(/^Rss:\s+(\d+)/m.exec(rollup)?.[1] ?? 0);
      rss += r;
      pss += Number(/^Pss:\s+(\d+)/m.exec(rollup)?.[1] ?? 0);
      const cmd = fs.readFileSync(`/proc/${p}/cmdline`, 'utf8').split('\0');
      const name = path.basename(cmd[0] ?? '?') + (cmd[0]?.endsWith('node') ? ` ${path.basename(cmd[1] ?? '')}` : '');
      parts.push(`${name} ${Math.round(r / 1024)}`);
    } catch { /* exited */ }
  }
  return { rssMb: Math.round(rss / 1024), pssMb: Math.round(pss / 1024), parts };
}

/** GET on a workspace origin (`http://{id}.ws.localhost:PORT/…`): Node does not resolve *.localhost, so connect to 127.0.0.1 with the Host. */
function workspaceGet(url, cookie) {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    http.get({ host: '127.0.0.1', port: Number(u.port), path: u.pathname + u.search, headers: { host: u.host, ...(cookie ? { cookie } : {}) } }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode, cookies: (res.headers['set-cookie'] ?? []).map((c) => c.split(';')[0]) }));
    }).on('error', reject);
  });
}

/** A raw WebSocket upgrade to the IDE's socket.io through the proxy; 'ok' when Theia's first frame (socket.io open packet) arrives. */
function socketIoHandshake(base, id, cookie) {
  const { port } = new URL(base);
  return new Promise((resolve) => {
    const sock = net.connect(Number(port), '127.0.0.1');
    let buf = Buffer.alloc(0);
    const done = (r) => { clearTimeout(timer); sock.destroy(); resolve(r); };
    const timer = setTimeout(() => done(`timeout: ${buf.toString('latin1').slice(0, 60)}`), 30_000);
    sock.on('connect', () => sock.write([
      'GET /socket.io/?EIO=4&transport=websocket HTTP/1.1', `Host: ${id}.ws.localhost:${port}`, `Origin: http://${id}.ws.localhost:${port}`,
      'Upgrade: websocket', 'Connection: Upgrade', `Sec-WebSocket-Key: ${crypto.randomBytes(16).toString('base64')}`,
      'Sec-WebSocket-Version: 13', `Cookie: ${cookie}`, '', ''].join('\r\n')));
    sock.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      const text = buf.toString('latin1');
      if (!text.startsWith('HTTP/1.1 101')) { if (text.includes('\r\n')) done(`refused: ${text.split('\r\n')[0]}`); return; }
      const end = buf.indexOf('\r\n\r\n');
      if (end >= 0 && buf.length > end + 6) done(buf.subarray(end + 4).toString('latin1').includes('0{') ? 'ok' : 'unexpected first frame');
    });
    sock.on('error', (e) => done(`error ${e.message}`));
  });
}

// ---- the file-heavy task, run inside a workspace sandbox (the same spec the IDE gets) ----
/** bash (builtins only in the loops): N small files in 100 folders, `git add -A`, 3× `git status` over them; prints "phase ms" lines. */
const FILE_TASK = `set -e
now() { local t=\${EPOCHREALTIME/./}; echo \${t}; }
cd "$1"; mkdir heavy; cd heavy
mkdir d{0..99}
T0=$(now); for ((i=0; i<${FILES}; i++)); do echo "file $i" > d$((i % 100))/f$i.txt; done
echo "writes $((($(now) - T0) / 1000))"
git init -q .
T0=$(now); git add -A; echo "add $((($(now) - T0) / 1000))"
git -c user.name=b -c user.email=b@example.com commit -q -m files
for k in 1 2 3; do T0=$(now); git status --porcelain >/dev/null; echo "status $((($(now) - T0) / 1000))"; done
for ((i=0; i<${FILES}; i+=100)); do echo changed > d$((i % 100))/f$i.txt; done
T0=$(now); mapfile -t changed < <(git status --porcelain); n=\${#changed[@]}; echo "status_changed $((($(now) - T0) / 1000))"; echo "changed_files $n"
`;

function parseTask(out, wallMs) {
  const r = { wallMs };
  for (const line of out.split('\n')) {
    const m = /^(writes|add|status|status_changed|changed_files) (\d+)$/.exec(line.trim());
    if (m) (r[m[1]] ??= []).push(Number(m[2]));
  }
  if (!r.writes || !r.status) throw new Error(`file task: unexpected output: ${out.slice(-400)}`);
  return { wallMs, writesMs: r.writes[0], addMs: r.add[0], statusMs: median(r.status), statusRuns: r.status, statusChangedMs: r.status_changed?.[0], changedFiles: r.changed_files?.[0] };
}

/** Runs FILE_TASK on `runtime` ('host' = no sandbox, for reference) in a fresh workspace dir. */
async function fileTask(runtime) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `coditect-bench-files-${runtime}-`));
  const ws = path.join(dir, 'ws');
  fs.mkdirSync(ws);
  const t0 = performance.now();
  try {
    if (runtime === 'host') {
      const out = execFileSync('/bin/bash', ['-c', FILE_TASK, 'task', ws], { encoding: 'utf8', maxBuffer: 1 << 20 });
      return parseTask(out, Math.round(performance.now() - t0));
    }
    const sessionId = `bench-files-${runtime}-${process.pid}`;
    const opts = { sessionId, workspaceDir: ws, runDir: path.join(dir, 'run', sessionId), cliDir: false, entry: ['/bin/bash', '-c', FILE_TASK, 'task', '/workspace'] };
    const cmd = runtime === 'gvisor' ? buildGvisorCommand({ ...opts, runsc: runscPaths(path.join(dir, 'run'), '/usr/bin/runsc') }) : buildSandboxCommand(opts);
    try {
      const { out, err, code } = await new Promise((resolve, reject) => {
        const child = spawnSandboxCommand(cmd);
        let out = '';
        let err = '';
        child.stdout.on('data', (d) => (out += d));
        child.stderr.on('data', (d) => (err += d));
        child.on('error', reject);
        child.on('exit', (code) => resolve({ out, err, code }));
      });
      if (code !== 0) throw new Error(`file task on ${runtime} exited ${code}: ${err.slice(-600)}`);
      return parseTask(out, Math.round(performance.now() - t0));
    } finally {
      await cmd.afterExit?.();
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

// ---- one runtime: its own server, browser sessions, measurements ----
async function benchRuntime(runtime, browser) {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), `coditect-bench-ide-${runtime}-`));
  const config = loadConfig({
    ...process.env,
    NODE_ENV: 'production', PORT: '0', HOST: '127.0.0.1', CODITECT_DATA_DIR: dataDir, CODITECT_WORKSPACE_RUNTIME: runtime,
    CODITECT_WEB_DIR: path.join(root, 'packages/web/dist'), CODITECT_LOG_LEVEL: 'warn', CODITECT_DOCS: 'false',
    CODITECT_JWT_SECRET: crypto.randomBytes(36).toString('base64'), CODITECT_LLM_MASTER_KEY: crypto.randomBytes(32).toString('hex'),
    CODITECT_JWT_PRIVATE_KEY: crypto.generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    CODITECT_MAX_WORKSPACES: String(Math.max(CONCURRENT + 2, 20)), CODITECT_WORKSPACE_IDLE_MINUTES: '60',
    CODITECT_RATE_LIMIT_LOGIN_IP: '100000/60s', CODITECT_RATE_LIMIT_SESSION_CREATE: '100000/60s', CODITECT_RATE_LIMIT_WORKSPACE_OPEN: '100000/60s', CODITECT_RATE_LIMIT_LLM: '100000/60s', CODITECT_MAX_WORKSPACES_PER_TENANT: '1000', CODITECT_RATE_LIMIT_LOGIN_ACCOUNT: '100000/60s', CODITECT_RATE_LIMIT_REGISTER_IP: '100000/60s', CODITECT_RATE_LIMIT_REFRESH_IP: '100000/60s',
  });
  const server = await startServer(config);
  const base = server.url.replace('[::1]', '127.0.0.1');
  const runner = server.deps.workspaces.runner;
  const choice = await runner.runtime();
  const results = { failures: [], runtime, choice: { runtime: choice.runtime, ok: choice.ok, reason: choice.reason }, loadStart: load() };
  log(`${runtime}: server ${base}, runtime ${JSON.stringify(results.choice)}, load ${load()}`);

  async function api(method, p, body, token) {
    const res = await fetch(`${base}/api/v5${p}`, {
      method, body: body && JSON.stringify(body),
      headers: { ...(body ? { 'content-type': 'application/json' } : {}), ...(token ? { authorization: `Bearer ${token}` } : {}) },
    });
    const text = await res.text();
    return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : undefined };
  }
  const email = `bench.${runtime}.${Date.now()}@example.com`;
  const password = 'correct horse battery staple';
  const token = (await api('POST', '/auth/register', { email, password, firstName: 'Bench', lastName: 'Mark' })).body.accessToken;
  const newSession = async (name) => (await api('POST', '/sessions', { name }, token)).body.id;
  const stop = (id) => api('POST', `/sessions/${id}/stop`, undefined, token);

  async function signedInContext() {
    const context = await browser.newContext({ baseURL: base, viewport: { width: 1366, height: 820 } });
    context.setDefaultTimeout(180_000);
    const page = await context.newPage();
    await page.goto('/login');
    await page.getByLabel('Email').fill(email);
    await page.getByLabel(/^Password/).fill(password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL((u) => u.pathname === '/');
    return { context, page };
  }
  /**
   * Navigates the app to the session's tab; answers `POST /open` as the app timed it (openMs) and
   * "the app's open request → Theia's workbench rendered in the cross-origin frame" (readyMs),
   * polled every 50 ms in the frame itself.
   */
  async function openInApp(page, id) {
    let requestAt;
    const onRequest = (r) => {
      if (requestAt === undefined && r.method() === 'POST' && r.url().endsWith(`/sessions/${id}/open`)) requestAt = performance.now();
    };
    page.on('request', onRequest);
    const navAt = performance.now();
    try {
      await page.goto(`/ide/${id}`);
      const host = `${id}.ws.localhost`;
      while (performance.now() - navAt < 120_000) {
        const frame = page.frames().find((f) => { try { return new URL(f.url()).hostname === host; } catch { return false; } });
        if (frame && (await frame.evaluate(SHELL_READY).catch(() => false))) {
          const readyMs = Math.round(performance.now() - (requestAt ?? navAt));
          const el = page.locator(`#panel-${id} [data-testid="ide-frame"]`);
          return { openMs: Number(await el.getAttribute('data-open-ms')), readyMs };
        }
        await sleep(50);
      }
      throw new Error(`the workbench did not render within 120 s (workspace ${runner.status(id)})`);
    } finally {
      page.off('request', onRequest);
    }
  }

  try {
    if (!choice.ok) throw new Error(`runtime ${runtime} unavailable: ${choice.reason}`);
    // ---- backend start: POST /open on a stopped workspace, no browser ----
    const starts = [];
    let idleId;
    for (let i = 0; i < RUNS; i++) {
      const id = await newSession(`start-${i}`);
      const t = performance.now();
      const r = await api('POST', `/sessions/${id}/open`, undefined, token);
      if (r.status !== 200) throw new Error(`open ${r.status} ${JSON.stringify(r.body)}`);
      starts.push(Math.round(performance.now() - t));
      log(`${runtime} backend start ${i + 1}/${RUNS}: ${starts.at(-1)} ms (load ${load()})`);
      if (i < RUNS - 1) await stop(id);
      else idleId = id;
    }
    results.starts = starts;
    // ---- memory of an idle workspace without a browser (the last one started above) ----
    await sleep(10_000);
    if (!runner.get(idleId)) throw new Error(`the idle workspace died within 10 s of its start (see the server's "workspace exited unexpectedly" log line)`);
    results.memNoBrowser = treeMemory(runner.get(idleId).pid);
    await stop(idleId);

    // ---- cold: backend stopped, fresh browser profile (empty HTTP cache) ----
    const cold = [];
    for (let i = 0; i < RUNS; i++) {
      const id = await newSession(`cold-${i}`);
      const { context, page } = await signedInContext();
      try {
        const r = await openInApp(page, id);
        cold.push(r);
        log(`${runtime} cold ${i + 1}/${RUNS}: open ${r.openMs} ms, rendered ${r.readyMs} ms (load ${load()})`);
      } catch (e) {
        // A sample that fails is counted and reported, not hidden: the run goes on.
        results.failures.push(`cold ${i + 1}: ${e.message}`);
        log(`${runtime} cold ${i + 1}/${RUNS} FAILED: ${e.message}`);
      }
      await context.close();
      await stop(id);
    }
    results.cold = cold;
    results.loadAfterCold = load();

    // ---- warm: backend running, same browser profile (cached assets), the tab reopened ----
    const warmId = await newSession('warm');
    const { context: warmCtx, page: warmPage } = await signedInContext();
    await openInApp(warmPage, warmId).catch((e) => {
      results.failures.push(`warm, first open: ${e.message}`);
      log(`${runtime} warm first open FAILED: ${e.message}`);
    });
    const warm = [];
    for (let i = 0; i < RUNS; i++) {
      await warmPage.goto('/');
      try {
        const r = await openInApp(warmPage, warmId);
        warm.push(r);
        log(`${runtime} warm ${i + 1}/${RUNS}: open ${r.openMs} ms, rendered ${r.readyMs} ms (load ${load()})`);
      } catch (e) {
        results.failures.push(`warm ${i + 1}: ${e.message}`);
        log(`${runtime} warm ${i + 1}/${RUNS} FAILED: ${e.message}`);
      }
    }
    results.warm = warm;
    await sleep(10_000);
    results.memWithBrowser = runner.get(warmId) ? treeMemory(runner.get(warmId).pid) : { rssMb: 0, pssMb: 0, parts: ['(not running)'] };
    log(`${runtime} memory: ${results.memNoBrowser.rssMb} MB RSS idle, ${results.memWithBrowser.rssMb} MB RSS with a browser`);
    await warmCtx.close();
    await stop(warmId);
    results.loadAfterWarm = load();

    // ---- the file-heavy task inside this runtime's sandbox ----
    results.files = await fileTask(runtime);
    log(`${runtime} file task: ${JSON.stringify(results.files)} (load ${load()})`);

    if (CONCURRENT > 0) results.concurrent = await concurrentOpen({ base, api, newSession, token, runner, stop });
    if (GZIP) results.gzip = await gzipComparison({ api, newSession, token, signedInContext, openInApp, stop });
  } catch (e) {
    results.error = e.message;
    log(`${runtime}: ${e.stack}`);
  } finally {
    await server.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
  results.loadEnd = load();
  return results;
}

/** N workspaces opened at once: each serves its IDE page and takes a WebSocket through the proxy. */
async function concurrentOpen({ base, api, newSession, token, runner, stop }) {
  const ids = await Promise.all(Array.from({ length: CONCURRENT }, (_, i) => newSession(`many-${i}`)));
  const t0 = performance.now();
  const opens = await Promise.all(ids.map(async (id) => {
    const s = performance.now();
    const r = await api('POST', `/sessions/${id}/open`, undefined, token);
    // The ticket is traded for the workspace origin's cookie (part of opening, so inside the timing).
    const cookie = r.status === 200 ? (await workspaceGet(r.body.url)).cookies.join('; ') : '';
    return { id, status: r.status, ms: Math.round(performance.now() - s), cookie, error: r.body?.error };
  }));
  const allOpenMs = Math.round(performance.now() - t0);
  const pages = await Promise.all(opens.map(async (o) => {
    const res = await workspaceGet(`http://${o.id}.ws.localhost:${new URL(base).port}/`, o.cookie);
    // Theia's own connection cookie (set with the page) is required on its WebSocket.
    if (res.cookies.length) o.cookie = [o.cookie, ...res.cookies].join('; ');
    return res.status;
  }));
  // One browser page per workspace would need ~N× the CPU of the machine; instead every IDE gets
  // a real WebSocket (socket.io handshake) through the proxy.
  const sockets = await Promise.all(opens.map((o) => socketIoHandshake(base, o.id, o.cookie)));
  await sleep(5000);
  const mems = opens.filter((o) => runner.get(o.id)).map((o) => treeMemory(runner.get(o.id).pid));
  const c = {
    n: CONCURRENT, allOpenMs, openMs: opens.map((o) => o.ms),
    failures: opens.filter((o) => o.status !== 200).map((o) => `${o.status} ${o.error?.code ?? ''}`),
    pagesOk: pages.filter((s) => s === 200).length, socketsOk: sockets.filter((s) => s === 'ok').length,
    socketProblems: sockets.filter((s) => s !== 'ok'),
    running: ids.filter((id) => runner.status(id) === 'running').length,
    totalRssMb: mems.reduce((a, m) => a + m.rssMb, 0), totalPssMb: mems.reduce((a, m) => a + m.pssMb, 0),
    load: load(),
  };
  log(`concurrent: ${JSON.stringify(c)}`);
  await Promise.all(ids.map((id) => stop(id)));
  return c;
}

/** The frontend bundle served plain vs gzip-compressed (Theia serves `X.gz` for `X` when it exists). */
async function gzipComparison({ api, newSession, token, signedInContext, openInApp, stop }) {
  const frontend = path.join(root, 'packages/ide/lib/frontend');
  const assets = fs.readdirSync(frontend).filter((f) => /\.(js|css)$/.test(f));
  const preexisting = assets.some((f) => fs.existsSync(path.join(frontend, `${f}.gz`)));
  const gzId = await newSession('gzip');
  await api('POST', `/sessions/${gzId}/open`, undefined, token);
  const measure = async (label, kbit) => {
    const runs = [];
    for (let i = 0; i < 3; i++) {
      const { context, page } = await signedInContext();
      const cdp = await context.newCDPSession(page);
      await cdp.send('Network.enable');
      let bytes = 0;
      cdp.on('Network.loadingFinished', (e) => { bytes += e.encodedDataLength; });
      if (kbit) await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 20, downloadThroughput: (kbit * 1000) / 8, uploadThroughput: (kbit * 1000) / 8 });
      const r = await openInApp(page, gzId);
      runs.push({ ...r, mb: bytes / 1e6 });
      await context.close();
    }
    log(`gzip ${label}: ${JSON.stringify(runs)}`);
    return { label, readyMs: median(runs.map((r) => r.readyMs)), runs: runs.map((r) => r.readyMs), mb: median(runs.map((r) => r.mb)) };
  };
  const rows = [];
  if (!preexisting) {
    rows.push(await measure('plain, loopback', 0), await measure('plain, 50 Mbit/s', 50_000));
    for (const f of assets) fs.writeFileSync(path.join(frontend, `${f}.gz`), zlib.gzipSync(fs.readFileSync(path.join(frontend, f)), { level: 9 }));
  }
  try {
    rows.push(await measure('gzip, loopback', 0), await measure('gzip, 50 Mbit/s', 50_000));
  } finally {
    if (!preexisting) for (const f of assets) fs.rmSync(path.join(frontend, `${f}.gz`), { force: true });
  }
  await stop(gzId);
  return { preexisting, rows };
}

const all = { loadStart: load(), cpus: os.cpus().length, memGb: Math.round(os.totalmem() / 2 ** 30), started: new Date(), runtimes: [] };
// Before Chromium starts (its start-up would load the machine under the host reference run).
all.hostFiles = await fileTask('host');
log(`host file task: ${JSON.stringify(all.hostFiles)}`);
const browser = await chromium.launch({
  executablePath: CHROMIUM, headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
});
try {
  for (const runtime of RUNTIMES) all.runtimes.push(await benchRuntime(runtime, browser));
} finally {
  await browser.close();
}
all.loadEnd = load();
all.minutes = ((Date.now() - all.started.getTime()) / 60_000).toFixed(1);

// ---- report ----
const s1 = (ms) => (ms === undefined || Number.isNaN(ms) ? '—' : `${(ms / 1000).toFixed(1)} s`);
const msOrS = (ms) => (ms === undefined ? '—' : ms >= 10_000 ? s1(ms) : `${ms} ms`);
const verdict = (ok) => (ok ? '**met**' : '**missed**');
const byRt = Object.fromEntries(all.runtimes.map((r) => [r.runtime, r]));
const cols = RUNTIMES;
const NAMES = { bwrap: 'bubblewrap + seccomp', gvisor: 'gVisor (runsc)' };
const ratio = (f) => {
  const b = byRt.bwrap && !byRt.bwrap.error ? f(byRt.bwrap) : undefined;
  const g = byRt.gvisor && !byRt.gvisor.error ? f(byRt.gvisor) : undefined;
  return b && g ? `${(g / b).toFixed(2)} ×` : '';
};
const showRatio = cols.includes('bwrap') && cols.includes('gvisor');
const row = (what, f, fmt, target = '') => {
  const cells = cols.map((rt) => {
    const r = byRt[rt];
    if (!r || r.error) return 'n/a';
    const v = f(r);
    return v === undefined ? '—' : fmt(v, r);
  });
  return `| ${what} | ${cells.join(' | ')} |${showRatio ? ` ${ratio(f)} |` : ''} ${target} |`;
};
const runsOf = (xs, pick = (x) => x) => xs.map((x) => (pick(x) / 1000).toFixed(1)).join(', ');
const medMs = (key, sub) => (r) => (r[key] ? median(r[key].map((x) => (sub ? x[sub] : x))) : undefined);
const withRuns = (key, sub) => (v, r) => `**${s1(v)}** (${runsOf(r[key], (x) => (sub ? x[sub] : x))})`;
const plainRuns = (key, sub) => (v, r) => `${s1(v)} (${runsOf(r[key], (x) => (sub ? x[sub] : x))})`;
const mem = (key) => (r) => r[key]?.rssMb;
const memFmt = (key) => (v, r) => `${v} MB RSS (PSS ${r[key].pssMb} MB): ${r[key].parts.join(' + ')}`;
const file = (k) => (r) => r.files?.[k];
const host = all.hostFiles;

const coldRatio = byRt.bwrap?.cold && byRt.gvisor?.cold ? median(byRt.gvisor.cold.map((x) => x.readyMs)) / median(byRt.bwrap.cold.map((x) => x.readyMs)) : undefined;
const header = `| what | ${cols.map((c) => NAMES[c]).join(' | ')} |${showRatio ? ' gVisor / bwrap |' : ''} target |`;
const sep = `|---|${cols.map(() => '---|').join('')}${showRatio ? '---|' : ''}---|`;
const table = [
  header, sep,
  row('backend start: `POST /open` on a stopped workspace (spawn → Theia answers through the tunnel), no browser', medMs('starts'), withRuns('starts')),
  row('cold open: backend stopped, fresh browser profile, the app\'s `POST /open` → workbench rendered in the frame', medMs('cold', 'readyMs'), withRuns('cold', 'readyMs'), `≤ 3 s; gVisor ≤ ${TARGET.gvisorColdRatio} × bwrap`),
  row('… of which `POST /open` (as the app timed it)', medMs('cold', 'openMs'), plainRuns('cold', 'openMs')),
  row('warm reopen: backend running, cached assets, tab reopened → rendered', medMs('warm', 'readyMs'), withRuns('warm', 'readyMs'), '≤ 1 s'),
  row('… of which `POST /open`', medMs('warm', 'openMs'), (v, r) => `${v} ms (${r.warm.map((x) => x.openMs).join(', ')})`),
  row('idle workspace, no browser (10 s after start)', mem('memNoBrowser'), memFmt('memNoBrowser'), '≤ 200 MB'),
  row('idle workspace, browser attached (10 s after the warm runs)', mem('memWithBrowser'), memFmt('memWithBrowser'), '≤ 200 MB'),
].join('\n');
const fileRows = [
  `| step (inside the sandbox, bash + git) | host, no sandbox | ${cols.map((c) => NAMES[c]).join(' | ')} |${showRatio ? ' gVisor / bwrap |' : ''}`,
  `|---|---|${cols.map(() => '---|').join('')}${showRatio ? '---|' : ''}`,
  ...[
    [`write ${FILES.toLocaleString('en')} small files (100 folders)`, 'writesMs'],
    [`\`git add -A\` of ${FILES.toLocaleString('en')} files`, 'addMs'],
    [`\`git status\` over ${FILES.toLocaleString('en')} files, clean (median of 3)`, 'statusMs'],
    ['`git status` with 100 files changed', 'statusChangedMs'],
    ['the whole task, sandbox start and teardown included (also `git init` + `commit`)', 'wallMs'],
  ].map(([what, k]) => `| ${what} | ${msOrS(host?.[k])} | ${cols.map((c) => (byRt[c]?.files ? msOrS(byRt[c].files[k]) : 'n/a')).join(' | ')} |${showRatio ? ` ${ratio(file(k))} |` : ''}`),
].join('\n');
const errors = [
  ...all.runtimes.filter((r) => r.error).map((r) => `- **${NAMES[r.runtime]} did not complete**: ${r.error}`),
  ...all.runtimes.flatMap((r) => r.failures.map((f) => `- **${NAMES[r.runtime]}, failed sample** (left out of the medians): ${f}`)),
].join('\n');
const loads = all.runtimes.map((r) => `${NAMES[r.runtime]}: ${r.loadStart} at its start, ${r.loadAfterCold ?? '—'} after the cold runs, ${r.loadAfterWarm ?? '—'} after the warm runs, ${r.loadEnd} at its end`).join('; ');
const concurrent = all.runtimes.filter((r) => r.concurrent).map((r) => {
  const c = r.concurrent;
  return `| ${NAMES[r.runtime]}: ${c.n} opened at once | all running in ${s1(c.allOpenMs)} (per open: median ${s1(median(c.openMs))}, max ${s1(Math.max(...c.openMs))}) | ${c.n - c.failures.length}/${c.n} opens OK, ${c.pagesOk}/${c.n} IDE pages 200, ${c.socketsOk}/${c.n} WebSockets, ${c.running}/${c.n} running | ${c.totalPssMb} MB PSS (${Math.round(c.totalPssMb / c.n)} MB each) |`;
});
const gzip = all.runtimes.filter((r) => r.gzip).map((r) => r.gzip.rows.map((g) => `| ${NAMES[r.runtime]} | ${g.label} | ${s1(g.readyMs)} | ${runsOf(g.runs)} s | ${g.mb.toFixed(1)} |`).join('\n'));
const previous = fs.existsSync(path.join(root, 'bench/results/ide.md')) ? fs.readFileSync(path.join(root, 'bench/results/ide.md'), 'utf8') : '';
const MARK = '<!-- earlier -->';
const earlier = previous.includes(MARK) ? previous.slice(previous.indexOf(MARK)) : '';

const md = `# IDE benchmark

\`npm run bench:ide\` (\`bench/ide.mjs\`), ${all.started.toISOString().slice(0, 16).replace('T', ' ')} UTC, ${all.minutes} min,
\`BENCH_RUNTIMES=${RUNTIMES.join(',')} BENCH_RUNS=${RUNS} BENCH_FILES=${FILES}\`. Per runtime: the real server in-process
(SQLite, \`CODITECT_WORKSPACE_RUNTIME\` = that runtime, Theia 1.74.1 production build), the built web app,
headless Chromium (\`${CHROMIUM}\`) driving the IDE page. The IDE frame is on the workspace's own
origin, so "rendered" is read in the frame itself through Playwright's frame API (Theia's shell and
status bar present, the preload screen gone; polled every 50 ms), timed from the app's
\`POST /sessions/{id}/open\` request. Medians, with the runs in brackets (seconds).

**Machine**: ${all.cpus} cores, ${all.memGb} GB, shared with other engineers' builds and tests; gVisor on
its default \`ptrace\` platform (runsc ${runscVersion()}). Load average (1 / 5 / 15 min): ${all.loadStart} at the
start, ${all.loadEnd} at the end; ${loads}.
${errors ? `\n${errors}\n` : ''}
## Opening the IDE, per runtime

${table}
${coldRatio !== undefined ? `\n**Target "cold open on gVisor ≤ ${TARGET.gvisorColdRatio} × bubblewrap"**: ${coldRatio.toFixed(2)} × — ${verdict(coldRatio <= TARGET.gvisorColdRatio)}.\n` : ''}
## File-heavy work inside the workspace

The same bash script (builtins in the loops, then \`git\`) run in a fresh workspace through the runtime's
own sandbox (the workspace description the IDE gets, entry replaced), and once on the host without a
sandbox for reference:

${fileRows}
${concurrent.length ? `\n## Many workspaces at once\n\n| what | time | result | memory |\n|---|---|---|---|\n${concurrent.join('\n')}\n` : ''}${gzip.length ? `\n## Frontend transfer: gzip\n\n| runtime | frontend served | open → rendered (median) | runs | MB transferred |\n|---|---|---|---|---|\n${gzip.join('\n')}\n` : ''}
RSS counts the node binary's and libraries' shared pages in every process; PSS divides them among
the processes sharing them, so PSS is the better cost of one more workspace. On gVisor the tree is
\`runsc run\` → the sandbox (Sentry, which holds the workspace's memory) and its gofer.

${earlier}`;

function runscVersion() {
  try {
    return execFileSync('runsc', ['--version'], { encoding: 'utf8' }).split('\n')[0].replace('runsc version ', '');
  } catch {
    return 'not installed';
  }
}
fs.mkdirSync(path.join(root, 'bench/results'), { recursive: true });
if (process.env.BENCH_JSON) fs.writeFileSync(process.env.BENCH_JSON, JSON.stringify(all, null, 1));
fs.writeFileSync(path.join(root, 'bench/results/ide.md'), md);
console.log(md);
