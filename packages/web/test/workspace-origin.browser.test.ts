import { cpSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Frame, Page } from 'playwright-core';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sandboxPrereq } from '../../server/src/workspaces/test-support';
import { CHROMIUM_PATH, chromiumAvailable, newDevice } from './support/chromium';
import { startTestServer, uniqueEmail, type TestServer } from './support/test-server';
import { ensureWebBuilt } from './support/web-build';

/**
 * The workspace on its own origin, from the attacker's side, in real Chromium with third-party
 * cookies blocked: the IDE process of a real sandboxed workspace is the attacker's own relay
 * (support/attacker-relay.mjs), which tries to redirect the proxy by rewriting /run/coditect and
 * serves, on the workspace origin, a page that goes after the user: the app's storage, the API
 * with the user's credentials, the refresh cookie, another session's IDE, cookies for the app.
 */
const sandbox = sandboxPrereq();
if (!sandbox.ok) {
  if (process.env.CI === 'true') throw new Error(`workspace origin browser test cannot run under CI: ${sandbox.reason}`);
  console.warn(`\n\x1b[33m!!! SKIPPING the workspace origin browser test: ${sandbox.reason}\x1b[0m\n`);
}
const run = chromiumAvailable() && sandbox.ok;
const PASSWORD = 'correct horse battery';

let server: TestServer;
let browser: Browser;
let root: string;
let thirdParty: http.Server;

beforeAll(async () => {
  if (!run) return;
  root = mkdtempSync(path.join(tmpdir(), 'coditect-attacker-ide-'));
  // An "IDE app" whose sandbox entry is the attacker's relay (bound read-only at /opt/coditect/ide).
  mkdirSync(path.join(root, 'sandbox'), { recursive: true });
  cpSync(fileURLToPath(new URL('./support/attacker-relay.mjs', import.meta.url)), path.join(root, 'sandbox', 'ide-relay.mjs'));
  server = await startTestServer(await ensureWebBuilt(), { CODITECT_IDE_APP_DIR: root });
  // A third site that sets one plain and one partitioned cookie in a cross-site frame: shows the
  // browser really blocks third-party cookies (so the workspace's cookie works only as partitioned).
  thirdParty = http.createServer((req, res) => {
    const other = `http://cookies.localhost:${(thirdParty.address() as { port: number }).port}`;
    if (req.url === '/top') {
      res.setHeader('content-type', 'text/html');
      res.end(`<script>addEventListener('message', (e) => { window.seen = e.data.seen; });</script>
        <iframe src="${other}/set" onload="this.onload = null; this.src = '${other}/read'"></iframe>`);
    } else if (req.url === '/set') {
      res.setHeader('set-cookie', ['plain=1; Path=/; Secure; SameSite=None', 'chips=1; Path=/; Secure; SameSite=None; Partitioned']);
      res.end('set');
    } else res.end(`<script>parent.postMessage({ seen: ${JSON.stringify(req.headers.cookie ?? '')} }, '*')</script>`);
  });
  await new Promise<void>((r) => thirdParty.listen(0, '127.0.0.1', r));
  browser = await chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage', '--test-third-party-cookie-phaseout'],
  });
}, 15 * 60_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
  thirdParty?.close();
  if (root) rmSync(root, { recursive: true, force: true });
}, 120_000);

const poll = <T>(fn: () => T | Promise<T>, timeout = 30_000) => expect.poll(fn, { timeout, interval: 250 });

/** The host dir of a session's workspace (to hand the attacker its targets, and read what it saw). */
function workspaceDir(sessionId: string): string {
  const base = path.join(server.server.deps.config.dataDir, 'workspaces');
  for (const tenant of readdirSync(base)) if (existsSync(path.join(base, tenant, sessionId))) return path.join(base, tenant, sessionId);
  throw new Error(`no workspace dir for ${sessionId}`);
}

async function ideFrame(page: Page): Promise<Frame> {
  const handle = await page.locator('section[role="tabpanel"]:not([hidden]) iframe[title="Workspace IDE"]').elementHandle();
  const frame = await handle?.contentFrame();
  if (!frame) throw new Error('no IDE frame');
  return frame;
}

async function openSession(page: Page, name: string): Promise<string> {
  await page.goto('/');
  await page.getByRole('button', { name: 'New session' }).first().click();
  const dialog = page.getByRole('dialog', { name: 'New workspace session' });
  await dialog.getByLabel('Session name').fill(name);
  // Creating opens the session right away.
  await dialog.getByRole('button', { name: 'Create session' }).click();
  await page.waitForURL(/\/ide\/[0-9a-f-]{36}$/);
  return new URL(page.url()).pathname.split('/').pop()!;
}

describe.skipIf(!run)('a workspace origin cannot reach the user (Chromium, third-party cookies blocked, real sandbox)', () => {
  it('this browser blocks third-party cookies, except partitioned ones', async () => {
    const context = await newDevice(browser, server.url);
    const page = await context.newPage();
    await page.goto(`http://top.localhost:${(thirdParty.address() as { port: number }).port}/top`);
    await poll(() => page.evaluate(() => (window as unknown as { seen?: string }).seen)).toBe('chips=1');
    await context.close();
  });

  it('the IDE opens in the app\'s frame on its own origin; from there the workspace gets nothing of the user', async () => {
    const context = await newDevice(browser, server.url);
    context.setDefaultTimeout(30_000);
    const page = await context.newPage();
    const workspaceAnswers: { url: string; headers: Record<string, string> }[] = [];
    page.on('response', (r) => {
      if (new URL(r.url()).hostname.endsWith('.ws.localhost')) workspaceAnswers.push({ url: r.url(), headers: r.headers() });
    });
    await page.goto('/register');
    await page.getByLabel('First name').fill('Eve');
    await page.getByLabel('Last name').fill('Target');
    await page.getByLabel('Work email').fill(uniqueEmail('origin'));
    await page.getByLabel(/^Password/).fill(PASSWORD);
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.waitForURL((u) => u.pathname === '/');
    // Something worth stealing in the app's storage.
    await page.evaluate(() => localStorage.setItem('coditect-test-sentinel', 'app secret'));

    // The victim's other session, opened first: its cookie sits in the same (app-keyed) partition.
    const victimId = await openSession(page, 'victim');
    await poll(async () => (await ideFrame(page)).evaluate(() => document.title)).toBe('pwned workspace');
    const port = new URL(server.url).port;
    const originOf = (id: string) => `http://${id}.ws.localhost:${port}`;

    // The attacker's session: its workspace learns its targets from a file the test drops in.
    const attackerId = await openSession(page, 'attacker');
    await poll(async () => (await ideFrame(page)).evaluate(() => document.title).catch(() => '')).toBe('pwned workspace');
    writeFileSync(path.join(workspaceDir(attackerId), 'attack.json'), JSON.stringify({ app: server.url, other: originOf(victimId) }));
    const refreshBefore = (await context.cookies(`${server.url}/api/v5/auth/refresh`)).find((c) => c.name === 'coditect_refresh');
    // Reload the frame so the page carries the targets.
    const frame = await ideFrame(page);
    await frame.goto(`${originOf(attackerId)}/`);
    expect(new URL(frame.url()).origin).toBe(originOf(attackerId));
    const results = await frame.evaluate(() => (window as unknown as { __attack: Promise<Record<string, string>> }).__attack) as Record<string, string>;
    if (process.env.CODITECT_TEST_VERBOSE) console.log(results);

    // Nothing in /run/coditect could be replaced from inside.
    const tamper = JSON.parse(readFileSync(path.join(workspaceDir(attackerId), 'tamper.json'), 'utf8')) as Record<string, string>;
    for (const [op, code] of Object.entries(tamper)) expect(code, op).toMatch(/^(EROFS|EPERM|EACCES)$/);
    // The app's storage and document are out of reach.
    expect(await page.evaluate(() => localStorage.getItem('coditect-test-sentinel'))).toBe('app secret');
    expect(results.parentLocalStorage).toBe('ERR:SecurityError');
    expect(results.topDocumentCookie).toBe('ERR:SecurityError');
    // No readable answer from the API with the user's credentials, and no token rotation.
    expect(results.apiMe).toBe('ERR:TypeError');
    expect(results.apiMeNoCors).toBe('opaque:opaque:0');
    expect(results.refreshCors).toBe('ERR:TypeError');
    expect(results.refreshNoCors).toBe('opaque:opaque');
    const refreshAfter = (await context.cookies(`${server.url}/api/v5/auth/refresh`)).find((c) => c.name === 'coditect_refresh');
    expect(refreshBefore?.value).toBeTruthy();
    expect(refreshAfter?.value).toBe(refreshBefore?.value);
    const ownRefresh = await page.evaluate(async () => (await fetch('/api/v5/auth/refresh', { method: 'POST',
      headers: { 'content-type': 'application/json', 'x-coditect-refresh-transport': 'cookie' }, body: '{}' })).status);
    expect(ownRefresh).toBe(200);
    // Another session's IDE: neither readable nor its WebSocket (the proxy refuses the foreign origin)…
    expect(results.otherIdeFetch).toBe('ERR:TypeError');
    expect(results.otherIdeWebSocket).toBe('error');
    // …while its own WebSocket works (the frame's cookie is partitioned, third-party cookies blocked).
    expect(results.ownWebSocket).toBe('OPENED');
    // The workspace's own cookies are HttpOnly; the attacker's Set-Cookie headers never reached the browser.
    expect(results.documentCookie).toBe('');
    const cookies = await context.cookies();
    expect(cookies.find((c) => c.name === 'app_evil' || c.name === 'ws_evil')).toBeUndefined();
    expect(cookies.filter((c) => c.name === 'coditect_refresh')).toHaveLength(1);
    expect(cookies.find((c) => c.value === 'evil')).toBeUndefined();
    // The one cookie a workspace may set (Theia's) is re-scoped host-only to its own workspace host.
    for (const c of cookies.filter((x) => x.name === 'theia-connection-token')) expect(c.domain).toMatch(/^[0-9a-f-]{36}\.ws\.localhost$/);
    const attackerPage = workspaceAnswers.filter((a) => a.url.startsWith(originOf(attackerId)) && a.headers['content-type']?.includes('text/html'));
    expect(attackerPage.length).toBeGreaterThan(0);
    for (const answer of attackerPage) {
      for (const h of ['service-worker-allowed', 'clear-site-data', 'strict-transport-security', 'access-control-allow-origin',
        'access-control-allow-credentials']) expect(answer.headers[h], h).toBeUndefined();
    }
    await context.close();
  }, 240_000);
});
