import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import type { Browser, Page, Request } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumAvailable, launchChromium, newDevice } from './support/chromium';
import { startTestServer, type TestServer } from './support/test-server';
import { WEB_ROOT, ensureWebBuilt } from './support/web-build';

/**
 * Budgets from the issue, measured in headless Chromium on loopback against
 * the built app: JavaScript for the login page ≤ 200 KB gzip; a dashboard
 * with 50 sessions rendered ≤ 1 s after navigation. With
 * CODITECT_BENCH=1 it runs and writes bench/results/web-load.md
 * (Lighthouse scores are `npm run bench:web`, in web.md).
 */
const run = process.env.CODITECT_BENCH === '1' && chromiumAvailable();
if (process.env.CODITECT_BENCH !== '1') console.log('[web performance] skipped: set CODITECT_BENCH=1 to measure (timings on a shared test box are noise)');
const LOGIN_JS_BUDGET = 200 * 1024;
const DASHBOARD_MS_BUDGET = 1000;
const RUNS = 5;

let server: TestServer;
let browser: Browser;

beforeAll(async () => {
  if (!run) return;
  server = await startTestServer(await ensureWebBuilt());
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

/** Records, inside the page, when the login form is usable and when 50 session rows are on screen. */
const MARKS = `
  window.__marks = {};
  new MutationObserver(() => {
    const m = window.__marks;
    const submit = document.querySelector('form[aria-label="Sign in"] button[type=submit]');
    if (!m.loginForm && submit && !submit.disabled && document.querySelector('input[type=email]')) m.loginForm = performance.now();
    if (!m.dashboard && document.querySelectorAll('[data-testid="session-row"]').length >= 50) m.dashboard = performance.now();
  }).observe(document, { childList: true, subtree: true, attributes: true });
`;

interface Load { ms: number; jsGzip: number; jsWire: number; jsFiles: number }

async function measure(page: Page, url: string, mark: 'loginForm' | 'dashboard'): Promise<Load> {
  // Sizes are computed after the load: gzip in this process would stall the in-process server.
  const scripts: Request[] = [];
  page.on('requestfinished', (req) => {
    if (req.resourceType() === 'script') scripts.push(req);
  });
  await page.goto(url);
  await page.waitForFunction((m) => (window as unknown as { __marks: Record<string, number> }).__marks[m] !== undefined, mark, { timeout: 15_000 });
  const ms = await page.evaluate((m) => (window as unknown as { __marks: Record<string, number> }).__marks[m]!, mark);
  await page.waitForLoadState('networkidle');
  const sizes = await Promise.all(scripts.map(async (req) => {
    const res = await req.response();
    const body = res ? await res.body() : Buffer.alloc(0);
    return { gzip: gzipSync(body, { level: 9 }).length, wire: (await req.sizes()).responseBodySize };
  }));
  return { ms, jsGzip: sizes.reduce((a, s) => a + s.gzip, 0), jsWire: sizes.reduce((a, s) => a + s.wire, 0), jsFiles: sizes.length };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const kb = (n: number) => `${(n / 1024).toFixed(1)} KB`;

describe.skipIf(!run)('performance budgets in Chromium', () => {
  it('login page JS ≤ 200 KB gzip; dashboard with 50 sessions rendered ≤ 1 s', async () => {
    const user = await server.newUser('perf');
    for (let i = 1; i <= 50; i++) await user.api.call('createSession', { body: { name: `workspace ${i}` } });

    const login: Load[] = [];
    const dashboardCold: Load[] = [];
    const dashboardWarm: Load[] = [];
    for (let i = 0; i < RUNS; i++) {
      const context = await newDevice(browser, server.url);
      await context.addInitScript(MARKS);
      const page = await context.newPage();
      login.push(await measure(page, '/login', 'loginForm'));
      await page.getByLabel('Email').fill(user.email);
      await page.getByLabel(/^Password/).fill(user.password);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByTestId('session-row').first().waitFor();
      await context.clearCookies().catch(() => undefined);
      await context.close();

      // Cold: a signed-in browser with an empty cache opens the dashboard.
      const cold = await newDevice(browser, server.url);
      await cold.addInitScript(MARKS);
      const p2 = await cold.newPage();
      await p2.goto('/login');
      await p2.getByLabel('Email').fill(user.email);
      await p2.getByLabel(/^Password/).fill(user.password);
      await p2.getByRole('button', { name: 'Sign in' }).click();
      await p2.getByTestId('session-row').first().waitFor();
      const p3 = await cold.newPage();
      await p3.route('**/*', (route) => route.continue()); // disables the HTTP cache for this page
      dashboardCold.push(await measure(p3, '/', 'dashboard'));
      await p3.unrouteAll();
      // Warm: same browser, cached assets (hashed, immutable), reload.
      dashboardWarm.push(await measure(p2, '/', 'dashboard'));
      await cold.close();
    }

    const loginJs = median(login.map((l) => l.jsGzip));
    const dashMs = median(dashboardCold.map((d) => d.ms));
    const summary = {
      loginJsGzip: kb(loginJs), loginJsWire: kb(median(login.map((l) => l.jsWire))), loginFiles: login[0]!.jsFiles,
      loginFormMs: Math.round(median(login.map((l) => l.ms))),
      dashboardJsGzip: kb(median(dashboardCold.map((d) => d.jsGzip))), dashboardJsWire: kb(median(dashboardCold.map((d) => d.jsWire))),
      dashboardColdMs: Math.round(dashMs), dashboardWarmMs: Math.round(median(dashboardWarm.map((d) => d.ms))),
    };
    console.log('[web performance]', summary);

    {
      const out = path.join(WEB_ROOT, '..', '..', 'bench', 'results');
      mkdirSync(out, { recursive: true });
      writeFileSync(path.join(out, 'web-load.md'), [
        '# Web app performance',
        '',
        `Measured ${new Date().toISOString().slice(0, 10)} by \`CODITECT_BENCH=1 npx vitest run packages/web/test/performance.browser.test.ts\`:`,
        `headless Chromium ${browser.version()} on loopback, the built app served by the real server (SQLite),`,
        `viewport 1366×820, median of ${RUNS} runs. Times are from navigation start (\`performance.now()\`).`,
        '',
        '| measure | result | target |',
        '|---|---|---|',
        `| JavaScript for the login page (gzip, ${summary.loginFiles} files) | ${summary.loginJsGzip} (on the wire, brotli: ${summary.loginJsWire}) | ≤ 200 KB |`,
        `| JavaScript for the dashboard (gzip) | ${summary.dashboardJsGzip} (on the wire, brotli: ${summary.dashboardJsWire}) | — |`,
        `| navigation → interactive login form (cold cache) | ${summary.loginFormMs} ms | — |`,
        `| navigation → dashboard with 50 sessions rendered (cold cache; includes restoring the sign-in: refresh + /users/me + /sessions) | ${summary.dashboardColdMs} ms | ≤ 1 s |`,
        `| same, warm cache (reload) | ${summary.dashboardWarmMs} ms | — |`,
        '',
        'Machine: 2 vCPU container, Node 20. The dashboard time includes lazy-loading its route chunks.',
        '',
      ].join('\n'));
    }

    expect(loginJs).toBeLessThanOrEqual(LOGIN_JS_BUDGET);
    expect(dashMs).toBeLessThanOrEqual(DASHBOARD_MS_BUDGET);
  }, 180_000);
});
