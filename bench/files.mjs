#!/usr/bin/env node
// `npm run bench:files`: the files API and snapshots against `tar` / `cp` of the same tree in
// the same run. The built server runs as a child process on SQLite with the default local blob
// store, its data dir on the same filesystem as the baselines' output. Writes bench/results/files.md.
//   BENCH_RUNS (default 5) runs per measurement; medians are reported.
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { freePort } from '../packages/server/dist/devtools/postgres-cluster.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const MiB = 1024 * 1024;
const work = fs.mkdtempSync(path.join(process.env.BENCH_DIR ?? os.tmpdir(), 'coditect-bench-files-'));
const dataDir = path.join(work, 'data');
const scratch = path.join(work, 'scratch'); // baselines write here: same filesystem as the data dir

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); const m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2; };
const ms = (t0) => Number(process.hrtime.bigint() - t0) / 1e6;
const now = () => process.hrtime.bigint();
const fmt = (x) => (x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2));
const sh = (cmd, args) => execFileSync(cmd, args, { stdio: ['ignore', 'ignore', 'inherit'] });
const dropScratch = () => { fs.rmSync(scratch, { recursive: true, force: true }); fs.mkdirSync(scratch, { recursive: true }); };
const loads = [];
const noteLoad = (when) => loads.push({ when, load: os.loadavg().map((l) => l.toFixed(2)).join(' / ') });

// ---- server ---------------------------------------------------------------------------------
const port = await freePort();
const server = spawn(process.execPath, [path.join(root, 'packages/server/dist/main.js')], {
  env: { ...process.env, NODE_ENV: 'production', CODITECT_JWT_SECRET: randomBytes(32).toString('hex'), PORT: String(port), HOST: '127.0.0.1',
    CODITECT_DATA_DIR: dataDir, CODITECT_LOG_LEVEL: 'warn', CODITECT_SNAPSHOT_INTERVAL_SECONDS: '0',
    CODITECT_STORAGE_QUOTA: '100GiB', CODITECT_MAX_FILE_SIZE: '200MiB', CODITECT_DOCS: 'false',
    CODITECT_RATE_LIMIT_REGISTER_IP: '100000/60s', CODITECT_RATE_LIMIT_SESSION_CREATE: '100000/60s', CODITECT_RATE_LIMIT_SNAPSHOT: '100000/60s', CODITECT_RATE_LIMIT_LOGIN_IP: '100000/60s' },
  stdio: ['ignore', 'ignore', 'inherit'],
  ...(process.env.BENCH_SERVER_PROF ? { execArgv: ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_SERVER_PROF}`] } : {}),
});
const base = `http://127.0.0.1:${port}/api/v5`;
for (let i = 0; ; i++) {
  try { if ((await fetch(`${base}/health`)).ok) break; } catch { /* starting */ }
  if (i > 200) throw new Error('server did not start');
  await sleep(100);
}
const call = async (method, p, token, body) => {
  const res = await fetch(`${base}${p}`, { method, headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${p}: ${res.status} ${text}`);
  return text ? JSON.parse(text) : undefined;
};
let users = 0;
async function newWorkspace() {
  const r = await call('POST', '/auth/register', undefined, { email: `bench-${process.pid}-${users++}@example.com`, password: 'correct horse battery staple', firstName: 'B', lastName: 'B' });
  const token = r.accessToken;
  const s = await call('POST', '/sessions', token, { name: 'bench' });
  await call('GET', `/sessions/${s.id}/files?path=`, token); // creates the directory
  return { token, sid: s.id, tenantId: r.tenant.id, dir: path.join(dataDir, 'workspaces', r.tenant.id, s.id) };
}

// ---- trees ----------------------------------------------------------------------------------
/** `files` files spread over folders of 100, sizes drawn around `total / files` (sum exactly `total`). */
function makeTree(dir, files, total) {
  const avg = total / files;
  const sizes = Array.from({ length: files }, (_, i) => Math.max(1, Math.round(avg * (0.25 + 1.5 * ((i * 7919) % 1000) / 1000))));
  const diff = total - sizes.reduce((a, b) => a + b, 0);
  sizes[0] += diff;
  const pool = randomBytes(Math.max(...sizes) + 4096);
  sizes.forEach((size, i) => {
    const d = path.join(dir, `pkg${String(Math.floor(i / 100)).padStart(3, '0')}`, i % 3 ? 'src' : 'lib');
    fs.mkdirSync(d, { recursive: true });
    const off = (i * 131) % 4096;
    const buf = Buffer.from(pool.subarray(off, off + size));
    buf.writeUInt32LE(i, 0); // every file distinct
    fs.writeFileSync(path.join(d, `file${i}.dat`), buf);
  });
}

const results = {};
const record = (name, values) => { results[name] = { median: median(values), runs: values }; };

// ---- 1. listing a 10,000-file tree ----------------------------------------------------------
noteLoad('start');
{
  const w = await newWorkspace();
  makeTree(w.dir, 10_000, 10_000 * 512);
  const list = async (limit) => {
    let cursor; let n = 0;
    do {
      const q = new URLSearchParams({ path: '', recursive: 'true', limit: String(limit), ...(cursor ? { cursor } : {}) });
      const page = await call('GET', `/sessions/${w.sid}/files?${q}`, w.token);
      n += page.items.length; cursor = page.nextCursor ?? undefined;
    } while (cursor);
    return n;
  };
  await list(10_000); // warm
  const full = []; const firstPage = []; const find = []; let entries = 0;
  for (let i = 0; i < RUNS; i++) {
    let t = now(); entries = await list(10_000); full.push(ms(t));
    t = now(); const q = new URLSearchParams({ path: '', recursive: 'true' }); await call('GET', `/sessions/${w.sid}/files?${q}`, w.token); firstPage.push(ms(t));
    t = now(); execFileSync('find', [w.dir, '-printf', '%p %s %T@ %y\n'], { stdio: ['ignore', 'ignore', 'inherit'] }); find.push(ms(t));
  }
  record('list.full', full); record('list.page1000', firstPage); record('list.find', find);
  results.listEntries = entries;
}

// ---- 2. write and read 1 MiB and 100 MiB files ----------------------------------------------
{
  const w = await newWorkspace();
  dropScratch();
  for (const size of [1 * MiB, 100 * MiB]) {
    const src = path.join(work, `src-${size}`);
    fs.writeFileSync(src, randomBytes(size));
    const put = []; const get = []; const cp = []; const cat = [];
    for (let i = 0; i < RUNS; i++) {
      let t = now();
      const res = await fetch(`${base}/sessions/${w.sid}/files/content?path=${encodeURIComponent(`f-${size}-${i}.bin`)}`, {
        method: 'PUT', headers: { authorization: `Bearer ${w.token}`, 'content-type': 'application/octet-stream', 'content-length': String(size) },
        body: Readable.toWeb(fs.createReadStream(src, { highWaterMark: MiB })), duplex: 'half' });
      await res.text();
      if (!res.ok) throw new Error(`PUT ${res.status}`);
      put.push(ms(t));
      t = now();
      const g = await fetch(`${base}/sessions/${w.sid}/files/content?path=${encodeURIComponent(`f-${size}-${i}.bin`)}`, { headers: { authorization: `Bearer ${w.token}` } });
      let got = 0;
      for await (const c of g.body) got += c.length;
      if (got !== size) throw new Error('short read');
      get.push(ms(t));
      t = now(); sh('cp', [src, path.join(scratch, `cp-${size}-${i}`)]); cp.push(ms(t));
      t = now(); sh('cat', [path.join(scratch, `cp-${size}-${i}`)]); cat.push(ms(t));
    }
    const tag = size === MiB ? '1MiB' : '100MiB';
    record(`put.${tag}`, put); record(`get.${tag}`, get); record(`cp.${tag}`, cp); record(`cat.${tag}`, cat);
    fs.rmSync(src);
  }
}

// ---- 3. snapshot and restore a 5,000-file / 100 MiB workspace --------------------------------
noteLoad('before snapshots');
{
  const tree = path.join(work, 'tree');
  makeTree(tree, 5_000, 100 * MiB);
  const first = []; const again = []; const restore = []; const tarC = []; const cpA = []; const tarX = []; const tarCSync = [];
  for (let i = 0; i < RUNS; i++) {
    // A new tenant each run: its first snapshot stores every blob (dedup is per tenant).
    const w = await newWorkspace();
    sh('cp', ['-a', `${tree}/.`, w.dir]);
    dropScratch();
    sh('sync', []);
    let t = now(); const snap = await call('POST', `/sessions/${w.sid}/snapshots`, w.token, { label: 'bench' }); first.push(ms(t));
    t = now(); await call('POST', `/sessions/${w.sid}/snapshots`, w.token, { label: 'unchanged' }); again.push(ms(t));
    t = now(); sh('tar', ['-cf', path.join(scratch, 'tree.tar'), '-C', w.dir, '.']); tarC.push(ms(t));
    t = now(); sh('tar', ['-cf', path.join(scratch, 'tree2.tar'), '-C', w.dir, '.']); sh('sync', ['-f', path.join(scratch, 'tree2.tar')]); tarCSync.push(ms(t));
    t = now(); sh('cp', ['-a', w.dir, path.join(scratch, 'cp')]); cpA.push(ms(t));
    fs.mkdirSync(path.join(scratch, 'x'));
    t = now(); sh('tar', ['-xf', path.join(scratch, 'tree.tar'), '-C', path.join(scratch, 'x')]); tarX.push(ms(t));
    // Full restore: every file gone, written back from the blobs.
    for (const e of fs.readdirSync(w.dir)) fs.rmSync(path.join(w.dir, e), { recursive: true, force: true });
    t = now(); await call('POST', `/sessions/${w.sid}/snapshots/${snap.id}/restore`, w.token, {}); restore.push(ms(t));
    if (snap.fileCount !== 5_000 || snap.totalBytes !== 100 * MiB) throw new Error(`unexpected snapshot ${JSON.stringify(snap)}`);
    await call('DELETE', `/sessions/${w.sid}`, w.token);
  }
  record('snap.first', first); record('snap.unchanged', again); record('snap.restore', restore);
  record('tar.c', tarC); record('tar.c+sync', tarCSync); record('cp.a', cpA); record('tar.x', tarX);
}
noteLoad('end');
server.kill('SIGTERM');
await new Promise((r) => server.once('exit', r));
fs.rmSync(work, { recursive: true, force: true });

// ---- report ---------------------------------------------------------------------------------
const m = (k) => results[k].median;
const row = (label, k, base, baseLabel) => `| ${label} | ${fmt(m(k))} ms | ${results[k].runs.map(fmt).join(', ')} | ${base ? `${fmt(m(base))} ms (${baseLabel})` : '—'} | ${base ? `${(m(k) / m(base)).toFixed(2)}×` : '—'} |`;
const targets = [
  ['tree listing (10,000 files, full tree) ≤ 150 ms', m('list.full') <= 150, `${fmt(m('list.full'))} ms`],
  ['first snapshot within 2× of tar', m('snap.first') <= 2 * m('tar.c'), `${(m('snap.first') / m('tar.c')).toFixed(2)}× tar`],
  ['unchanged re-snapshot ≥ 5× faster than tar', m('tar.c') / m('snap.unchanged') >= 5, `${(m('tar.c') / m('snap.unchanged')).toFixed(1)}× faster`],
];
const cpu = os.cpus();
const md = `# Files API and snapshots benchmark

\`npm run bench:files\` — ${new Date().toISOString()}. Node ${process.version}, ${cpu.length} × ${cpu[0]?.model ?? 'cpu'}, ${(os.totalmem() / 1024 ** 3).toFixed(1)} GiB RAM,
${os.type()} ${os.release()}. The built server runs as a child process (SQLite, local blob store with fsync per blob); the
client is this process over loopback HTTP. Baselines (\`tar\`, \`cp\`, \`find\`, \`cat\`) run on the same tree, on the same
filesystem, in the same run. ${RUNS} runs each; **medians** (each run listed). The page cache is warm for every
contender (the tree was just written); \`tar\` and \`cp\` do not fsync, a snapshot fsyncs every new blob.

Machine load (1/5/15-min load average; this machine is shared with other engineers' builds and tests, so absolute
numbers are noisy): ${loads.map((l) => `${l.when}: ${l.load}`).join(' · ')}.

## Targets

| target | result | |
|---|---|---|
${targets.map(([t, ok, v]) => `| ${t} | ${v} | ${ok ? 'met' : '**MISSED**'} |`).join('\n')}

## Tree listing (${results.listEntries} entries: 10,000 files in 300 folders)

| operation | median | runs | baseline | ratio |
|---|---|---|---|---|
${row('GET ?recursive, whole tree (limit=10000, follows cursor)', 'list.full', 'list.find', '`find -printf`')}
${row('GET ?recursive, first page (default limit 1000)', 'list.page1000')}

## Single files

| operation | median | runs | baseline | ratio |
|---|---|---|---|---|
${row('PUT 1 MiB', 'put.1MiB', 'cp.1MiB', '`cp`')}
${row('GET 1 MiB', 'get.1MiB', 'cat.1MiB', '`cat`')}
${row('PUT 100 MiB', 'put.100MiB', 'cp.100MiB', '`cp`')}
${row('GET 100 MiB', 'get.100MiB', 'cat.100MiB', '`cat`')}

## Snapshots (5,000 files, 100 MiB, 150 folders)

| operation | median | runs | baseline | ratio |
|---|---|---|---|---|
${row('first snapshot (new tenant: every blob stored)', 'snap.first', 'tar.c', '`tar -c`')}
${row('first snapshot vs tar + fsync of the archive', 'snap.first', 'tar.c+sync', '`tar -c && sync`')}
${row('re-snapshot, nothing changed', 'snap.unchanged', 'tar.c', '`tar -c`')}
${row('restore into an emptied workspace', 'snap.restore', 'tar.x', '`tar -x`')}
${row('`cp -a` of the tree (reference)', 'cp.a')}
`;
fs.mkdirSync(path.join(root, 'bench/results'), { recursive: true });
fs.writeFileSync(path.join(root, 'bench/results/files.md'), md);
process.stdout.write(md);
