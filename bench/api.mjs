#!/usr/bin/env node
// `npm run bench:api`: API throughput and latency against a bare node:http ceiling, on
// SQLite and PostgreSQL, plus the same GET during a burst of logins. Servers run as child
// processes; autocannon drives them from this process. Writes bench/results/api.md.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { findPostgresBin, freePort, startPostgresCluster, APP_ROLE } from '../packages/server/dist/devtools/postgres-cluster.js';
import { execFileSync } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';

const SIGNING_KEY = generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const DURATION = Number(process.env.BENCH_DURATION ?? 10);
const CONNECTIONS = 100;
const SESSIONS = 1000;
const LOGIN_CONCURRENCY = 50;

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function waitHealthy(url) {
  for (let i = 0; i < 200; i++) {
    try { if ((await fetch(url)).ok) return; } catch { /* starting */ }
    await sleep(100);
  }
  throw new Error(`not healthy: ${url}`);
}

function spawnNode(args, env) {
  const child = spawn(process.execPath, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'inherit'] });
  return child;
}

async function startCeiling() {
  const port = await freePort();
  const code = `require('node:http').createServer((q,s)=>{s.writeHead(200,{'content-type':'application/json'});s.end('{"hello":"world"}')}).listen(${port},'127.0.0.1')`;
  const child = spawnNode(['-e', code], {});
  await waitHealthy(`http://127.0.0.1:${port}/`);
  return { url: `http://127.0.0.1:${port}`, stop: () => child.kill() };
}

async function startCoditect(databaseUrl, dataDir) {
  const port = await freePort();
  const child = spawnNode([path.join(root, 'packages/server/dist/main.js')], {
    NODE_ENV: 'production', PORT: String(port), HOST: '127.0.0.1', CODITECT_DATA_DIR: dataDir,
    CODITECT_DATABASE_URL: databaseUrl, CODITECT_JWT_SECRET: randomBytes(36).toString('base64'), CODITECT_JWT_PRIVATE_KEY: SIGNING_KEY,
    CODITECT_LLM_MASTER_KEY: randomBytes(32).toString('hex'),
    CODITECT_LOG_LEVEL: 'warn', CODITECT_DB_POOL_SIZE: '20',
    CODITECT_RATE_LIMIT_LOGIN_IP: '1000000/60s', CODITECT_RATE_LIMIT_SESSION_CREATE: '1000000/60s', CODITECT_RATE_LIMIT_LOGIN_PAIR: '1000000/60s', CODITECT_RATE_LIMIT_LOGIN_ACCOUNT: '1000000/60s', CODITECT_RATE_LIMIT_REGISTER_IP: '1000000/60s',
  });
  const url = `http://127.0.0.1:${port}`;
  await waitHealthy(`${url}/api/v5/health`);
  return { url, stop: () => child.kill('SIGTERM') };
}

async function api(base, method, p, body, token) {
  const res = await fetch(base + '/api/v5' + p, {
    method, body: body && JSON.stringify(body),
    headers: { ...(body ? { 'content-type': 'application/json' } : {}), ...(token ? { authorization: `Bearer ${token}` } : {}) },
  });
  if (!res.ok) throw new Error(`${method} ${p}: ${res.status} ${await res.text()}`);
  return res.status === 204 ? undefined : res.json();
}

/** One tenant with SESSIONS workspace sessions; returns its access token. */
async function seed(base) {
  const email = `bench-${Date.now()}@example.com`;
  const reg = await api(base, 'POST', '/auth/register', { email, password: 'bench password 1', firstName: 'B', lastName: 'Ench' });
  for (let i = 0; i < SESSIONS; i += 50) {
    await Promise.all(Array.from({ length: 50 }, (_, j) => api(base, 'POST', '/sessions', { name: `session ${i + j}` }, reg.accessToken)));
  }
  const page = await api(base, 'GET', '/sessions?limit=50', undefined, reg.accessToken);
  if (page.items.length !== 50 || !page.nextCursor) throw new Error('seed failed');
  return { token: reg.accessToken, email };
}

function load(url, headers = {}) {
  return new Promise((resolve, reject) => {
    autocannon({ url, connections: CONNECTIONS, duration: DURATION, headers }, (err, r) => {
      if (err) return reject(err);
      if (r.non2xx > 0) return reject(new Error(`${url}: ${r.non2xx} non-2xx responses`));
      resolve({ rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, total: r.requests.total, errors: r.errors + r.timeouts });
    });
  });
}

/** Keeps LOGIN_CONCURRENCY logins in flight until stopped; counts completions. */
function loginBurst(base, email) {
  let stop = false;
  let done = 0;
  const loop = async () => {
    while (!stop) {
      await api(base, 'POST', '/auth/login', { email, password: 'bench password 1' });
      done++;
    }
  };
  const loops = Array.from({ length: LOGIN_CONCURRENCY }, loop);
  return { async end() { stop = true; await Promise.all(loops); return done; } };
}

async function benchEngine(name, databaseUrl, dataDir, ceiling, rows) {
  const server = await startCoditect(databaseUrl, dataDir);
  try {
    const { token, email } = await seed(server.url);
    const auth = { authorization: `Bearer ${token}` };
    const list = await load(`${server.url}/api/v5/sessions?limit=50`, auth);
    rows.push({ name: `${name}: GET /sessions?limit=50 (1,000 sessions)`, ...list, ratio: list.rps / ceiling.rps, target: 'p99 ≤ 25 ms, ≥ 30 %', ok: !list.errors && list.p99 <= 25 && list.rps / ceiling.rps >= 0.3 });
    const me = await load(`${server.url}/api/v5/users/me`, auth);
    rows.push({ name: `${name}: GET /users/me`, ...me, ratio: me.rps / ceiling.rps, target: 'p99 ≤ 25 ms, ≥ 30 %', ok: !me.errors && me.p99 <= 25 && me.rps / ceiling.rps >= 0.3 });
    const burst = loginBurst(server.url, email);
    const during = await load(`${server.url}/api/v5/sessions?limit=50`, auth);
    const logins = await burst.end();
    rows.push({ name: `${name}: GET /sessions during ${LOGIN_CONCURRENCY} concurrent logins (${logins} logins, ${(logins / DURATION).toFixed(0)}/s)`, ...during, ratio: during.rps / ceiling.rps, target: 'p99 ≤ 60 ms', ok: !during.errors && during.total > 0 && during.p99 <= 60 });
  } finally {
    server.stop();
  }
}

const rows = [];
const ceilingServer = await startCeiling();
const ceiling = await load(ceilingServer.url);
ceilingServer.stop();
rows.push({ name: 'ceiling: bare node:http hello', ...ceiling, ratio: 1, target: '—', ok: true });

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'coditect-bench-'));
await benchEngine('SQLite', `sqlite:${path.join(tmp, 'bench.db')}`, tmp, ceiling, rows);

const pgBin = findPostgresBin();
if (pgBin) {
  const cluster = await startPostgresCluster(pgBin);
  try {
    execFileSync('psql', [cluster.adminUrl, '-qc', `create database bench owner ${APP_ROLE}`]);
    await benchEngine('PostgreSQL', `${cluster.appUrlBase}/bench`, tmp, ceiling, rows);
  } finally {
    cluster.stop();
  }
} else {
  rows.push({ name: 'PostgreSQL: skipped (binaries not found)', rps: 0, p50: 0, p99: 0, ratio: 0, target: '—', ok: false });
}
fs.rmSync(tmp, { recursive: true, force: true });

const cpu = os.cpus()[0]?.model ?? 'unknown';
const lines = [
  '# API benchmark',
  '',
  `Run: ${new Date().toISOString()} · Node ${process.version} · ${os.cpus().length} × ${cpu} · ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB · ${os.type()} ${os.release()}`,
  `autocannon in the bench process, servers as child processes on loopback; ${CONNECTIONS} connections, ${DURATION} s per row.`,
  'PostgreSQL is a throwaway local cluster (fsync off); the app connects as a non-superuser role, so RLS applies.',
  '',
  '| scenario | req/s | p50 ms | p99 ms | vs ceiling | target | met |',
  '|---|---:|---:|---:|---:|---|---|',
  ...rows.map((r) => `| ${r.name}${r.errors ? ` (${r.errors} errors/timeouts)` : ''} | ${Math.round(r.rps)} | ${r.p50} | ${r.p99} | ${(r.ratio * 100).toFixed(0)} % | ${r.target} | ${r.ok ? 'yes' : '**no**'} |`),
  '',
];
fs.mkdirSync(path.join(root, 'bench', 'results'), { recursive: true });
fs.writeFileSync(path.join(root, 'bench', 'results', 'api.md'), lines.join('\n'));
console.log(lines.join('\n'));
process.exit(0);
