import AxeBuilder from '@axe-core/playwright';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumAvailable, launchChromium, newDevice } from './support/chromium';
import { startTestServer, uniqueEmail, type TestServer } from './support/test-server';
import { ensureWebBuilt } from './support/web-build';

/**
 * Issue 21 points 6–8 in real Chromium against the real server: axe-core
 * (WCAG 2.2 A/AA rules) finds no serious or critical violation on any page
 * or on the IDE page's own widgets; a keyboard alone gets from sign-up to
 * usage with a visible focus; at 390 px nothing scrolls sideways and the
 * main actions are reachable; a signed-out load makes no failing request.
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
const poll = <T>(fn: () => T | Promise<T>) => expect.poll(fn, { timeout: 10_000, interval: 50 });

/** Serious and critical axe violations on the page as it is now (the cross-origin IDE frame is not ours to scan). */
async function axe(page: Page): Promise<string[]> {
  // A page fading in (160 ms) is half transparent: scan what the user reads once it settled.
  await page.evaluate(() => Promise.allSettled(document.getAnimations().map((a) => a.finished)));
  const result = await new AxeBuilder({ page })
    .withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice'])
    .exclude('iframe')
    .analyze();
  return result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.impact} ${v.id}: ${v.nodes.map((n) => `${n.target.join(' ')} (${n.failureSummary?.replace(/\s+/g, ' ').slice(0, 300)})`).join(', ')}`);
}

async function register(page: Page, email: string) {
  await page.goto('/register');
  await page.getByLabel('First name').fill('Alan');
  await page.getByLabel('Last name').fill('Turing');
  await page.getByLabel('Work email').fill(email);
  await page.getByLabel(/^Password/).fill(PASSWORD);
  await page.getByRole('button', { name: 'Create account' }).click();
  await page.waitForURL((u) => u.pathname === '/');
}

async function createSession(page: Page, name: string) {
  await page.getByRole('button', { name: 'New session' }).first().click();
  const dialog = page.getByRole('dialog', { name: 'New workspace session' });
  await dialog.getByLabel('Session name').fill(name);
  // Only create it: opening would start an IDE this test does not need.
  await dialog.getByLabel('Open it now').setChecked(false);
  await dialog.getByRole('button', { name: 'Create session' }).click();
  await poll(() => dialog.isVisible()).toBe(false);
  await page.getByRole('link', { name, exact: true }).waitFor();
}

/** Presses Tab until `target` has the focus (or gives up), checking each stop shows a focus indicator. */
async function tabTo(page: Page, target: ReturnType<Page['locator']>, max = 40): Promise<void> {
  for (let i = 0; i < max; i++) {
    await page.keyboard.press('Tab');
    const focused = await target.evaluate((el) => el === document.activeElement).catch(() => false);
    // A visible indicator: the focused look differs from the unfocused one (outline, ring, or border colour).
    const indicator = await page.evaluate(() => {
      const el = document.activeElement as HTMLElement | null;
      if (!el || el === document.body) return 'body';
      // Measure the end states, not a frame of a colour transition.
      // Inputs inside a wrapper (password with its eye button) show focus on the wrapper (:focus-within).
      const boxes = [el, el.parentElement, el.parentElement?.parentElement].filter((b): b is HTMLElement => !!b);
      for (const b of boxes) b.style.transition = 'none';
      const look = () => boxes.map((b) => {
        const s = getComputedStyle(b);
        return [s.outlineStyle === 'none' ? 'none' : `${s.outlineStyle} ${s.outlineWidth} ${s.outlineColor}`, s.boxShadow, s.borderColor].join('|');
      }).join(' / ');
      const focusedLook = look();
      el.blur();
      const restingLook = look();
      el.focus();
      for (const b of boxes) b.style.transition = '';
      return focusedLook !== restingLook ? 'ok' : `no focus indicator on ${el.outerHTML.slice(0, 160)}`;
    });
    expect(indicator === 'ok' || indicator === 'body', indicator).toBe(true);
    if (focused) return;
  }
  throw new Error(`Tab never reached ${target.toString()}`);
}

async function phone(): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ baseURL: server.url, viewport: { width: 390, height: 844 }, locale: 'en-US', timezoneId: 'UTC', hasTouch: true });
  context.setDefaultTimeout(10_000);
  return { context, page: await context.newPage() };
}

/** How far the page scrolls sideways (0 when it does not), and what sticks out when it does. */
async function overflow(page: Page): Promise<number> {
  const { by, culprits } = await page.evaluate(() => {
    const by = document.documentElement.scrollWidth - window.innerWidth;
    const culprits = by <= 0 ? [] : [...document.querySelectorAll('body *')]
      .filter((el) => el.getBoundingClientRect().right > window.innerWidth + 0.5)
      .slice(0, 5)
      .map((el) => `${el.tagName.toLowerCase()}.${el.className} → ${Math.round(el.getBoundingClientRect().right)}`);
    return { by, culprits };
  });
  if (by > 0) console.log('sticks out:', culprits);
  return by;
}

describe.skipIf(!run)('accessibility, phone width and a quiet signed-out load', () => {
  it('a signed-out load asks nothing that fails and logs no error', async () => {
    const context = await newDevice(browser, server.url);
    const page = await context.newPage();
    const failures: string[] = [];
    const consoleErrors: string[] = [];
    page.on('response', (r) => { if (r.status() >= 400) failures.push(`${r.status()} ${r.url()}`); });
    page.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(m.text()); });
    await page.goto('/');
    await page.waitForURL((u) => u.pathname === '/login');
    await page.getByRole('button', { name: 'Sign in' }).waitFor();
    await page.goto('/register');
    await page.getByRole('button', { name: 'Create account' }).waitFor();
    expect(failures).toEqual([]);
    expect(consoleErrors).toEqual([]);
    await context.close();
  });

  it('axe finds no serious or critical violation on login, register, dashboard, models, usage, 404 and the IDE page', async () => {
    const context = await newDevice(browser, server.url);
    const page = await context.newPage();
    const found: Record<string, string[]> = {};
    await page.goto('/login');
    await page.getByRole('button', { name: 'Sign in' }).waitFor();
    found.login = await axe(page);
    await page.goto('/register');
    await page.getByRole('button', { name: 'Create account' }).waitFor();
    found.register = await axe(page);

    await register(page, uniqueEmail('axe'));
    await createSession(page, 'alpha');
    await createSession(page, 'beta');
    // The toast from the last create is on screen: its close button is scanned too.
    await page.getByRole('button', { name: 'Dismiss notification' }).first().waitFor();
    found.dashboard = await axe(page);

    await page.getByRole('link', { name: 'Models' }).click();
    await page.waitForURL((u) => u.pathname === '/models');
    await page.locator('[data-testid="provider-card"]').first().waitFor();
    found.models = await axe(page);

    await page.getByRole('link', { name: 'Usage' }).click();
    await page.waitForURL((u) => u.pathname === '/usage');
    await page.getByRole('heading', { level: 1 }).waitFor();
    found.usage = await axe(page);

    await page.goto('/no/such/page');
    await page.getByTestId('not-found').waitFor();
    found.notFound = await axe(page);

    // The IDE page's own widgets: the tab strip in the app bar and a tab's menu.
    await page.getByRole('link', { name: 'Sessions' }).click();
    await page.getByRole('button', { name: 'Open alpha' }).click();
    await page.getByRole('tab', { name: 'alpha' }).waitFor();
    await page.getByRole('link', { name: 'Sessions' }).click();
    await page.getByRole('button', { name: 'Open beta' }).click();
    await poll(() => page.getByRole('tab', { selected: true }).innerText()).toBe('beta');
    found.ide = await axe(page);
    await page.getByRole('button', { name: 'Tab actions' }).last().click();
    await page.getByTestId('session-title').filter({ hasText: 'beta' }).waitFor();
    found.ideTabMenu = await axe(page);
    await page.keyboard.press('Escape');

    // The IDE route adds exactly one row above the IDE: the app bar, at most 48 px.
    const barHeight = await page.locator('header').evaluate((h) => h.getBoundingClientRect().height);
    expect(barHeight).toBeLessThanOrEqual(48);
    const panelTop = await page.locator('[role="tabpanel"]:not([hidden])').evaluate((p) => p.getBoundingClientRect().top);
    expect(panelTop).toBeLessThanOrEqual(48);

    expect(found).toEqual({ login: [], register: [], dashboard: [], models: [], usage: [], notFound: [], ide: [], ideTabMenu: [] });
    await context.close();
  }, 120_000);

  it('a keyboard alone gets from sign-up to a session, models and usage, with the focus always visible', async () => {
    const context = await newDevice(browser, server.url);
    const page = await context.newPage();
    await page.goto('/register');
    await tabTo(page, page.getByLabel('First name'));
    await page.keyboard.type('Grace');
    await tabTo(page, page.getByLabel('Last name'));
    await page.keyboard.type('Hopper');
    await tabTo(page, page.getByLabel('Work email'));
    await page.keyboard.type(uniqueEmail('keys'));
    await tabTo(page, page.getByLabel(/^Password/));
    await page.keyboard.type(PASSWORD);
    await page.keyboard.press('Enter');
    await page.waitForURL((u) => u.pathname === '/');

    await tabTo(page, page.getByRole('button', { name: 'New session' }).first());
    await page.keyboard.press('Enter');
    const dialog = page.getByRole('dialog', { name: 'New workspace session' });
    await dialog.getByLabel('Session name').waitFor();
    await poll(() => dialog.getByLabel('Session name').evaluate((el) => el === document.activeElement)).toBe(true);
    await page.keyboard.type('by-keyboard');
    await page.keyboard.press('Enter');
    await poll(() => dialog.isVisible()).toBe(false);
    // Creating opens the session.
    await page.waitForURL(/\/ide\/[0-9a-f-]{36}$/);
    await page.getByRole('tab', { name: 'by-keyboard' }).waitFor();

    await tabTo(page, page.getByRole('link', { name: 'Models' }));
    await page.keyboard.press('Enter');
    await page.waitForURL((u) => u.pathname === '/models');
    await tabTo(page, page.getByRole('link', { name: 'Usage' }));
    await page.keyboard.press('Enter');
    await page.waitForURL((u) => u.pathname === '/usage');
    await context.close();
  });

  it('at 390 px nothing scrolls sideways, the navigation is a menu and every main action is on screen', async () => {
    const { context, page } = await phone();
    await page.goto('/login');
    await page.getByRole('button', { name: 'Sign in' }).waitFor();
    expect(await overflow(page)).toBeLessThanOrEqual(0);
    await page.goto('/register');
    await page.getByRole('button', { name: 'Create account' }).waitFor();
    expect(await overflow(page)).toBeLessThanOrEqual(0);

    await register(page, uniqueEmail('phone'));
    await createSession(page, 'on-the-go');
    expect(await overflow(page)).toBeLessThanOrEqual(0);
    const inView = async (name: string) => {
      const box = await page.getByRole('button', { name }).first().boundingBox();
      return box !== null && box.x >= 0 && box.x + box.width <= 390;
    };
    expect(await inView('Open on-the-go')).toBe(true);
    expect(await inView('More actions for on-the-go')).toBe(true);
    expect(await inView('New session')).toBe(true);
    expect(await inView('Account menu for Alan Turing')).toBe(true);

    // The navigation folds into a menu.
    await poll(() => page.getByRole('navigation', { name: 'Main' }).isVisible()).toBe(false);
    for (const [item, path] of [['Models', '/models'], ['Usage', '/usage'], ['Sessions', '/']] as const) {
      await page.getByRole('button', { name: 'Open navigation' }).click();
      await page.getByRole('menuitem', { name: item }).click();
      await page.waitForURL((u) => u.pathname === path);
      await page.getByRole('heading', { level: 1 }).waitFor();
      expect(await overflow(page), `${path} scrolls sideways`).toBeLessThanOrEqual(0);
    }
    for (const path of ['/profile', '/settings']) {
      await page.goto(path);
      await page.getByRole('heading', { level: 1 }).waitFor();
      expect(await overflow(page), `${path} scrolls sideways`).toBeLessThanOrEqual(0);
    }

    // The IDE page says it wants a wider screen and does not scroll sideways either.
    await page.goto('/');
    await page.getByRole('button', { name: 'Open on-the-go' }).click();
    await page.getByRole('tab', { name: 'on-the-go' }).waitFor();
    await page.getByRole('note').filter({ hasText: 'wider screen' }).waitFor();
    expect(await overflow(page)).toBeLessThanOrEqual(0);
    await context.close();
  });
});
