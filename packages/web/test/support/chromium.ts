import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { WEB_ROOT } from './web-build';

export const CHROMIUM_PATH = process.env.CODITECT_CHROMIUM ?? '/usr/bin/chromium';
export const SCREENSHOT_DIR = path.join(WEB_ROOT, 'e2e', 'screenshots');

/**
 * Whether the browser suite can run. Without Chromium it is skipped — loudly —
 * except under CI=true, where a missing browser is a failure.
 */
export function chromiumAvailable(): boolean {
  if (existsSync(CHROMIUM_PATH)) return true;
  const reason = `Chromium not found at ${CHROMIUM_PATH} (apt-get install -y chromium, or set CODITECT_CHROMIUM)`;
  if (process.env.CI === 'true') throw new Error(`Browser tests cannot run under CI: ${reason}`);
  console.warn(`\n\x1b[33m!!! SKIPPING browser end-to-end tests: ${reason}\x1b[0m\n`);
  return false;
}

/** Real Chromium, headless, with nothing talking to the network but our server. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    // Playwright gives every launch a fresh temporary --user-data-dir of its own.
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
  });
}

/** A browser context = one "device": its own cookies, storage and user agent. */
export async function newDevice(browser: Browser, baseURL: string, options: { colorScheme?: 'light' | 'dark' } = {}): Promise<BrowserContext> {
  const context = await browser.newContext({
    baseURL,
    viewport: { width: 1366, height: 820 },
    colorScheme: options.colorScheme ?? 'light',
    locale: 'en-US',
    timezoneId: 'UTC',
  });
  context.setDefaultTimeout(10_000);
  return context;
}

/** Saves a full-page PNG under e2e/screenshots/ (git-ignored) for a person to look at. */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const file = path.join(SCREENSHOT_DIR, `${name}.png`);
  // Let toasts and transitions settle so the picture shows the page, not an animation frame.
  await page.waitForTimeout(250);
  await page.screenshot({ path: file, fullPage: false });
  return file;
}

/** Collects page errors and failed same-origin requests so a test can assert there were none. */
export function watchErrors(page: Page): string[] {
  const problems: string[] = [];
  page.on('pageerror', (err) => problems.push(`pageerror: ${err.message}`));
  page.on('console', (msg) => {
    if (msg.type() === 'error' && !/status of 40[0-9]|status of 429/.test(msg.text())) problems.push(`console: ${msg.text()}`);
  });
  return problems;
}
