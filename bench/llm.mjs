#!/usr/bin/env node
import { generateKeyPairSync, randomBytes } from 'node:crypto';
// `npm run bench:llm`: gateway overhead. Time to first token and total time of a
// 500-token stream through POST /api/v5/llm/chat vs straight from the fake OpenAI
// upstream (loopback), at 1 and 100 concurrent streams, in two layouts:
//   - inline:  client, gateway and fake upstream in this one process (the original set-up);
//   - process: the fake upstream in a child process (as a real provider is elsewhere),
//              client and gateway in this process.
// Also reports this process's CPU time per token, so the gateway's own cost per token
// can be read off (gateway rows minus direct rows). Writes bench/results/llm.md.
import { fork } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pino from 'pino';
import { loadConfig } from '../packages/server/dist/config/config.js';
import { startServer } from '../packages/server/dist/server.js';
import { FakeUpstream } from '../packages/server/dist/llm/testing/fake-upstream.js';

const self = fileURLToPath(import.meta.url);
const root = path.resolve(path.dirname(self), '..');
const TOKENS = Number(process.env.BENCH_TOKENS ?? 500);
const SEQUENTIAL = Number(process.env.BENCH_SEQUENTIAL ?? 100);
const CONCURRENT = 100;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const LAYOUTS = (process.env.BENCH_LAYOUTS ?? 'inline,process').split(',');
const chunks = Array.from({ length: TOKENS }, (_, i) => `t${i} `);

async function startFake() {
  const fake = await new FakeUpstream().start();
  fake.defaultBehaviour = { kind: 'ok', chunks };
  return fake;
}

if (process.argv[2] === '--upstream') {
  // Child mode: only the fake upstream.
  const fake = await startFake();
  process.send({ baseUrl: fake.baseUrl('openai') });
  process.on('disconnect', () => void fake.close().then(() => process.exit(0)));
} else {
  await main();
}

async function main() {
  const inlineFake = await startFake();
  const child = fork(self, ['--upstream'], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const childBase = await new Promise((resolve, reject) => { child.once('message', (m) => resolve(m.baseUrl)); child.once('error', reject); });
  const bases = { inline: inlineFake.baseUrl('openai'), process: childBase };

  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'coditect-bench-llm-'));
  const server = await startServer(loadConfig({ NODE_ENV: 'production', PORT: '0', HOST: '127.0.0.1', CODITECT_DATA_DIR: dataDir,
    CODITECT_JWT_SECRET: randomBytes(36).toString('base64'), CODITECT_LLM_MASTER_KEY: randomBytes(32).toString('hex'),
    CODITECT_JWT_PRIVATE_KEY: generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    // The fake upstream is on loopback, which tenants' base URLs may reach only when the operator allows it.
    CODITECT_EGRESS_ALLOW: '127.0.0.1/32',
    CODITECT_LOG_LEVEL: 'silent', CODITECT_RATE_LIMIT_REGISTER_IP: '1000/60s', CODITECT_RATE_LIMIT_LLM: '10000000/60s', CODITECT_METRICS_LISTEN: 'off' }), { log: pino({ level: 'silent' }) });
  const api = `${server.url}/api/v5`;
  const post = async (p, body, token) => (await fetch(api + p, { method: 'POST', headers: { 'content-type': 'application/json',
    ...(token ? { authorization: `Bearer ${token}` } : {}) }, body: JSON.stringify(body) })).json();
  const reg = await post('/auth/register', { email: `bench-${Date.now()}@example.com`, password: 'correct horse battery staple', firstName: 'B', lastName: 'B' });
  const token = reg.accessToken;
  const useUpstream = async (baseUrl) => {
    const res = await fetch(`${api}/llm/providers/openai`, { method: 'PUT', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ apiKey: 'sk-bench-key-0000', baseUrl, enabled: true }) });
    if (!res.ok) throw new Error(`PUT provider: ${res.status}`);
  };

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

  const direct = (base) => () => timed(`${base}/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer sk-bench-key-0000' },
    body: JSON.stringify({ model: 'gpt-4o', stream: true, stream_options: { include_usage: true }, messages: [{ role: 'user', content: 'bench' }] }) },
  (b) => b.includes('"content":"t'));
  const gateway = () => timed(`${api}/llm/chat`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ model: 'openai/gpt-4o', persist: false, messages: [{ role: 'user', content: 'bench' }] }) },
  (b) => b.startsWith('event: delta'));

  const pct = (xs, p) => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]; };

  async function measure(layout, label, fn, concurrency, rounds) {
    const results = [];
    let errors = 0;
    let wall = 0;
    const cpu0 = process.cpuUsage();
    for (let r = 0; r < rounds; r++) {
      const t0 = performance.now();
      const batch = await Promise.allSettled(Array.from({ length: concurrency }, fn));
      wall += performance.now() - t0;
      for (const b of batch) {
        if (b.status === 'fulfilled' && b.value.deltas === TOKENS) results.push(b.value);
        else errors++;
      }
    }
    const cpu = process.cpuUsage(cpu0);
    const tokens = results.reduce((n, x) => n + x.deltas, 0);
    return { layout, label, concurrency, n: results.length, errors, ttftP50: pct(results.map((x) => x.ttft), 50), ttftP95: pct(results.map((x) => x.ttft), 95),
      totalP50: pct(results.map((x) => x.total), 50), totalP95: pct(results.map((x) => x.total), 95), tokPerSec: tokens / (wall / 1000),
      cpuUsPerToken: (cpu.user + cpu.system) / Math.max(1, tokens) };
  }

  const rows = [];
  for (const layout of LAYOUTS) {
    await useUpstream(bases[layout]);
    const d = direct(bases[layout]);
    // Warm up both paths (JIT, connection pools).
    for (let i = 0; i < 20; i++) { await d(); await gateway(); }
    for (const [concurrency, rounds] of [[1, SEQUENTIAL], [CONCURRENT, ROUNDS]]) {
      const dr = await measure(layout, 'direct', d, concurrency, rounds);
      const gr = await measure(layout, 'gateway', gateway, concurrency, rounds);
      rows.push(dr, gr);
      console.log(`${layout} c=${concurrency}: direct ttft p50 ${f(dr.ttftP50)} ms, gateway ${f(gr.ttftP50)} ms; throughput ${Math.round(dr.tokPerSec)} vs ${Math.round(gr.tokPerSec)} tok/s; errors ${dr.errors}/${gr.errors}`);
    }
  }
  await server.close();
  await inlineFake.close();
  child.disconnect();
  fs.rmSync(dataDir, { recursive: true, force: true });

  const by = (layout, c, l) => rows.find((r) => r.layout === layout && r.concurrency === c && r.label === l);
  const verdicts = LAYOUTS.map((layout) => {
    const added = by(layout, 1, 'gateway').ttftP50 - by(layout, 1, 'direct').ttftP50;
    const ratio = by(layout, CONCURRENT, 'gateway').tokPerSec / by(layout, CONCURRENT, 'direct').tokPerSec;
    const errors = rows.filter((r) => r.layout === layout).reduce((n, r) => n + r.errors, 0);
    const cpuGw = by(layout, CONCURRENT, 'gateway').cpuUsPerToken - by(layout, CONCURRENT, 'direct').cpuUsPerToken;
    return `- **${layout}**: added TTFT at p50 **${f(added)} ms** (${added <= 3 ? 'met' : 'missed'}, target ≤ 3 ms); `
      + `throughput at ${CONCURRENT} streams **${(ratio * 100).toFixed(1)} %** of direct (${ratio >= 0.9 ? 'met' : 'missed'}, target ≥ 90 %); `
      + `errors **${errors}** (${errors === 0 ? 'met' : 'missed'}); this process's extra CPU through the gateway ≈ ${f(cpuGw)} µs/token at ${CONCURRENT} streams.`;
  });
  const load = os.loadavg().map((x) => x.toFixed(2)).join(' / ');
  const md = `# LLM gateway overhead

\`npm run bench:llm\` — ${new Date().toISOString()} · Node ${process.version} · ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'} · load average at the end ${load}

A ${TOKENS}-token stream (one SSE chunk per token, no artificial delay) from the fake OpenAI
upstream, read **directly** vs **through the gateway** (\`POST /api/v5/llm/chat\`: JWT + session
check, provider resolution with AES-GCM key decryption, budget lookup, the gateway's own OpenAI
chat-completions adapter, SSE re-encoding, one \`llm_usage\` row on SQLite).

Two layouts: **inline** — client, gateway and fake upstream share this one process (one JS
thread), so every gateway microsecond per token competes with the fake's and the client's;
**process** — the fake upstream runs in a child process, as a real provider runs elsewhere
(client and gateway still share this process). "CPU µs/token" is this process's user+system CPU
per delivered token. The fake bursts: it writes all ${TOKENS} chunks without pausing, so the
first upstream read holds hundreds of tokens.

| layout | path | concurrent streams | streams | errors | TTFT p50 (ms) | TTFT p95 (ms) | total p50 (ms) | total p95 (ms) | tokens/s (aggregate) | CPU µs/token |
|---|---|---|---|---|---|---|---|---|---|---|
${rows.map((r) => `| ${r.layout} | ${r.label} | ${r.concurrency} | ${r.n} | ${r.errors} | ${f(r.ttftP50)} | ${f(r.ttftP95)} | ${f(r.totalP50)} | ${f(r.totalP95)} | ${Math.round(r.tokPerSec)} | ${f(r.cpuUsPerToken)} |`).join('\n')}

Targets (≤ 3 ms added TTFT at p50, ≥ 90 % of direct throughput at ${CONCURRENT} streams, zero errors):
${verdicts.join('\n')}
`;
  fs.mkdirSync(path.join(root, 'bench/results'), { recursive: true });
  fs.writeFileSync(process.env.BENCH_OUT ?? path.join(root, 'bench/results/llm.md'), md);
  console.log(md);
}

function f(x) {
  return x.toFixed(2);
}
