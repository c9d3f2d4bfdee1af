import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureIdeBuilt, sandboxPrereq } from '../../server/src/workspaces/test-support';
import { chromiumAvailable, launchChromium, newDevice } from './support/chromium';
import { startTestServer, uniqueEmail, type TestServer } from './support/test-server';
import { ensureWebBuilt } from './support/web-build';

/**
 * Issue 21 (points 1–3, 5) in real Chromium against the real server: nothing typed is changed
 * silently, states are true, the API refuses weak passwords, compare says what it needs.
 */
function ideAvailable(): boolean {
  const sandbox = sandboxPrereq();
  if (sandbox.ok) return true;
  if (process.env.CI === 'true') throw new Error(`IDE browser test cannot run under CI: ${sandbox.reason}`);
  console.warn(`\n\x1b[33m!!! SKIPPING the session-state and reconnect tests: no usable sandbox: ${sandbox.reason}\x1b[0m\n`);
  return false;
}

const run = chromiumAvailable();
const withIde = run && ideAvailable();
const PASSWORD = 'correct horse battery';
let server: TestServer;
let browser: Browser;

beforeAll(async () => {
  if (!run) return;
  if (withIde) await ensureIdeBuilt();
  server = await startTestServer(await ensureWebBuilt());
  browser = await launchChromium();
}, 15 * 60_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
}, 120_000);

const poll = <T>(fn: () => T | Promise<T>, timeout = 15_000) => expect.poll(fn, { timeout, interval: 100 });

async function register(page: Page): Promise<string> {
  const email = uniqueEmail('trust');
  await page.goto('/register');
  await page.getByLabel('First name').fill('Ada');
  await page.getByLabel('Last name').fill('Lovelace');
  await page.getByLabel('Work email').fill(email);
  await page.getByLabel(/^Password/).fill(PASSWORD);
  await page.getByRole('button', { name: 'Create account' }).click();
  await page.waitForURL((u) => u.pathname === '/');
  return email;
}

/** The signed-in page's own API answer (same cookies and token path as the app). */
async function budgetOf(page: Page): Promise<number | null> {
  return page.evaluate(async () => {
    const refreshed = await fetch('/api/v5/auth/refresh', { method: 'POST', headers: { 'x-coditect-refresh-transport': 'cookie', 'content-type': 'application/json' }, body: '{}' });
    const { accessToken } = (await refreshed.json()) as { accessToken: string };
    const res = await fetch('/api/v5/llm/budget', { headers: { authorization: `Bearer ${accessToken}` } });
    return ((await res.json()) as { monthlyLimitUsd: number | null }).monthlyLimitUsd;
  });
}

describe.skipIf(!run)('trustworthy forms and states in Chromium', () => {
  it('sign-up asks only name, email, password; a common password is refused on its field and by the API', async () => {
    const context = await newDevice(browser, server.url);
    const page = await context.newPage();
    await page.goto('/register');
    expect(await page.getByLabel('Company').count()).toBe(0);
    expect(await page.getByLabel('Phone').count()).toBe(0);
    await page.getByLabel('First name').fill('Ada');
    await page.getByLabel('Last name').fill('Lovelace');
    await page.getByLabel('Work email').fill(uniqueEmail('weak'));
    await page.getByLabel(/^Password/).fill('password123');
    await poll(() => page.getByTestId('password-strength').innerText()).toBe('Too weak');
    await page.getByRole('button', { name: 'Create account' }).click();
    await poll(() => page.getByLabel(/^Password/).getAttribute('data-invalid')).toBe('true');
    expect(page.url()).toContain('/register');
    // The API itself refuses it (not only the meter), with the same reason.
    const answer = await page.evaluate(async (email) => {
      const res = await fetch('/api/v5/auth/register', { method: 'POST', headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email, password: 'password123', firstName: 'Ada', lastName: 'Lovelace' }) });
      return { status: res.status, body: await res.json() as { error: { code: string; details: { path: string }[] } } };
    }, uniqueEmail('weak-api'));
    expect(answer.status).toBe(400);
    expect(answer.body.error.code).toBe('weak_password');
    expect(answer.body.error.details[0]?.path).toBe('password');
    // A passphrase passes both.
    await page.getByLabel(/^Password/).fill(PASSWORD);
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.waitForURL((u) => u.pathname === '/');
    await context.close();
  });

  it('budget -5 and 0.0001 are field errors that keep what was typed; the stored budget does not change', async () => {
    const context = await newDevice(browser, server.url);
    const page = await context.newPage();
    await register(page);
    await page.goto('/usage');
    const limit = page.getByLabel('Monthly limit (USD)');
    for (const [typed, message] of [['-5', 'The limit cannot be negative'], ['0.0001', 'Use whole cents (at most two decimals)']] as const) {
      await limit.fill(typed);
      await page.getByRole('button', { name: 'Set', exact: true }).click();
      await poll(() => page.getByText(message).isVisible()).toBe(true);
      expect(await limit.inputValue()).toBe(typed);
      expect(await limit.getAttribute('aria-invalid')).toBe('true');
      expect(await budgetOf(page)).toBeNull();
    }
    await limit.fill('12.50');
    await page.getByRole('button', { name: 'Set', exact: true }).click();
    await poll(() => budgetOf(page)).toBe(12.5);
    await poll(() => page.getByTestId('budget-left').innerText()).toContain('$12.50');
    await context.close();
  });

  it('saving a provider that needs a key without one is a field error, and nothing is stored', async () => {
    const context = await newDevice(browser, server.url);
    const page = await context.newPage();
    await register(page);
    await page.goto('/models');
    const card = page.locator('[data-testid="provider-card"][data-provider="openai"]');
    await expect.poll(() => card.getAttribute('data-verification')).toBe('not_configured');
    await card.getByRole('button', { name: 'Save' }).click();
    await poll(() => card.getByText('Paste your OpenAI API key to save').isVisible()).toBe(true);
    await page.reload();
    await poll(() => card.getByTestId('provider-status').innerText()).toMatch(/not configured/i);
    expect(await card.getByRole('button', { name: 'Remove' }).count()).toBe(0);
    await context.close();
  });

  it('compare is reachable from Models and its disabled button says what it needs', async () => {
    const context = await newDevice(browser, server.url);
    const page = await context.newPage();
    await register(page);
    await page.goto('/models');
    await page.getByRole('link', { name: 'Compare models' }).click();
    await page.waitForURL((u) => u.pathname === '/compare');
    await poll(() => page.getByTestId('compare-needs').innerText()).toMatch(/^Add a (second )?model/);
    expect(await page.getByRole('button', { name: 'Compare', exact: true }).isDisabled()).toBe(true);
    await context.close();
  });
});

describe.skipIf(!withIde)('true session and connection states in Chromium (real sandboxed IDE)', () => {
  it('create opens it; the row says Running with Stop, then Stopped; losing the server blocks the IDE until it is back', async () => {
    const context = await newDevice(browser, server.url);
    const page = await context.newPage();
    await register(page);
    await page.getByRole('button', { name: 'New session' }).first().click();
    const dialog = page.getByRole('dialog', { name: 'New workspace session' });
    await dialog.getByLabel('Session name').fill('truthful');
    await dialog.getByRole('button', { name: 'Create session' }).click();
    await page.waitForURL(/\/ide\/[0-9a-f-]{36}$/);
    const frame = page.getByTestId('ide-frame');
    await poll(() => frame.getAttribute('data-state'), 150_000).toBe('ready');

    // The server stops answering (from the app's side): a blocking overlay, then back to work.
    await page.route('**/api/v5/health', (route) => route.abort('connectionrefused'));
    await poll(() => page.getByTestId('ide-reconnect').getAttribute('data-reason'), 20_000).toBe('server-lost');
    expect(await page.getByRole('alertdialog', { name: 'Connection to Coditect lost' }).isVisible()).toBe(true);
    // Trying now while it is still down keeps the overlay (nothing pretends to be back).
    await page.getByRole('button', { name: 'Try again now' }).click();
    await new Promise((r) => setTimeout(r, 1500));
    expect(await page.getByTestId('ide-reconnect').count()).toBe(1);
    await page.unroute('**/api/v5/health');
    await poll(() => page.getByTestId('ide-reconnect').count(), 30_000).toBe(0);
    expect(await frame.getAttribute('data-state')).toBe('ready');

    // Dashboard: Running, with Stop; last opened is now.
    await page.getByRole('link', { name: 'Sessions' }).click();
    const row = page.locator('[data-testid="session-row"]', { hasText: 'truthful' });
    await poll(() => row.getAttribute('data-workspace-status')).toBe('running');
    expect(await row.getByText(/just now|second|minute/).count()).toBeGreaterThan(0);
    await row.getByRole('button', { name: 'Stop truthful' }).click();
    await poll(() => row.getAttribute('data-workspace-status'), 30_000).toBe('stopped');
    expect(await row.getByTestId('session-state').innerText()).toMatch(/stopped/i);
    expect(await row.getByRole('button', { name: 'Stop truthful' }).count()).toBe(0);
    await context.close();
  }, 300_000);
});
