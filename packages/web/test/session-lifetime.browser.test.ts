import type { Browser, Page, Response } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumAvailable, launchChromium, newDevice, screenshot } from './support/chromium';
import { startTestServer, uniqueEmail, type TestServer } from './support/test-server';
import { ensureWebBuilt } from './support/web-build';

/**
 * Access tokens that live 2 s: the app must refresh transparently, once per
 * expiry, never twice with the same refresh token — even with two tabs
 * refreshing at the same moment (a reused refresh token revokes the session).
 */
const run = chromiumAvailable();
const TTL_SECONDS = 2;

let server: TestServer;
let browser: Browser;

beforeAll(async () => {
  if (!run) return;
  server = await startTestServer(await ensureWebBuilt(), {
    CODITECT_ACCESS_TOKEN_TTL_SECONDS: String(TTL_SECONDS),
    CODITECT_RATE_LIMIT_LOGIN_ACCOUNT: '3/60s',
  });
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

const poll = <T>(fn: () => T | Promise<T>) => expect.poll(fn, { timeout: 10_000, interval: 50 });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const PASSWORD = 'correct horse battery';

/** Every response to POST /auth/refresh the page sees. */
function recordRefreshes(page: Page): Response[] {
  const seen: Response[] = [];
  page.on('response', (res) => {
    if (res.url().endsWith('/api/v5/auth/refresh')) seen.push(res);
  });
  return seen;
}

async function register(page: Page, email: string) {
  await page.goto('/register');
  await page.getByLabel('First name').fill('Tess');
  await page.getByLabel('Last name').fill('Ttl');
  await page.getByLabel('Work email').fill(email);
  await page.getByLabel(/^Password/).fill(PASSWORD);
  await page.getByRole('button', { name: 'Create account' }).click();
  await page.waitForURL((u) => u.pathname === '/');
}

async function createSession(page: Page, name: string) {
  await page.getByRole('button', { name: 'New session' }).first().click();
  const dialog = page.getByRole('dialog', { name: 'New workspace session' });
  await dialog.getByLabel('Session name').fill(name);
  // Only create (no IDE start): creating opens by default.
  await dialog.getByLabel('Open it now').setChecked(false);
  await dialog.getByRole('button', { name: 'Create session' }).click();
  await page.getByRole('link', { name, exact: true }).waitFor();
}

describe.skipIf(!run)('session lifetime in Chromium', () => {
  it('stays signed in across access-token expiry, in one tab and in two tabs refreshing at once', async () => {
    const context = await newDevice(browser, server.url);
    const one = await context.newPage();
    const refreshesOne = recordRefreshes(one);
    await register(one, uniqueEmail('ttl'));
    // The /register page load itself tried to restore a sign-in (401 missing_token): not part of this.
    refreshesOne.length = 0;
    await createSession(one, 'first');

    // Work after expiry: the request fails with token_expired, the client refreshes and retries.
    await sleep(TTL_SECONDS * 1000 + 600);
    const before = refreshesOne.length;
    await createSession(one, 'after expiry');
    expect(refreshesOne.length).toBeGreaterThan(before);
    expect(new URL(one.url()).pathname).toBe('/');

    // A second tab restores the sign-in from the cookie.
    const two = await context.newPage();
    const refreshesTwo = recordRefreshes(two);
    await two.goto('/');
    await poll(() => two.getByTestId('session-row').count()).toBe(2);

    for (let round = 0; round < 3; round++) {
      await sleep(TTL_SECONDS * 1000 + 600);
      // Both tabs hit the API in the same instant with expired tokens…
      await Promise.all([
        one.getByRole('button', { name: 'Refresh list' }).click(),
        two.getByRole('button', { name: 'Refresh list' }).click(),
      ]);
      await sleep(300);
      await poll(() => one.getByTestId('session-row').count()).toBe(2);
      await poll(() => two.getByTestId('session-row').count()).toBe(2);
    }
    // …and both reload at once (each restores by refreshing on start-up).
    await Promise.all([one.reload(), two.reload()]);
    await poll(() => one.getByTestId('session-row').count()).toBe(2);
    await poll(() => two.getByTestId('session-row').count()).toBe(2);

    const all = [...refreshesOne, ...refreshesTwo];
    expect(all.length).toBeGreaterThanOrEqual(6);
    expect(all.map((r) => r.status()).filter((s) => s !== 200)).toEqual([]);
    expect(new URL(one.url()).pathname).toBe('/');
    expect(new URL(two.url()).pathname).toBe('/');

    // Still one device: the refreshes rotated one auth session rather than creating or killing any.
    await one.goto('/settings');
    await poll(() => one.getByTestId('device-row').count()).toBe(1);
    await screenshot(one, '20-ttl-still-signed-in');

    // Signing out in one tab signs the other out too (no stale UI left behind).
    await one.getByRole('button', { name: 'Sign out this device' }).click();
    await one.waitForURL((u) => u.pathname === '/login');
    await two.waitForURL((u) => u.pathname === '/login');
    await two.reload();
    await two.getByRole('button', { name: 'Sign in' }).waitFor();
    await context.close();
  }, 90_000);

  it('explains wrong credentials and, when rate limited, how long to wait', async () => {
    const user = await server.newUser('limited');
    const context = await newDevice(browser, server.url);
    const page = await context.newPage();
    await page.goto('/login');
    for (let i = 0; i < 3; i++) {
      await page.getByLabel('Email').fill(user.email);
      await page.getByLabel(/^Password/).fill(`wrong password ${i}`);
      const answered = page.waitForResponse((r) => r.url().endsWith('/api/v5/auth/login'));
      await page.getByRole('button', { name: 'Sign in' }).click();
      expect((await answered).status()).toBe(401);
      await poll(() => page.getByTestId('login-error').innerText()).toContain('do not match');
    }
    const answered = page.waitForResponse((r) => r.url().endsWith('/api/v5/auth/login'));
    await page.getByRole('button', { name: 'Sign in' }).click();
    const limited = await answered;
    expect(limited.status()).toBe(429);
    const retryAfter = Number(limited.headers()['retry-after']);
    expect(retryAfter).toBeGreaterThan(0);
    await poll(() => page.getByTestId('login-error').innerText()).toMatch(/Too many sign-in attempts\. Try again in \d+ seconds?\./);
    const shown = Number(/in (\d+) second/.exec(await page.getByTestId('login-error').innerText())?.[1]);
    expect(shown).toBeLessThanOrEqual(retryAfter);
    expect(shown).toBeGreaterThan(retryAfter - 5);
    await poll(() => page.getByRole('button', { name: /Try again in \d+s/ }).isDisabled()).toBe(true);
    await screenshot(page, '21-login-rate-limited');
    await context.close();
  });
});
