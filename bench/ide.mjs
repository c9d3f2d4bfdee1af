#!/usr/bin/env node
// `npm run bench:ide`: the IDE as a user gets it. The real server runs in this process (built
// dist, SQLite, real bubblewrap sandboxes, the built web app); headless Chromium drives the web
// app's IDE page, whose frame records "open request → workbench rendered" (data-ready-ms).
// Measures cold open, warm reopen, memory per idle workspace (without and with a browser
// attached) and 20 workspaces running at once. Writes bench/results/ide.md.
//   BENCH_RUNS=5 (cold/warm samples)  BENCH_CONCURRENT=20  CODITECT_CHROMIUM=/usr/bin/chromium
import crypto from 'node:crypto';
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

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const CONCURRENT = Number(process.env.BENCH_CONCURRENT ?? 20);
const CHROMIUM = process.env.CODITECT_CHROMIUM ?? '/usr/bin/chromium';
const TARGET = { coldMs: 3000, warmMs: 1000, idleMb: 200 };
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : Math.round((s[s.length / 2 - 1] + s[s.length / 2]) / 2);
};
const load = () => os.loadavg().map((x) => x.toFixed(2)).join(' / ');
const log = (m) => console.log(`[bench:ide] ${m}`);

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
function socketIoHandshake(id, cookie) {
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

// ---- server ----
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'coditect-bench-ide-'));
const config = loadConfig({
  ...process.env,
  NODE_ENV: 'production', PORT: '0', HOST: '127.0.0.1', CODITECT_DATA_DIR: dataDir,
  CODITECT_WEB_DIR: path.join(root, 'packages/web/dist'), CODITECT_LOG_LEVEL: 'warn', CODITECT_DOCS: 'false',
  CODITECT_JWT_SECRET: 'bench-secret-bench-secret-bench-secret-0123',
  CODITECT_MAX_WORKSPACES: String(Math.max(CONCURRENT + 2, 20)), CODITECT_WORKSPACE_IDLE_MINUTES: '60',
  CODITECT_RATE_LIMIT_LOGIN_IP: '100000/60s', CODITECT_RATE_LIMIT_SESSION_CREATE: '100000/60s', CODITECT_RATE_LIMIT_WORKSPACE_OPEN: '100000/60s', CODITECT_RATE_LIMIT_LLM: '100000/60s', CODITECT_MAX_WORKSPACES_PER_TENANT: '1000', CODITECT_RATE_LIMIT_LOGIN_ACCOUNT: '100000/60s', CODITECT_RATE_LIMIT_REGISTER_IP: '100000/60s', CODITECT_RATE_LIMIT_REFRESH_IP: '100000/60s',
});
const server = await startServer(config);
const base = server.url.replace('[::1]', '127.0.0.1');
const runner = server.deps.workspaces.runner;
log(`server ${base}, data ${dataDir}, load ${load()}`);

async function api(method, p, body, token) {
  const res = await fetch(`${base}/api/v5${p}`, {
    method, body: body && JSON.stringify(body),
    headers: { ...(body ? { 'content-type': 'application/json' } : {}), ...(token ? { authorization: `Bearer ${token}` } : {}) },
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : undefined };
}

const email = `bench.${Date.now()}@example.com`;
const password = 'correct horse battery staple';
const reg = await api('POST', '/auth/register', { email, password, firstName: 'Bench', lastName: 'Mark' });
const token = reg.body.accessToken;
const newSession = async (name) => (await api('POST', '/sessions', { name }, token)).body.id;

const browser = await chromium.launch({
  executablePath: CHROMIUM, headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-dev-shm-usage'],
});
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
/** Navigates the app to the session's tab; returns the frame's "open request → workbench rendered". */
async function openInApp(page, id) {
  await page.goto(`/ide/${id}`);
  const frame = page.locator(`#panel-${id} [data-testid="ide-frame"][data-state="ready"]`);
  await frame.waitFor({ state: 'attached', timeout: 180_000 });
  return { openMs: Number(await frame.getAttribute('data-open-ms')), readyMs: Number(await frame.getAttribute('data-ready-ms')) };
}

const results = { loadStart: load(), cpus: os.cpus().length, memGb: Math.round(os.totalmem() / 2 ** 30) };
try {
  // ---- cold: backend stopped, fresh browser profile (empty HTTP cache) ----
  const cold = [];
  for (let i = 0; i < RUNS; i++) {
    const id = await newSession(`cold-${i}`);
    const { context, page } = await signedInContext();
    const r = await openInApp(page, id);
    cold.push(r);
    log(`cold ${i + 1}/${RUNS}: open ${r.openMs} ms, rendered ${r.readyMs} ms (load ${load()})`);
    await context.close();
    await api('POST', `/sessions/${id}/stop`, undefined, token);
  }
  results.cold = cold;
  results.loadAfterCold = load();

  // ---- warm: backend running, same browser profile (cached assets), the tab reopened ----
  const warmId = await newSession('warm');
  const { context: warmCtx, page: warmPage } = await signedInContext();
  await openInApp(warmPage, warmId);
  const warm = [];
  for (let i = 0; i < RUNS; i++) {
    await warmPage.goto('/');
    const r = await openInApp(warmPage, warmId);
    warm.push(r);
    log(`warm ${i + 1}/${RUNS}: open ${r.openMs} ms, rendered ${r.readyMs} ms (load ${load()})`);
  }
  results.warm = warm;
  results.loadAfterWarm = load();

  // ---- memory of an idle workspace: no browser, browser attached, browser gone ----
  await warmCtx.close();
  await api('POST', `/sessions/${warmId}/stop`, undefined, token);
  const memId = await newSession('memory');
  await api('POST', `/sessions/${memId}/open`, undefined, token);
  await sleep(15_000);
  const pid = runner.get(memId).pid;
  results.memNoBrowser = treeMemory(pid);
  const { context: memCtx, page: memPage } = await signedInContext();
  await openInApp(memPage, memId);
  await sleep(15_000);
  results.memWithBrowser = treeMemory(pid);
  await memCtx.close();
  await sleep(15_000);
  results.memAfterBrowser = treeMemory(pid);
  log(`memory: ${JSON.stringify([results.memNoBrowser, results.memWithBrowser, results.memAfterBrowser].map((m) => m.rssMb))} MB RSS`);
  await api('POST', `/sessions/${memId}/stop`, undefined, token);

  // ---- N at once: open them all concurrently, each serves its IDE page and takes a WebSocket ----
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
  const sockets = await Promise.all(opens.map((o) => socketIoHandshake(o.id, o.cookie)));
  await sleep(5000);
  const mems = opens.filter((o) => runner.get(o.id)).map((o) => treeMemory(runner.get(o.id).pid));
  results.concurrent = {
    n: CONCURRENT, allOpenMs, openMs: opens.map((o) => o.ms),
    failures: opens.filter((o) => o.status !== 200).map((o) => `${o.status} ${o.error?.code ?? ''}`),
    pagesOk: pages.filter((s) => s === 200).length, socketsOk: sockets.filter((s) => s === 'ok').length,
    socketProblems: sockets.filter((s) => s !== 'ok'),
    running: ids.filter((id) => runner.status(id) === 'running').length,
    totalRssMb: mems.reduce((a, m) => a + m.rssMb, 0), totalPssMb: mems.reduce((a, m) => a + m.pssMb, 0),
    load: load(),
  };
  log(`concurrent: ${JSON.stringify(results.concurrent)}`);
  await Promise.all(ids.map((id) => api('POST', `/sessions/${id}/stop`, undefined, token)));

  // ---- cheapest win: the frontend bundle served gzip-compressed (Theia serves `X.gz` for `X` when it exists) ----
  if (process.env.BENCH_GZIP !== '0') {
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
    const gz = [];
    if (!preexisting) {
      gz.push(await measure('plain, loopback', 0), await measure('plain, 50 Mbit/s', 50_000));
      for (const f of assets) fs.writeFileSync(path.join(frontend, `${f}.gz`), zlib.gzipSync(fs.readFileSync(path.join(frontend, f)), { level: 9 }));
    }
    try {
      gz.push(await measure('gzip, loopback', 0), await measure('gzip, 50 Mbit/s', 50_000));
    } finally {
      if (!preexisting) for (const f of assets) fs.rmSync(path.join(frontend, `${f}.gz`), { force: true });
    }
    results.gzip = { preexisting, rows: gz };
    await api('POST', `/sessions/${gzId}/stop`, undefined, token);
  }
} finally {
  await browser.close();
  await server.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
}
results.loadEnd = load();

// ---- report ----
const coldMed = median(results.cold.map((r) => r.readyMs));
const warmMed = median(results.warm.map((r) => r.readyMs));
const verdict = (ok) => (ok ? '**met**' : '**missed**');
const c = results.concurrent;
const concurrentOk = c.failures.length === 0 && c.pagesOk === c.n && c.socketsOk === c.n && c.running === c.n;
const md = `# IDE benchmark

\`npm run bench:ide\` (\`bench/ide.mjs\`), ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC.
The real server in-process (SQLite, real bubblewrap sandboxes, Theia 1.74.1 production build), the
built web app, headless Chromium (\`${CHROMIUM}\`) driving the IDE page. "Rendered" = the web
app's frame saw Theia's shell and status bar with the preload screen gone; the clock starts just
before \`POST /sessions/{id}/open\`.

**Machine**: ${results.cpus} cores, ${results.memGb} GB, shared with other engineers' builds.
Load average (1 / 5 / 15 min): ${results.loadStart} at the start, ${results.loadAfterCold} after the
cold runs, ${results.loadAfterWarm} after the warm runs, ${c.load} with ${c.n} IDEs up,
${results.loadEnd} at the end.

| what | median | runs | target | |
|---|---|---|---|---|
| cold open: backend stopped, fresh browser profile → workbench rendered | **${(coldMed / 1000).toFixed(1)} s** | ${results.cold.map((r) => (r.readyMs / 1000).toFixed(1)).join(', ')} s | ≤ 3 s | ${verdict(coldMed <= TARGET.coldMs)} |
| … of which \`POST /open\` (sandbox + Theia start) | ${(median(results.cold.map((r) => r.openMs)) / 1000).toFixed(1)} s | ${results.cold.map((r) => (r.openMs / 1000).toFixed(1)).join(', ')} s | | |
| warm reopen: backend running, cached assets, tab reopened → rendered | **${(warmMed / 1000).toFixed(1)} s** | ${results.warm.map((r) => (r.readyMs / 1000).toFixed(1)).join(', ')} s | ≤ 1 s | ${verdict(warmMed <= TARGET.warmMs)} |
| … of which \`POST /open\` | ${median(results.warm.map((r) => r.openMs))} ms | ${results.warm.map((r) => r.openMs).join(', ')} ms | | |
| idle workspace, no browser attached (15 s after start) | **${results.memNoBrowser.rssMb} MB RSS** (PSS ${results.memNoBrowser.pssMb} MB) | ${results.memNoBrowser.parts.join(' + ')} | ≤ 200 MB | ${verdict(results.memNoBrowser.rssMb <= TARGET.idleMb)} |
| idle workspace, browser attached (15 s after render) | **${results.memWithBrowser.rssMb} MB RSS** (PSS ${results.memWithBrowser.pssMb} MB) | ${results.memWithBrowser.parts.join(' + ')} | ≤ 200 MB | ${verdict(results.memWithBrowser.rssMb <= TARGET.idleMb)} |
| idle workspace, 15 s after the browser left | ${results.memAfterBrowser.rssMb} MB RSS (PSS ${results.memAfterBrowser.pssMb} MB) | ${results.memAfterBrowser.parts.join(' + ')} | ≤ 200 MB | ${verdict(results.memAfterBrowser.rssMb <= TARGET.idleMb)} |
| ${c.n} workspaces opened at once | all running in ${(c.allOpenMs / 1000).toFixed(1)} s (per open: median ${(median(c.openMs) / 1000).toFixed(1)} s, max ${(Math.max(...c.openMs) / 1000).toFixed(1)} s) | ${c.n - c.failures.length}/${c.n} opens OK, ${c.pagesOk}/${c.n} IDE pages 200, ${c.socketsOk}/${c.n} WebSockets through the proxy, ${c.running}/${c.n} running | without error | ${verdict(concurrentOk)} |
| … their memory together | ${c.totalRssMb} MB RSS, ${c.totalPssMb} MB PSS (${Math.round(c.totalPssMb / c.n)} MB PSS each) | | | |
${c.failures.length || c.socketProblems.length ? `\nProblems with ${c.n} at once: ${[...c.failures, ...c.socketProblems].join('; ')}\n` : ''}
${results.gzip ? `## Frontend transfer: gzip

Theia's backend answers \`bundle.js\` with \`bundle.js.gz\` (\`Content-Encoding: gzip\`) when that file exists next to
it; the production build writes none${results.gzip.preexisting ? ' (this run found .gz files already present, so only the gzip rows were measured)' : ''}. Same warm backend, a fresh browser profile per run
(empty HTTP cache), 3 runs each, "MB" = bytes on the wire for the whole page load:

| frontend served | open → rendered (median) | runs | MB transferred |
|---|---|---|---|
${results.gzip.rows.map((r) => `| ${r.label} | ${(r.readyMs / 1000).toFixed(1)} s | ${r.runs.map((x) => (x / 1000).toFixed(1)).join(', ')} s | ${r.mb.toFixed(1)} |`).join('\n')}
` : ''}
RSS counts the node binary's and libraries' shared pages in every process; PSS divides them among
the processes sharing them, so PSS is the better cost of one more workspace.
`;
fs.mkdirSync(path.join(root, 'bench/results'), { recursive: true });
fs.writeFileSync(path.join(root, 'bench/results/ide.md'), md);
console.log(md);
