#!/usr/bin/env node
// `npm run bench:llm`: gateway overhead. Time to first token and total time of a
// 500-token stream through POST /api/v5/llm/chat vs straight from the fake OpenAI
// upstream (same process, loopback), at 1 and 100 concurrent streams.
// Writes bench/results/llm.md.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pino from 'pino';
import { loadConfig } from '../packages/server/dist/config/config.js';
import { startServer } from '../packages/server/dist/server.js';
import { FakeUpstream } from '../packages/server/dist/llm/testing/fake-upstream.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const TOKENS = 500;
const SEQUENTIAL = Number(process.env.BENCH_SEQUENTIAL ?? 100);
const CONCURRENT = 100;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);

const fake = await new FakeUpstream().start();
const chunks = Array.from({ length: TOKENS }, (_, i) => `t${i} `);
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'coditect-bench-llm-'));
const server = await startServer(loadConfig({ NODE_ENV: 'production', PORT: '0', HOST: '127.0.0.1', CODITECT_DATA_DIR: dataDir,
  CODITECT_JWT_SECRET: 'b'.repeat(48), CODITECT_LOG_LEVEL: 'silent', CODITECT_RATE_LIMIT_REGISTER_IP: '1000/60s' }), { log: pino({ level: 'silent' }) });
const api = `${server.url}/api/v5`;
const post = async (p, body, token) => (await fetch(api + p, { method: 'POST', headers: { 'content-type': 'application/json',
  ...(token ? { authorization: `Bearer ${token}` } : {}) }, body: JSON.stringify(body) })).json();
const reg = await post('/auth/register', { email: `bench-${Date.now()}@example.com`, password: 'correct horse battery staple', firstName: 'B', lastName: 'B' });
const token = reg.accessToken;
await fetch(`${api}/llm/providers/openai`, { method: 'PUT', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
  body: JSON.stringify({ apiKey: 'sk-bench-key-0000', baseUrl: fake.baseUrl('openai'), enabled: true }) });

/** Streams one request; returns ms to the first content chunk, total ms and content chunks seen. */
async function timed(url, init, isDelta) {
  const t0 = performance.now();
  const res = await fetch(url, init);
  if (!res.ok) throw new Error(`HTTP ${res.status}: ${await res.text()}`);
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  let ttft = null;
  let deltas = 0;
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += decoder.decode(value, { stream: true });
    let idx;
    while ((idx = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, idx);
      buffer = buffer.slice(idx + 2);
      if (isDelta(block)) {
        deltas++;
        ttft ??= performance.now() - t0;
      }
    }
  }
  return { ttft, total: performance.now() - t0, deltas };
}

const direct = () => {
  fake.enqueue('openai', { kind: 'ok', chunks });
  return timed(`${fake.baseUrl('openai')}/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer sk-bench-key-0000' },
    body: JSON.stringify({ model: 'gpt-4o', stream: true, stream_options: { include_usage: true }, messages: [{ role: 'user', content: 'bench' }] }) },
  (b) => b.includes('"content":"t'));
};
const gateway = () => {
  fake.enqueue('openai', { kind: 'ok', chunks });
  return timed(`${api}/llm/chat`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ model: 'openai/gpt-4o', persist: false, messages: [{ role: 'user', content: 'bench' }] }) },
  (b) => b.startsWith('event: delta'));
};

const pct = (xs, p) => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]; };
const f = (x) => x.toFixed(2);

async function measure(label, fn, concurrency, rounds) {
  const results = [];
  let errors = 0;
  let wall = 0;
  for (let r = 0; r < rounds; r++) {
    const t0 = performance.now();
    const batch = await Promise.allSettled(Array.from({ length: concurrency }, fn));
    wall += performance.now() - t0;
    for (const b of batch) {
      if (b.status === 'fulfilled' && b.value.deltas === TOKENS) results.push(b.value);
      else errors++;
    }
  }
  const tokens = results.reduce((n, x) => n + x.deltas, 0);
  return { label, concurrency, n: results.length, errors, ttftP50: pct(results.map((x) => x.ttft), 50), ttftP95: pct(results.map((x) => x.ttft), 95),
    totalP50: pct(results.map((x) => x.total), 50), totalP95: pct(results.map((x) => x.total), 95), tokPerSec: tokens / (wall / 1000) };
}

// Warm up both paths (JIT, connection pools, the SDK's lazy imports).
for (let i = 0; i < 20; i++) { await direct(); await gateway(); }

const rows = [];
for (const [concurrency, rounds] of [[1, SEQUENTIAL], [CONCURRENT, ROUNDS]]) {
  const d = await measure('direct', direct, concurrency, rounds);
  const g = await measure('gateway', gateway, concurrency, rounds);
  rows.push(d, g);
  console.log(`c=${concurrency}: direct ttft p50 ${f(d.ttftP50)} ms, gateway ${f(g.ttftP50)} ms; throughput ${Math.round(d.tokPerSec)} vs ${Math.round(g.tokPerSec)} tok/s; errors ${d.errors}/${g.errors}`);
}
await server.close();
await fake.close();
fs.rmSync(dataDir, { recursive: true, force: true });

const byC = (c, l) => rows.find((r) => r.concurrency === c && r.label === l);
const added1 = byC(1, 'gateway').ttftP50 - byC(1, 'direct').ttftP50;
const ratio100 = byC(CONCURRENT, 'gateway').tokPerSec / byC(CONCURRENT, 'direct').tokPerSec;
const errors = rows.reduce((n, r) => n + r.errors, 0);
const md = `# LLM gateway overhead

\`npm run bench:llm\` — ${new Date().toISOString()} · Node ${process.version} · ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}

A ${TOKENS}-token stream (one SSE chunk per token, no artificial delay) from the fake OpenAI
upstream, read **directly** vs **through the gateway** (\`POST /api/v5/llm/chat\`: JWT + session
check, provider resolution with AES-GCM key decryption, budget query, AI SDK \`streamText\`,
SSE re-encoding, one \`llm_usage\` row on SQLite). Client, gateway and fake upstream share one
process and both cores, so the 100-stream numbers include the client's own parsing cost.

| path | concurrent streams | streams | errors | TTFT p50 (ms) | TTFT p95 (ms) | total p50 (ms) | total p95 (ms) | tokens/s (aggregate) |
|---|---|---|---|---|---|---|---|---|
${rows.map((r) => `| ${r.label} | ${r.concurrency} | ${r.n} | ${r.errors} | ${f(r.ttftP50)} | ${f(r.ttftP95)} | ${f(r.totalP50)} | ${f(r.totalP95)} | ${Math.round(r.tokPerSec)} |`).join('\n')}

Targets: ≤ 3 ms added to TTFT at p50 → **${f(added1)} ms** (${added1 <= 3 ? 'met' : 'missed'});
≥ 90 % of direct throughput at ${CONCURRENT} streams → **${(ratio100 * 100).toFixed(1)} %** (${ratio100 >= 0.9 ? 'met' : 'missed'});
zero errors → **${errors}** (${errors === 0 ? 'met' : 'missed'}).
`;
fs.mkdirSync(path.join(root, 'bench/results'), { recursive: true });
fs.writeFileSync(path.join(root, 'bench/results/llm.md'), md);
console.log(md);
