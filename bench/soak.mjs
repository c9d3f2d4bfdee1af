#!/usr/bin/env node
// `npm run bench:soak`: long-uptime soak. Runs the built server as its own process
// (SQLite, continuous sync on) and drives a mixed load against it for
// BENCH_SOAK_MINUTES (default 30): API reads and writes (sessions, profile, token
// refresh), the files API (writes, read-backs, listings, deletes) and SSE chat streams
// from a fake LLM upstream on loopback. Every BENCH_SOAK_SAMPLE_SECONDS (default 60) it
// records the server's RSS and open descriptors (/proc/PID) and its event-loop delay p99
// (the server's own perf_hooks monitorEventLoopDelay, via the Prometheus listener; the
// histogram restarts at each scrape, so each sample covers its own interval).
// Writes bench/results/soak.md (BENCH_SOAK_OUT overrides; `-` skips) and prints a JSON
// summary as the last line of stdout. IDE WebSockets are not part of the load (a
// workspace IDE needs the sandbox and ~1 GB per IDE; bench/ide.mjs covers them).
import { spawn } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { FakeUpstream } from '../packages/server/dist/llm/testing/fake-upstream.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const MINUTES = Number(process.env.BENCH_SOAK_MINUTES ?? 30);
const SAMPLE_S = Number(process.env.BENCH_SOAK_SAMPLE_SECONDS ?? 60);
const OUT = process.env.BENCH_SOAK_OUT ?? path.join(root, 'bench/results/soak.md');
/** Pause between one worker's operations: a steady mixed load, not a throughput test. */
const PACE_MS = Number(process.env.BENCH_SOAK_PACE_MS ?? 20);
/** The first this-many samples (≥ 1, about a sixth of the run) are warm-up: JIT, caches, pools. */
const totalSamples = Math.max(2, Math.round((MINUTES * 60) / SAMPLE_S));
const WARMUP = Math.max(1, Math.round(totalSamples / 6));

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const freePort = () => new Promise((resolve) => {
  const s = net.createServer().listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)); });
});

const fake = await new FakeUpstream().start();
fake.defaultBehaviour = { kind: 'ok', chunks: Array.from({ length: 200 }, (_, i) => `t${i} `), chunkDelayMs: 2 };

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'coditect-soak-'));
const [port, metricsPort] = [await freePort(), await freePort()];
const server = spawn(process.execPath, [path.join(root, 'packages/server/dist/main.js')], {
  env: { ...process.env, NODE_ENV: 'production', PORT: String(port), HOST: '127.0.0.1', CODITECT_DATA_DIR: dataDir,
    CODITECT_JWT_SECRET: randomBytes(36).toString('base64'), CODITECT_LLM_MASTER_KEY: randomBytes(32).toString('hex'),
    CODITECT_JWT_PRIVATE_KEY: generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    // The fake upstream is on loopback, which tenants' base URLs reach only when the operator allows it.
    CODITECT_EGRESS_ALLOW: '127.0.0.1/32', CODITECT_METRICS_LISTEN: `127.0.0.1:${metricsPort}`, CODITECT_LOG_LEVEL: 'warn',
    CODITECT_RATE_LIMIT_REGISTER_IP: '100000/60s', CODITECT_RATE_LIMIT_LOGIN_IP: '100000/60s', CODITECT_RATE_LIMIT_REFRESH_IP: '100000/60s',
    CODITECT_RATE_LIMIT_LLM: '10000000/60s', CODITECT_RATE_LIMIT_SESSION_CREATE: '100000/60s' },
  stdio: ['ignore', 'ignore', 'pipe'],
});
let serverLog = '';
server.stderr.on('data', (d) => { serverLog = (serverLog + d).slice(-4000); });
const api = `http://127.0.0.1:${port}/api/v5`;
for (let i = 0; ; i++) {
  if (server.exitCode !== null) throw new Error(`server exited: ${serverLog}`);
  if (i > 600) throw new Error('server did not start');
  if (await fetch(`${api}/health`).then((r) => r.ok, () => false)) break;
  await sleep(100);
}

// ---- load -------------------------------------------------------------------------------
const counts = { ops: 0, errors: 0, streams: 0, fileWrites: 0 };
const errorSamples = [];
function fail(what, detail) {
  counts.errors++;
  if (errorSamples.length < 10) errorSamples.push(`${what}: ${detail}`);
}
async function call(method, p, { token, body, raw } = {}) {
  const res = await fetch(api + p, { method, headers: { ...(token ? { authorization: `Bearer ${token}` } : {}),
    ...(body === undefined ? {} : { 'content-type': raw ? 'application/octet-stream' : 'application/json' }) },
  body: body === undefined ? undefined : raw ? body : JSON.stringify(body) });
  counts.ops++;
  const text = await res.text();
  if (res.status >= 400) fail(`${method} ${p.split('?')[0]}`, `${res.status} ${text.slice(0, 200)}`);
  return { status: res.status, text, json: () => JSON.parse(text) };
}

const accounts = [];
for (let i = 0; i < 3; i++) {
  const reg = (await call('POST', '/auth/register', { body: { email: `soak-${i}-${Date.now()}@example.com`, password: 'correct horse battery staple', firstName: 'Soak', lastName: `N${i}` } })).json();
  const acct = { token: reg.accessToken, refresh: reg.refreshToken, sessions: [] };
  for (let s = 0; s < 2; s++) acct.sessions.push((await call('POST', '/sessions', { token: acct.token, body: { name: `soak ${s}` } })).json().id);
  await call('PUT', '/llm/providers/openai', { token: acct.token, body: { apiKey: 'sk-soak-key-0000', baseUrl: fake.baseUrl('openai'), enabled: true } });
  accounts.push(acct);
}

let stopping = false;
const pick = (xs) => xs[Math.floor(Math.random() * xs.length)];

/** Sessions, profile and token refresh (access tokens are short-lived: a refresh every few minutes keeps them valid). */
async function apiWorker(acct) {
  let lastRefresh = Date.now();
  while (!stopping) {
    const r = Math.random();
    if (Date.now() - lastRefresh > 4 * 60_000) {
      const pair = (await call('POST', '/auth/refresh', { body: { refreshToken: acct.refresh } })).json();
      acct.token = pair.accessToken;
      acct.refresh = pair.refreshToken;
      lastRefresh = Date.now();
    } else if (r < 0.35) await call('GET', '/sessions', { token: acct.token });
    else if (r < 0.55) await call('GET', '/users/me', { token: acct.token });
    else if (r < 0.75) await call('PATCH', `/sessions/${pick(acct.sessions)}`, { token: acct.token, body: { name: `soak ${Math.random().toString(36).slice(2, 8)}` } });
    else if (r < 0.85) await call('PUT', '/users/me/profile', { token: acct.token, body: { company: `c${Math.floor(Math.random() * 1000)}` } });
    else {
      // A session made and deleted: rows, a workspace folder and its sync point come and go.
      const id = (await call('POST', '/sessions', { token: acct.token, body: { name: 'churn' } })).json().id;
      await call('PUT', `/sessions/${id}/files/content?path=a.txt`, { token: acct.token, body: 'churn', raw: true });
      await call('DELETE', `/sessions/${id}`, { token: acct.token });
    }
    await sleep(PACE_MS);
  }
}

/** Writes, read-backs (content checked), listings and deletes in one session. */
async function filesWorker(acct, sessionId) {
  while (!stopping) {
    const p = `f${Math.floor(Math.random() * 40)}.txt`;
    const body = randomBytes(512 + Math.floor(Math.random() * 8192)).toString('base64');
    const q = `/sessions/${sessionId}/files/content?path=${encodeURIComponent(p)}`;
    const w = await call('PUT', q, { token: acct.token, body, raw: true });
    if (w.status < 300) {
      counts.fileWrites++;
      const back = await call('GET', q, { token: acct.token });
      if (back.status === 200 && back.text !== body) fail('read-back', `${p} differs from what was written`);
    }
    if (Math.random() < 0.2) await call('GET', `/sessions/${sessionId}/files`, { token: acct.token });
    if (Math.random() < 0.05) await call('DELETE', `/sessions/${sessionId}/files?path=${encodeURIComponent(p)}`, { token: acct.token });
    await sleep(PACE_MS);
  }
}

/** SSE chat streams through the gateway, read to the end (some persisted as conversations). */
async function streamWorker(acct) {
  while (!stopping) {
    try {
      const res = await fetch(`${api}/llm/chat`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${acct.token}` },
        body: JSON.stringify({ model: 'openai/gpt-4o', persist: Math.random() < 0.2, messages: [{ role: 'user', content: 'soak' }] }) });
      counts.ops++;
      const text = await res.text();
      const deltas = text.split('\n\n').filter((b) => b.startsWith('event: delta')).length;
      if (res.status !== 200 || deltas !== 200) fail('chat stream', `${res.status}, ${deltas} deltas ${text.slice(0, 200)}`);
      else counts.streams++;
    } catch (err) {
      fail('chat stream', String(err));
    }
    await sleep(PACE_MS * 5);
  }
}

// ---- sampling ---------------------------------------------------------------------------
/**
 * A control: an idle Node process measuring its own event-loop delay the same way. On a
 * shared, oversubscribed machine the scheduler alone delays event loops; the control
 * shows how much of the server's delay is that.
 */
const control = spawn(process.execPath, ['-e', `
  const h = require('node:perf_hooks').monitorEventLoopDelay({ resolution: 10 }); h.enable();
  process.on('message', () => { process.send(h.percentile(99) / 1e6); h.reset(); });
  setInterval(() => {}, 1000);`], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
const controlP99 = () => new Promise((resolve) => { control.once('message', resolve); control.send('sample'); });
function procStats(pid) {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const rssKb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return { rssMb: rssKb / 1024, fds: fs.readdirSync(`/proc/${pid}/fd`).length };
}
async function scrape() {
  const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
  const value = (name) => Number(new RegExp(`^${name}(?:\\{[^}]*\\})? ([0-9.e+-]+)$`, 'm').exec(text)?.[1] ?? NaN);
  return { lagP99Ms: value('coditect_nodejs_eventloop_lag_p99_seconds') * 1000, lagMaxMs: value('coditect_nodejs_eventloop_lag_max_seconds') * 1000,
    heapMb: value('coditect_nodejs_heap_size_used_bytes') / 2 ** 20, syncs: value('coditect_workspace_syncs_total') };
}

await controlP99();
await scrape(); // restarts the server's delay histogram: the first sample covers the first interval only
const workers = [];
for (const acct of accounts) {
  workers.push(apiWorker(acct), filesWorker(acct, acct.sessions[0]), streamWorker(acct));
}
const guarded = workers.map((w) => w.catch((err) => { fail('worker', err.stack ?? String(err)); }));

const samples = [];
const t0 = Date.now();
for (let i = 1; i <= totalSamples; i++) {
  await sleep(t0 + i * SAMPLE_S * 1000 - Date.now());
  if (server.exitCode !== null) { fail('server', `exited with ${server.exitCode}: ${serverLog}`); break; }
  const s = { minute: (i * SAMPLE_S) / 60, ...procStats(server.pid), ...(await scrape()), controlLagP99Ms: await controlP99(), ops: counts.ops, errors: counts.errors };
  samples.push(s);
  console.error(`[soak] ${s.minute.toFixed(1)} min: rss ${s.rssMb.toFixed(1)} MB, fds ${s.fds}, lag p99 ${s.lagP99Ms.toFixed(1)} ms (idle control ${s.controlLagP99Ms.toFixed(1)}), heap ${s.heapMb.toFixed(1)} MB, ops ${s.ops}, errors ${s.errors}`);
}
stopping = true;
await Promise.all(guarded);
control.kill();
server.kill('SIGTERM');
await new Promise((r) => { if (server.exitCode !== null) r(); else server.once('exit', r); });
await fake.close();
fs.rmSync(dataDir, { recursive: true, force: true });

// ---- verdict ----------------------------------------------------------------------------
const after = samples.slice(WARMUP);
const base = after[0] ?? samples.at(-1);
const last = samples.at(-1);
const rssGrowthPct = ((last.rssMb - base.rssMb) / base.rssMb) * 100;
const fdsAfter = after.map((s) => s.fds);
const fdSpread = Math.max(...fdsAfter) - Math.min(...fdsAfter);
const worstLag = Math.max(...after.map((s) => s.lagP99Ms));
const summary = { minutes: MINUTES, sampleSeconds: SAMPLE_S, warmupSamples: WARMUP, ops: counts.ops, errors: counts.errors, streams: counts.streams,
  fileWrites: counts.fileWrites, rssGrowthPct, fdSpread, fdsMax: Math.max(...samples.map((s) => s.fds)), worstLagP99Ms: worstLag, errorSamples, samples };

if (OUT !== '-') {
  const f = (x, d = 1) => x.toFixed(d);
  const verdict = (ok) => (ok ? 'met' : 'missed');
  const md = [
    '# Soak: long uptime under mixed load',
    '',
    `\`npm run bench:soak\` (bench/soak.mjs), ${MINUTES} minutes${MINUTES < 30 ? ' (shorter than the 30-minute default: BENCH_SOAK_MINUTES)' : ''}, ` +
      `sampled every ${SAMPLE_S} s; ${os.cpus().length} cores (${os.cpus()[0]?.model ?? 'cpu'}), Node ${process.versions.node}, ` +
      `SQLite, continuous sync on; run on ${new Date().toISOString().slice(0, 16)}Z.`,
    '',
    'Load (3 accounts, 9 workers, ~20 ms pause between operations): sessions list/rename/create+delete, profile writes,',
    'token refresh; files API writes of 0.5–8 KB with read-back checks, listings, deletes; SSE chat streams of 200 chunks',
    'from a fake OpenAI upstream on loopback (some persisted). IDE WebSockets are not in the load (bench/ide.mjs covers them).',
    'Event-loop delay is the server\'s own `monitorEventLoopDelay` (prom-client, 10 ms resolution), p99 per sample interval;',
    '"idle control" is the same measurement in an idle Node process on the same machine (what the CPU scheduler alone costs).',
    `Machine load average at the end: ${os.loadavg().map((x) => x.toFixed(1)).join(' / ')} (1 / 5 / 15 min) on ${os.cpus().length} cores.`,
    '',
    `Totals: ${counts.ops} requests, ${counts.streams} streams, ${counts.fileWrites} file writes, **${counts.errors} errors**.`,
    '',
    '| minute | RSS MB | heap MB | open fds | lag p99 ms | lag max ms | idle control p99 ms | requests so far | errors |',
    '|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...samples.map((s, i) => `| ${f(s.minute)}${i < WARMUP ? ' (warm-up)' : ''} | ${f(s.rssMb)} | ${f(s.heapMb)} | ${s.fds} | ${f(s.lagP99Ms)} | ${f(s.lagMaxMs)} | ${f(s.controlLagP99Ms)} | ${s.ops} | ${s.errors} |`),
    '',
    '## Against the targets (after warm-up)',
    '',
    `- RSS growth ${f(rssGrowthPct)} % (${f(base.rssMb)} → ${f(last.rssMb)} MB): **${verdict(rssGrowthPct <= 10)}** (target ≤ 10 %)`,
    `- open descriptors between ${Math.min(...fdsAfter)} and ${Math.max(...fdsAfter)}: **${verdict(fdSpread <= 10)}** (target: flat, spread ≤ 10)`,
    `- worst per-interval event-loop delay p99 ${f(worstLag)} ms: **${verdict(worstLag <= 50)}** (target ≤ 50 ms)`,
    `- errors: ${counts.errors}${errorSamples.length ? ` — first: ${errorSamples.slice(0, 3).join('; ')}` : ''}`,
    '',
  ].join('\n');
  fs.writeFileSync(OUT, md);
}
console.log(JSON.stringify(summary));
process.exit(0);
