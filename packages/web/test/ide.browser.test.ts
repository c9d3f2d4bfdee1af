import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Browser, Frame, FrameLocator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureIdeBuilt, sandboxPrereq } from '../../server/src/workspaces/test-support';
import { chromiumAvailable, launchChromium, newDevice, screenshot } from './support/chromium';
import { startTestServer, uniqueEmail, type TestServer } from './support/test-server';
import { ensureWebBuilt } from './support/web-build';

/**
 * The IDE in a session tab, end to end: real Chromium → the built web app →
 * the real server → a real sandboxed Theia per session (bubblewrap). Slow by
 * nature (the workbench renders in 9–21 s on a loaded 2-core machine), so the
 * timeouts are generous.
 */
function ideAvailable(): boolean {
  const sandbox = sandboxPrereq();
  if (sandbox.ok) return true;
  const reason = `no usable sandbox: ${sandbox.reason}`;
  if (process.env.CI === 'true') throw new Error(`IDE browser test cannot run under CI: ${reason}`);
  console.warn(`\n\x1b[33m!!! SKIPPING the IDE browser end-to-end test: ${reason}\x1b[0m\n`);
  return false;
}

const run = chromiumAvailable() && ideAvailable();
const PASSWORD = 'correct horse battery';
const IDE_TIMEOUT = 150_000;

let server: TestServer;
let browser: Browser;

beforeAll(async () => {
  if (!run) return;
  await ensureIdeBuilt();
  server = await startTestServer(await ensureWebBuilt());
  browser = await launchChromium();
}, 15 * 60_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
}, 120_000);

const poll = <T>(fn: () => T | Promise<T>, timeout = 30_000) => expect.poll(fn, { timeout, interval: 250 });

/** The tab's IDE frame as Playwright sees it. */
function ide(page: Page): FrameLocator {
  return page.locator('section[role="tabpanel"]:not([hidden]) iframe[title="Workspace IDE"]').contentFrame();
}
async function ideFrame(page: Page): Promise<Frame> {
  const handle = await page.locator('section[role="tabpanel"]:not([hidden]) iframe[title="Workspace IDE"]').elementHandle();
  const frame = await handle?.contentFrame();
  if (!frame) throw new Error('no IDE frame');
  return frame;
}

/** Waits until the tab's IDE reports the workbench rendered; returns its timings. */
async function waitIdeReady(page: Page): Promise<{ openMs: number; readyMs: number }> {
  const frame = page.locator('section[role="tabpanel"]:not([hidden]) [data-testid="ide-frame"]');
  await frame.and(page.locator('[data-state="ready"]')).waitFor({ state: 'attached', timeout: IDE_TIMEOUT });
  await ide(page).locator('#files').waitFor({ timeout: IDE_TIMEOUT }); // the explorer
  return { openMs: Number(await frame.getAttribute('data-open-ms')), readyMs: Number(await frame.getAttribute('data-ready-ms')) };
}

const editorTabs = (page: Page) =>
  ide(page).locator('#theia-main-content-panel .lm-TabBar-tab .lm-TabBar-tabLabel').allInnerTexts();

/** Runs a Theia context-menu entry (right-click target, then the item). */
async function contextMenu(page: Page, target: ReturnType<FrameLocator['locator']>, item: string) {
  await target.click({ button: 'right' });
  await ide(page).locator('.lm-Menu .lm-Menu-item', { hasText: item }).first().click();
}

/** The terminal's text (xterm draws on a canvas): Select All + Copy from its context menu, caught on the copy event. */
async function terminalText(page: Page): Promise<string> {
  const frame = await ideFrame(page);
  await frame.evaluate(() => {
    const w = window as unknown as { __copied?: string; __copyHooked?: boolean };
    if (w.__copyHooked) return;
    w.__copyHooked = true;
    document.addEventListener('copy', (e) => {
      w.__copied = e.clipboardData?.getData('text/plain') ?? '';
    });
  });
  const screen = ide(page).locator('.terminal-container .xterm-screen').last();
  await contextMenu(page, screen, 'Select All');
  await contextMenu(page, screen, 'Copy');
  return frame.evaluate(() => (window as unknown as { __copied?: string }).__copied ?? '');
}

describe.skipIf(!run)('the IDE in a session tab (Chromium, real sandboxed Theia)', () => {
  // One retry: its refused-reload step has failed now and then in the full suite yet passes alone (see the closing note of stop 23).
  it('opens, edits and saves a file, runs a terminal command, and brings the file back on reopen', { retry: 1, timeout: 10 * 60_000 }, async () => {
    const context = await newDevice(browser, server.url);
    context.setDefaultTimeout(30_000);
    const page = await context.newPage();
    const email = uniqueEmail('ide');
    const t0 = Date.now();
    const step = (what: string) => console.log(`[ide e2e] ${((Date.now() - t0) / 1000).toFixed(1)} s  ${what}`);

    // Sign up (signed in) → create a session → Open.
    await page.goto('/register');
    await page.getByLabel('First name').fill('Grace');
    await page.getByLabel('Last name').fill('Hopper');
    await page.getByLabel('Work email').fill(email);
    await page.getByLabel(/^Password/).fill(PASSWORD);
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.waitForURL((u) => u.pathname === '/');
    await page.getByRole('button', { name: 'New session' }).first().click();
    const dialog = page.getByRole('dialog', { name: 'New workspace session' });
    await dialog.getByLabel('Session name').fill('compiler');
    // Creating opens the session right away.
    await dialog.getByRole('button', { name: 'Create session' }).click();
    await page.waitForURL(/\/ide\/[0-9a-f-]{36}$/);
    const sessionId = new URL(page.url()).pathname.split('/').pop()!;
    step('session created, tab opening');

    // Progress while it starts, then the Theia workbench and its explorer in the tab.
    const first = await waitIdeReady(page);
    step(`workbench rendered (open ${first.openMs} ms, open → rendered ${first.readyMs} ms)`);
    expect(await ide(page).locator('body').getAttribute('class')).toContain('theia-light');
    // The tab's menu shows what its workspace uses, against its limits.
    const tabActions = page.getByTestId('session-tab').filter({ has: page.locator(`#tab-${sessionId}`) }).getByRole('button', { name: 'Tab actions' });
    await tabActions.click();
    await poll(() => page.getByTestId('session-details').locator('[data-testid="workspace-usage"]').textContent(), 15_000)
      .toMatch(/^CPU \d+% of 1 · Mem \d+ MB \/ 2\.0 GB · Procs \d+ \/ 512 · Disk \d/);
    // The IDE may have taken the keyboard focus meanwhile: close the menu with its button.
    await tabActions.click();
    await page.getByTestId('session-details').waitFor({ state: 'hidden' });

    // A new file from the explorer's context menu, typed into Monaco, saved.
    await contextMenu(page, ide(page).locator('#files'), 'New File...');
    const input = ide(page).locator('.dialogBlock input');
    await input.fill('hello.txt');
    await input.press('Enter');
    await poll(() => editorTabs(page)).toContain('hello.txt');
    const editor = ide(page).locator('.monaco-editor .view-lines').first();
    await editor.click();
    await page.keyboard.type('Hello from Coditect');
    await page.keyboard.press('Control+S');
    const workspaces = path.join(server.server.deps.config.dataDir, 'workspaces');
    const fileOnDisk = () => {
      for (const tenant of readdirSync(workspaces)) {
        const f = path.join(workspaces, tenant, sessionId, 'hello.txt');
        if (existsSync(f)) return readFileSync(f, 'utf8');
      }
      return undefined;
    };
    await poll(fileOnDisk).toBe('Hello from Coditect');
    step('file saved on disk');

    // A terminal: echo $((6*7)) → 42.
    await ide(page).locator('#theia-top-panel .lm-MenuBar-item', { hasText: 'Terminal' }).click();
    await ide(page).locator('.lm-Menu .lm-Menu-item', { hasText: 'New Terminal' }).first().click();
    const terminal = ide(page).locator('.terminal-container .xterm-screen').last();
    await terminal.waitFor({ timeout: 60_000 });
    await terminal.click();
    await page.waitForTimeout(1000); // the shell's prompt
    await page.keyboard.type('echo $((6*7))');
    await page.keyboard.press('Enter');
    await poll(async () => (await terminalText(page)).split('\n').map((l) => l.trim()), 60_000).toContain('42');
    step('terminal answered 42');

    // The theme follows the app's (postMessage into the frame).
    await page.getByRole('button', { name: 'Switch to dark theme' }).click();
    await poll(() => ide(page).locator('body').getAttribute('class')).toContain('theia-dark');
    await page.getByRole('button', { name: 'Switch to light theme' }).click();
    await poll(() => ide(page).locator('body').getAttribute('class')).toContain('theia-light');
    await screenshot(page, 'ide-01-workspace-in-tab');

    // Kept alive: a visit to the dashboard does not reload the IDE.
    await (await ideFrame(page)).evaluate(() => { (window as unknown as { __mark: string }).__mark = 'same page'; });
    await page.getByRole('link', { name: 'Sessions' }).click();
    await page.getByRole('button', { name: 'Open compiler' }).waitFor();
    await page.getByRole('link', { name: 'IDE' }).click();
    await page.waitForURL(new RegExp(`/ide/${sessionId}$`));
    expect(await (await ideFrame(page)).evaluate(() => (window as unknown as { __mark?: string }).__mark)).toBe('same page');

    // The backend went away behind the tab's back (reaped, crashed): the frame's next load is refused
    // by the workspace origin, whose refusal page tells the app, and the tab re-opens transparently.
    // (Server-side on purpose: Playwright's clearCookies does not reliably reach the partitioned cookie.)
    await server.server.deps.workspaces.stop(sessionId);
    // Theia may ask before it unloads; Playwright would dismiss that and cancel the reload.
    page.on('dialog', (d) => void d.accept());
    await (await ideFrame(page)).evaluate(() => location.reload());
    await poll(() => page.locator(`#panel-${sessionId} [data-testid="ide-frame"]`).getAttribute('data-state')).not.toBe('ready');
    const recovered = await waitIdeReady(page);
    step(`re-opened after a refused load (open → rendered ${recovered.readyMs} ms)`);
    await poll(() => editorTabs(page), 60_000).toContain('hello.txt');

    // Close the tab (the IDE keeps running until reaped), reopen the session: hello.txt is open again.
    await page.waitForTimeout(2500); // the session sync reports open editors debounced (1 s)
    await page.getByTestId('session-tab').getByRole('button', { name: 'Close tab' }).click();
    await page.getByText('No sessions open').waitFor();
    expect(server.server.deps.workspaces.status(sessionId)).toBe('running');
    await page.getByRole('button', { name: 'Choose a session' }).click();
    await page.getByRole('button', { name: 'Open compiler' }).click();
    const again = await waitIdeReady(page);
    step(`reopened (open ${again.openMs} ms, open → rendered ${again.readyMs} ms)`);
    await poll(() => editorTabs(page), 60_000).toContain('hello.txt');
    await screenshot(page, 'ide-02-reopened');

    // Stop from the tab menu: the frame unloads and offers to start again.
    await page.getByTestId('session-tab').getByRole('button', { name: 'Tab actions' }).click();
    await page.getByRole('menuitem', { name: 'Stop workspace' }).click();
    await page.getByTestId('ide-stopped').waitFor();
    await poll(() => server.server.deps.workspaces.status(sessionId)).toBe('stopped');
    step('stopped');
    await context.close();
  });

  it('shows why a workspace cannot open, with a Retry', async () => {
    const context = await newDevice(browser, server.url);
    const page = await context.newPage();
    // The server refuses (capacity); the route is intercepted so the test does not need 20 running IDEs.
    let refuse = true;
    await page.route('**/api/v5/sessions/*/open', (route) =>
      refuse
        ? route.fulfill({ status: 503, contentType: 'application/json',
          body: JSON.stringify({ error: { code: 'workspace_capacity', message: 'All 20 workspace slots on this server are in use; close one or try again later' } }) })
        : route.fallback());
    const user = await server.newUser('full');
    const session = await user.api.call('createSession', { body: { name: 'busy' } });
    await page.goto('/login');
    await page.getByLabel('Email').fill(user.email);
    await page.getByLabel(/^Password/).fill(user.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL((u) => u.pathname === '/');
    await page.goto(`/ide/${session.id}`);
    const alert = page.getByTestId('ide-error');
    await alert.waitFor();
    expect(await alert.innerText()).toContain('All 20 workspace slots');
    await screenshot(page, 'ide-03-open-failed');
    refuse = false;
    await page.getByRole('button', { name: 'Retry' }).click();
    // This time the open goes through: the frame loads the IDE (its rendering is covered above).
    await page.locator('iframe[title="Workspace IDE"]').waitFor({ state: 'attached', timeout: IDE_TIMEOUT });
    expect(await page.getByTestId('ide-error').count()).toBe(0);
    await context.close();
  }, 5 * 60_000);
});
