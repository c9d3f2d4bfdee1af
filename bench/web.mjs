#!/usr/bin/env node
// `npm run bench:web`: Lighthouse 12 (desktop preset) on the login page and on the signed-in
// dashboard (20 sessions), against the real server (a child process serving the built web app
// over SQLite). One run each, in headless Chromium. Writes bench/results/web.md.
import { spawn } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import lighthouse from 'lighthouse';
import desktopConfig from 'lighthouse/core/config/desktop-config.js';
import { chromium } from 'playwright-core';
import { freePort } from '../packages/server/dist/devtools/postgres-cluster.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const CHROMIUM = process.env.CODITECT_CHROMIUM ?? '/usr/bin/chromium';
const SESSIONS = 20;
const TARGETS = { performance: 95, accessibility: 98, 'best-practices': 100, tbtMs: 100 };

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function startServer(dataDir) {
  const port = await freePort();
  const key = generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const child = spawn(process.execPath, [path.join(root, 'packages/server/dist/main.js')], {
    env: {
      ...process.env, NODE_ENV: 'production', PORT: String(port), HOST: '127.0.0.1', CODITECT_DATA_DIR: dataDir,
      CODITECT_WEB_DIR: path.join(root, 'packages/web/dist'), CODITECT_JWT_SECRET: randomBytes(36).toString('base64'),
      CODITECT_JWT_PRIVATE_KEY: key, CODITECT_LLM_MASTER_KEY: randomBytes(32).toString('hex'), CODITECT_LOG_LEVEL: 'warn',
      CODITECT_METRICS_LISTEN: 'off', CODITECT_RATE_LIMIT_SESSION_CREATE: '1000/60s',
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 300; i++) {
    try { if ((await fetch(`${url}/api/v5/health`)).ok) return { url, stop: () => child.kill('SIGTERM') }; } catch { /* starting */ }
    await sleep(100);
  }
  child.kill('SIGKILL');
  throw new Error('server did not become healthy');
}

async function api(url, method, route, body, token) {
  const res = await fetch(`${url}/api/v5${route}`, {
    method,
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  if (!res.ok) throw new Error(`${method} ${route}: ${res.status} ${await res.text()}`);
  return res.json();
}

function summarise(lhr) {
  const score = (c) => Math.round((lhr.categories[c]?.score ?? 0) * 100);
  const ms = (a) => Math.round(lhr.audits[a]?.numericValue ?? NaN);
  const failing = (c) => lhr.categories[c].auditRefs
    .filter((r) => r.weight > 0 && lhr.audits[r.id].score !== null && lhr.audits[r.id].score < 1)
    .map((r) => r.id);
  const requests = lhr.audits['network-requests']?.details?.items ?? [];
  return {
    performance: score('performance'), accessibility: score('accessibility'), bestPractices: score('best-practices'),
    fcp: ms('first-contentful-paint'), lcp: ms('largest-contentful-paint'), tbt: ms('total-blocking-time'), cls: lhr.audits['cumulative-layout-shift']?.numericValue ?? NaN,
    scripts: requests.filter((r) => r.resourceType === 'Script').length,
    scriptKb: Math.round(requests.filter((r) => r.resourceType === 'Script').reduce((n, r) => n + (r.transferSize ?? 0), 0) / 1024),
    failing: { accessibility: failing('accessibility'), bestPractices: failing('best-practices') },
    console: (lhr.audits['errors-in-console']?.details?.items ?? []).map((i) => i.description),
    chrome: lhr.environment?.hostUserAgent ?? '',
  };
}

async function main() {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'coditect-bench-web-'));
  const userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'coditect-bench-web-chrome-'));
  const server = await startServer(dataDir);
  const port = await freePort();
  // A persistent context is the browser's default one: the tab Lighthouse opens shares its cookies.
  const context = await chromium.launchPersistentContext(userDir, {
    executablePath: CHROMIUM, headless: true,
    args: [`--remote-debugging-port=${port}`, '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
  });
  try {
    const flags = { port, output: 'json', logLevel: 'error', onlyCategories: ['performance', 'accessibility', 'best-practices'] };
    const login = summarise((await lighthouse(`${server.url}/login`, flags, desktopConfig)).lhr);

    // A user with sessions, signed in through the UI (refresh cookie + the signed-in hint).
    const email = `bench.${Date.now()}@example.com`;
    const password = 'correct horse battery staple';
    const reg = await api(server.url, 'POST', '/auth/register', { email, password, firstName: 'Bench', lastName: 'Mark' });
    for (let i = 0; i < SESSIONS; i++) await api(server.url, 'POST', '/sessions', { name: `project-${i + 1}` }, reg.accessToken);
    const page = await context.newPage();
    await page.goto(`${server.url}/login`);
    await page.getByLabel('Email').fill(email);
    await page.getByLabel(/^Password/).fill(password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL((u) => u.pathname === '/');
    await page.locator('[data-testid="session-row"]').first().waitFor();
    await page.close();
    const dashboard = summarise((await lighthouse(`${server.url}/`, { ...flags, disableStorageReset: true }, desktopConfig)).lhr);
    if (dashboard.scripts === 0 || dashboard.console.some((c) => /401/.test(c))) console.warn('dashboard run may not have been signed in');

    const row = (name, r) => `| ${name} | ${r.performance} | ${r.accessibility} | ${r.bestPractices} | ${r.fcp} | ${r.lcp} | ${r.tbt} | ${r.cls.toFixed(3)} | ${r.scripts} (${r.scriptKb} KB) |`;
    const verdict = (name, r, tbt) => [
      r.performance >= TARGETS.performance ? null : `${name}: performance ${r.performance} < ${TARGETS.performance}`,
      r.accessibility >= TARGETS.accessibility ? null : `${name}: accessibility ${r.accessibility} < ${TARGETS.accessibility} (${r.failing.accessibility.join(', ')})`,
      r.bestPractices >= TARGETS['best-practices'] ? null : `${name}: best practices ${r.bestPractices} < 100 (${r.failing.bestPractices.join(', ')})`,
      tbt && r.tbt > TARGETS.tbtMs ? `${name}: TBT ${r.tbt} ms > ${TARGETS.tbtMs} ms` : null,
    ].filter(Boolean);
    const misses = [...verdict('login', login, false), ...verdict('dashboard', dashboard, true)];
    const md = [
      '# Web app: Lighthouse',
      '',
      `Measured ${new Date().toISOString().slice(0, 10)} by \`npm run bench:web\` (bench/web.mjs): Lighthouse 12.2.3, desktop preset`,
      '(no CPU or network throttling beyond the preset\'s), one run per page, against the real server (child process,',
      `SQLite, the production web build) on loopback; the dashboard signed in with ${SESSIONS} sessions.`,
      `Browser: ${login.chrome}. Machine: ${os.cpus().length} vCPU shared with other work, Node ${process.versions.node}.`,
      '',
      '| page | performance | accessibility | best practices | FCP ms | LCP ms | TBT ms | CLS | scripts |',
      '|---|---|---|---|---|---|---|---|---|',
      row('login', login),
      row('dashboard (signed in)', dashboard),
      '',
      `Targets: performance ≥ ${TARGETS.performance}, accessibility ≥ ${TARGETS.accessibility}, best practices 100, TBT ≤ ${TARGETS.tbtMs} ms on the dashboard.`,
      '',
      misses.length ? `**Missed:**\n\n${misses.map((m) => `- ${m}`).join('\n')}` : 'All targets met in this run.',
      '',
      `Console errors — login: ${login.console.length ? login.console.join('; ') : 'none'}; dashboard: ${dashboard.console.length ? dashboard.console.join('; ') : 'none'}.`,
      '',
      'One run on a shared 2-core box: scores move by a few points between runs.',
      'Load-time and bundle-size measurements of the older browser test are in web-load.md.',
      '',
    ].join('\n');
    fs.writeFileSync(path.join(root, 'bench/results/web.md'), md);
    console.log(md);
  } finally {
    await context.close();
    server.stop();
    fs.rmSync(userDir, { recursive: true, force: true });
    await sleep(500);
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

await main();
