import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumAvailable, launchChromium, newDevice, screenshot, watchErrors } from './support/chromium';
import { startTestServer, uniqueEmail, type TestServer } from './support/test-server';
import { ensureWebBuilt } from './support/web-build';

/**
 * The web app in real Chromium against the real server (in-process, SQLite,
 * serving the built SPA): what a new user does on their first day.
 */
const run = chromiumAvailable();

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

const PASSWORD = 'correct horse battery';

async function register(page: Page, email: string, first = 'Ada', last = 'Lovelace') {
  await page.goto('/register');
  await page.getByLabel('First name').fill(first);
  await page.getByLabel('Last name').fill(last);
  await page.getByLabel('Work email').fill(email);
  await page.getByLabel(/^Password/).fill(PASSWORD);
  await page.getByRole('button', { name: 'Create account' }).click();
  await page.waitForURL((u) => u.pathname === '/');
}

async function signIn(page: Page, email: string, password: string) {
  await page.getByLabel('Email').fill(email);
  await page.getByLabel(/^Password/).fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

async function createSession(page: Page, name: string) {
  await page.getByRole('button', { name: 'New session' }).first().click();
  const dialog = page.getByRole('dialog', { name: 'New workspace session' });
  await dialog.getByLabel('Session name').fill(name);
  // Only create (no IDE start): creating opens by default.
  await dialog.getByLabel('Open it now').setChecked(false);
  await dialog.getByRole('button', { name: 'Create session' }).click();
  await poll(() => dialog.isVisible()).toBe(false);
  await page.getByRole('link', { name, exact: true }).waitFor();
}

/** Waits for a condition the way a person would: up to 10 s. */
const poll = <T>(fn: () => T | Promise<T>) => expect.poll(fn, { timeout: 10_000, interval: 50 });

const tabNames = (page: Page) => page.getByRole('tab').allInnerTexts();

describe.skipIf(!run)('web app in Chromium', () => {
  it('register → sessions → tabs survive reload → profile → password → sign out → sign in', async () => {
    const context = await newDevice(browser, server.url);
    const page = await context.newPage();
    const errors = watchErrors(page);
    const email = uniqueEmail('ada');

    // Register: a weak password gets a hint, a server-side duplicate shows on the field.
    await page.goto('/register');
    await page.getByLabel(/^Password/).fill('password1');
    await poll(() => page.getByTestId('password-strength').innerText()).toBe('Too weak');
    await page.getByLabel(/^Password/).fill('');
    await page.getByRole('button', { name: 'Create account' }).click();
    await poll(() => page.getByText('Password must be at least 8 characters').isVisible()).toBe(true);
    await screenshot(page, '01-register-validation');

    await register(page, email);
    await poll(() => page.getByTestId('header-user-name').innerText()).toBe('Ada Lovelace');
    await poll(() => page.getByText('Create your first workspace session').isVisible()).toBe(true);
    await screenshot(page, '02-dashboard-empty');

    // Create, rename, delete (with confirmation).
    await createSession(page, 'payments-api');
    await createSession(page, 'web-frontend');
    await createSession(page, 'scratch');
    await poll(() => page.getByTestId('session-row').count()).toBe(3);

    await page.getByRole('button', { name: 'More actions for web-frontend' }).click();
    await page.getByRole('menuitem', { name: 'Rename' }).click();
    const rename = page.getByRole('dialog', { name: 'Rename session' });
    await rename.getByLabel('Session name').fill('   ');
    await rename.getByRole('button', { name: 'Save name' }).click();
    await poll(() => rename.getByText('Required').isVisible()).toBe(true);
    await rename.getByLabel('Session name').fill('storefront');
    await rename.getByRole('button', { name: 'Save name' }).click();
    await page.getByRole('link', { name: 'storefront', exact: true }).waitFor();

    await page.getByRole('button', { name: 'More actions for scratch' }).click();
    await page.getByRole('menuitem', { name: 'Delete' }).click();
    const confirm = page.getByRole('dialog', { name: 'Delete this session?' });
    await confirm.getByRole('button', { name: 'Cancel' }).click();
    await poll(() => page.getByTestId('session-row').count()).toBe(3);
    await page.getByRole('button', { name: 'More actions for scratch' }).click();
    await page.getByRole('menuitem', { name: 'Delete' }).click();
    await confirm.getByRole('button', { name: 'Delete session' }).click();
    await poll(() => page.getByTestId('session-row').count()).toBe(2);
    await page.reload();
    await poll(() => page.getByTestId('session-name').allInnerTexts()).toEqual(['storefront', 'payments-api']);
    await screenshot(page, '03-dashboard-sessions');

    // Open both as tabs, switch, reorder.
    await page.getByRole('button', { name: 'Open payments-api' }).click();
    await poll(() => page.getByRole('tab', { selected: true }).innerText()).toBe('payments-api');
    await page.getByRole('link', { name: 'Sessions' }).click();
    await page.getByRole('button', { name: 'Open storefront' }).click();
    await poll(() => tabNames(page)).toEqual(['payments-api', 'storefront']);
    await poll(() => page.getByRole('tab', { selected: true }).innerText()).toBe('storefront');
    await page.getByRole('tab', { name: 'payments-api' }).click();
    await poll(() => page.getByRole('tab', { selected: true }).innerText()).toBe('payments-api');
    expect(new URL(page.url()).pathname).toMatch(/^\/ide\/[0-9a-f-]{36}$/);

    // Reorder with the keyboard (Alt+Shift+→), then with the tab menu.
    await page.getByRole('tab', { name: 'payments-api' }).press('Alt+Shift+ArrowRight');
    await poll(() => tabNames(page)).toEqual(['storefront', 'payments-api']);
    await page.getByTestId('session-tab').nth(1).getByRole('button', { name: 'Tab actions' }).click();
    await page.getByRole('menuitem', { name: 'Move left' }).click();
    await poll(() => tabNames(page)).toEqual(['payments-api', 'storefront']);
    await page.getByTestId('session-tab').nth(0).getByRole('button', { name: 'Tab actions' }).click();
    await page.getByRole('menuitem', { name: 'Move right' }).click();
    await poll(() => tabNames(page)).toEqual(['storefront', 'payments-api']);
    await page.getByRole('tab', { name: 'storefront' }).click();
    await screenshot(page, '04-ide-tabs');

    // Reload: the same tabs, in the same order, the same one in front.
    await page.reload();
    await poll(() => tabNames(page)).toEqual(['storefront', 'payments-api']);
    await poll(() => page.getByRole('tab', { selected: true }).innerText()).toBe('storefront');
    // The front tab's menu names its session (the details left the row above the IDE for the menu).
    await page.getByTestId('session-tab').nth(0).getByRole('button', { name: 'Tab actions' }).click();
    await poll(() => page.getByTestId('session-title').filter({ visible: true }).innerText()).toBe('storefront');
    await page.keyboard.press('Escape');
    // /ide without an id goes to the tab in front.
    await page.goto('/ide');
    await poll(() => page.getByRole('tab', { selected: true }).innerText()).toBe('storefront');

    // Close a tab: the other comes to the front.
    await page.getByTestId('session-tab').nth(0).getByRole('button', { name: 'Close tab' }).click();
    await poll(() => tabNames(page)).toEqual(['payments-api']);
    await poll(() => page.getByRole('tab', { selected: true }).innerText()).toBe('payments-api');

    // Profile: a bad phone is flagged on its field (client side, contract rules); a good one saves and survives reload.
    await page.getByRole('button', { name: /Account menu/ }).click();
    await page.getByRole('menuitem', { name: 'Profile' }).click();
    await page.waitForURL('**/profile');
    await page.getByLabel('Phone').fill('12-34');
    await page.getByLabel('State / region').fill('c');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await poll(() => page.getByText('Use international format, e.g. +14155550123').isVisible()).toBe(true);
    await poll(() => page.getByText('Use a 2-letter code, e.g. CA').isVisible()).toBe(true);
    await poll(() => page.getByLabel('Phone').getAttribute('aria-invalid')).toBe('true');
    await screenshot(page, '05-profile-validation');
    await page.getByLabel('Phone').fill('+14155550123');
    await page.getByLabel('State / region').fill('ca');
    await page.getByLabel('Company').fill('Analytical Engines Ltd');
    await page.getByLabel('City').fill('San Francisco');
    await page.getByLabel('Postal code').fill('94107');
    await page.getByRole('textbox', { name: 'Country' }).fill('united sta');
    await page.getByRole('option', { name: 'United States', exact: true }).click();
    await page.getByRole('button', { name: 'Save changes' }).click();
    await poll(() => page.getByText('Your profile was saved.').isVisible()).toBe(true);
    await page.reload();
    await poll(() => page.getByLabel('Phone').inputValue()).toBe('+14155550123');
    await poll(() => page.getByLabel('State / region').inputValue()).toBe('CA');
    await poll(() => page.getByRole('textbox', { name: 'Country' }).inputValue()).toBe('United States');
    await poll(() => page.getByLabel('Company').inputValue()).toBe('Analytical Engines Ltd');
    // Cancel throws away unsaved edits.
    await page.getByLabel('City').fill('Oakland');
    await page.getByRole('button', { name: 'Cancel' }).click();
    await poll(() => page.getByLabel('City').inputValue()).toBe('San Francisco');
    await screenshot(page, '06-profile-saved');

    // Change password: wrong current password and a mismatch are caught, then it works.
    await page.getByRole('button', { name: /Account menu/ }).click();
    await page.getByRole('menuitem', { name: 'Settings' }).click();
    const newPassword = 'a much longer passphrase 2';
    await page.getByLabel('Current password').fill('not my password');
    await page.getByLabel(/^New password/).fill(newPassword);
    await page.getByLabel('Confirm new password').fill(newPassword + 'x');
    await page.getByRole('button', { name: 'Change password' }).click();
    await poll(() => page.getByText('Passwords do not match').isVisible()).toBe(true);
    await page.getByLabel('Confirm new password').fill(newPassword);
    await page.getByRole('button', { name: 'Change password' }).click();
    await poll(() => page.getByText('That is not your current password').isVisible()).toBe(true);
    await page.getByLabel('Current password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Change password' }).click();
    await poll(() => page.getByText('Other devices were signed out.').isVisible()).toBe(true);
    await screenshot(page, '07-settings');

    // Sign out from the header menu; the API session really ends.
    await page.getByRole('button', { name: /Account menu/ }).click();
    await page.getByRole('menuitem', { name: 'Sign out' }).click();
    await page.waitForURL((u) => u.pathname === '/login');
    await page.reload();
    await page.getByRole('button', { name: 'Sign in' }).waitFor();

    // A protected page sends us to sign-in with a way back.
    await page.goto('/settings');
    await page.waitForURL((u) => u.pathname === '/login' && u.searchParams.get('return') === '/settings');
    await signIn(page, email, PASSWORD); // the old password
    await poll(() => page.getByTestId('login-error').innerText()).toContain('do not match');
    await screenshot(page, '08-login-wrong-password');
    await signIn(page, email, newPassword);
    await page.waitForURL((u) => u.pathname === '/settings');
    await page.getByRole('heading', { name: 'Settings' }).waitFor();

    expect(errors).toEqual([]);
    await context.close();
  }, 120_000);

  it('devices: a second sign-in is listed, can be signed out, and "sign out everywhere" ends the other device', async () => {
    const email = uniqueEmail('grace');
    const laptop = await newDevice(browser, server.url);
    const desktop = await newDevice(browser, server.url);
    const a = await laptop.newPage();
    const b = await desktop.newPage();
    await register(a, email, 'Grace', 'Hopper');

    await b.goto('/');
    await b.waitForURL('**/login');
    await signIn(b, email, PASSWORD);
    await b.waitForURL((u) => u.pathname === '/');

    await a.goto('/settings');
    await poll(() => a.getByTestId('device-row').count()).toBe(2);
    await poll(() => a.locator('[data-testid="device-row"][data-current]').count()).toBe(1);
    await screenshot(a, '09-devices');

    // Sign the other device out from here: its next request lands on the login page.
    await a.locator('[data-testid="device-row"]:not([data-current])').getByRole('button', { name: /^Sign out / }).click();
    await poll(() => a.getByTestId('device-row').count()).toBe(1);
    await b.getByRole('button', { name: 'Refresh list' }).click();
    await b.waitForURL((u) => u.pathname === '/login');
    await poll(() => b.getByTestId('session-ended').isVisible()).toBe(true);

    // Back in on the desktop, then "sign out everywhere" from there ends the laptop's session too.
    await signIn(b, email, PASSWORD);
    await b.waitForURL((u) => u.pathname === '/');
    await b.goto('/settings');
    await b.getByRole('button', { name: 'Sign out everywhere' }).click();
    await b.getByRole('dialog', { name: 'Sign out everywhere?' }).getByRole('button', { name: 'Sign out everywhere' }).click();
    await b.waitForURL((u) => u.pathname === '/login');

    // The laptop's next request (loading the sessions list) finds its session gone.
    await a.getByRole('link', { name: 'Sessions' }).click();
    await a.waitForURL((u) => u.pathname === '/login');
    await poll(() => a.getByTestId('session-ended').isVisible()).toBe(true);
    await a.reload();
    await a.getByRole('button', { name: 'Sign in' }).waitFor();
    await laptop.close();
    await desktop.close();
  });

  it("another tenant's session URL shows a not-found page, as does an unknown page", async () => {
    const other = await server.newUser('mallory');
    const foreign = await other.api.call('createSession', { body: { name: 'secret plans' } });
    const context = await newDevice(browser, server.url);
    const page = await context.newPage();
    await register(page, uniqueEmail('victor'), 'Victor', 'Visitor');
    await page.goto(`/ide/${foreign.id}`);
    await poll(() => page.getByRole('heading', { name: 'Session not found' }).isVisible()).toBe(true);
    expect(await page.getByText('secret plans').count()).toBe(0);
    await page.goto('/ide');
    await poll(() => page.getByText('No sessions open').isVisible()).toBe(true);
    expect(await page.getByRole('tab').count()).toBe(0);
    await page.goto('/no/such/page');
    await poll(() => page.getByRole('heading', { name: 'Page not found' }).isVisible()).toBe(true);
    await screenshot(page, '10-not-found');
    await context.close();
  });

  it('dashboard pages past 50 sessions with "Load more"', async () => {
    const user = await server.newUser('bulk');
    for (let i = 1; i <= 57; i++) await user.api.call('createSession', { body: { name: `session ${String(i).padStart(2, '0')}` } });
    const context = await newDevice(browser, server.url);
    const page = await context.newPage();
    await page.goto('/login');
    await signIn(page, user.email, user.password);
    await poll(() => page.getByTestId('session-row').count()).toBe(50);
    // Newest first.
    await poll(() => page.getByTestId('session-name').first().innerText()).toBe('session 57');
    await page.getByRole('button', { name: 'Load more' }).click();
    await poll(() => page.getByTestId('session-row').count()).toBe(57);
    expect(await page.getByRole('button', { name: 'Load more' }).count()).toBe(0);
    await poll(() => page.getByTestId('session-name').last().innerText()).toBe('session 01');
    await context.close();
  });

  // One retry: the settings page missed its 10 s click once in the full suite yet passes alone (see the closing note of stop 23).
  it('looks right in dark mode', { retry: 1 }, async () => {
    const context = await newDevice(browser, server.url, { colorScheme: 'dark' });
    const page = await context.newPage();
    await register(page, uniqueEmail('dark'), 'Dana', 'Dark');
    await page.getByRole('button', { name: 'Switch to dark theme' }).click();
    expect(await page.locator('html').getAttribute('data-mantine-color-scheme')).toBe('dark');
    await createSession(page, 'night-shift');
    await createSession(page, 'ml-pipeline');
    await screenshot(page, '11-dashboard-dark');
    await page.getByRole('button', { name: 'Open night-shift' }).click();
    await page.getByRole('tab', { name: 'night-shift' }).waitFor();
    await screenshot(page, '12-ide-dark');
    // The choice is remembered by the browser.
    await page.reload();
    expect(await page.locator('html').getAttribute('data-mantine-color-scheme')).toBe('dark');
    await page.goto('/settings');
    await page.locator('label', { hasText: /^Light$/ }).click();
    expect(await page.locator('html').getAttribute('data-mantine-color-scheme')).toBe('light');
    await page.locator('label', { hasText: /^Dark$/ }).click();
    await page.getByTestId('device-row').first().waitFor();
    await screenshot(page, '13-settings-dark');
    await page.goto('/profile');
    await page.getByLabel('Company').waitFor();
    await screenshot(page, '14-profile-dark');
    await context.close();
  });
});
