/**
 * Browser check of the sandboxed IDE behind a Host-routing proxy on its own origin
 * (`http://{id}.ws.localhost:PORT/`, through the IDE tunnel): the workbench loads (assets +
 * WebSocket), the coditect-session extension
 * restores the session's files from the API and reports changes (PATCH) through the backend; an
 * editor save reaches the workspace folder and a terminal runs a command — on each runtime.
 * Needs bwrap, /usr/bin/chromium and playwright-core (a devDependency of packages/ide).
 */
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { forwardHttp, forwardUpgrade } from './ide-proxy.js';
import { WorkspaceOrigins } from './workspace-origins.js';
import { ensureIdeBuilt, loadPlaywright, sandboxPrereq, type PwPage } from './test-support.js';
import { runscSelfTest } from './sandbox/runsc.js';
import { findOnPath } from './sandbox/sandbox-layout.js';
import { WorkspaceRunner } from './workspace-runner.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const playwright = loadPlaywright();
const sandbox = sandboxPrereq();
const skipReason = !sandbox.ok
  ? sandbox.reason
  : !fs.existsSync(CHROMIUM)
    ? `${CHROMIUM} not found (apt-get install chromium)`
    : !playwright
      ? 'playwright-core is not installed in packages/ide (node scripts/ide-build.mjs)'
      : undefined;
if (skipReason) {
  if (process.env.CI === 'true' && !sandbox.ok) throw new Error(`IDE BROWSER TEST: ${skipReason}`);
  console.warn(`\n*** IDE BROWSER TEST SKIPPED: ${skipReason} ***\n`);
}

interface StoredSession {
  id: string;
  name: string;
  activeFiles: string[];
  state: Record<string, unknown>;
}

// gVisor too when runsc works here (CI installs it; see sandbox/gvisor.test.ts for its own checks).
const runscPath = findOnPath('runsc');
const gvisor = runscPath ? await runscSelfTest(runscPath) : { ok: false, reason: 'runsc is not installed' };
if (!gvisor.ok) console.warn(`\n*** IDE BROWSER TEST ON GVISOR SKIPPED: ${gvisor.reason} ***\n`);
const RUNTIMES = [{ runtime: 'bwrap' as const }, ...(gvisor.ok ? [{ runtime: 'gvisor' as const }] : [])];

describe.skipIf(!!skipReason).each(RUNTIMES)('IDE in Chromium on its own origin {id}.ws.localhost (real sandbox: $runtime)', ({ runtime }) => {
  const sessionId = 'sess-e2e';
  let root: string;
  let ws: string;
  let runner: WorkspaceRunner;
  let proxy: http.Server;
  let base: string;
  const patches: { activeFiles: string[]; state: Record<string, unknown> }[] = [];
  const session: StoredSession = {
    id: sessionId,
    name: 'E2E',
    activeFiles: ['src/a.ts', 'notes.md'],
    state: { activeFile: 'src/a.ts' },
  };
  let apiServer: http.Server | undefined;

  beforeAll(async () => {
    await ensureIdeBuilt();
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'coditect-e2e-'));
    ws = path.join(root, 'ws');
    fs.mkdirSync(path.join(ws, 'src'), { recursive: true });
    fs.writeFileSync(path.join(ws, 'src', 'a.ts'), 'export const a = 1;\n');
    fs.writeFileSync(path.join(ws, 'notes.md'), '# Notes\n');
    fs.writeFileSync(path.join(ws, 'b.txt'), 'bee\n');

    runner = new WorkspaceRunner({
      runRoot: path.join(root, 'run'),
      reapIntervalMs: 0,
      runtime,
      beforeStart: async (_id, runDir) => {
        const sock = path.join(runDir, 'api.sock');
        fs.rmSync(sock, { force: true });
        apiServer = http.createServer((req, res) => {
          let body = '';
          req.on('data', d => (body += d));
          req.on('end', () => {
            res.setHeader('content-type', 'application/json');
            if (req.headers.authorization !== 'Bearer e2e-token') {
              res.statusCode = 401;
              res.end('{"error":{"code":"unauthorized","message":"no"}}');
              return;
            }
            if (req.method === 'PATCH' && req.url === `/api/v5/sessions/${sessionId}`) {
              const patch = JSON.parse(body);
              patches.push(patch);
              session.activeFiles = patch.activeFiles;
              session.state = patch.state;
            }
            res.end(JSON.stringify(session));
          });
        });
        await new Promise<void>(r => apiServer!.listen(sock, r));
      },
      afterExit: async () => {
        await new Promise(r => apiServer?.close(r));
      },
    });
    await runner.ensureRunning(sessionId, { workspaceDir: ws, env: { CODITECT_API_TOKEN: 'e2e-token' } });

    const origins = new WorkspaceOrigins(undefined);
    proxy = http.createServer((req, res) => {
      const id = origins.idForHost(req.headers.host);
      const tunnel = id && runner.tunnel(id);
      if (!id || !tunnel) {
        res.writeHead(404).end();
        return;
      }
      runner.touch(id);
      forwardHttp(req, res, { tunnel, path: req.url ?? '/', stripCookies: ['coditect_ws'] });
    });
    proxy.on('upgrade', (req, socket, head) => {
      const id = origins.idForHost(req.headers.host);
      const tunnel = id && runner.tunnel(id);
      if (!id || !tunnel) {
        socket.end('HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n');
        return;
      }
      const release = runner.acquire(id);
      forwardUpgrade(req, socket, head, { tunnel, path: req.url ?? '/', onClose: release });
    });
    await new Promise<void>(r => proxy.listen(0, '127.0.0.1', r));
    origins.setListeningPort((proxy.address() as { port: number }).port);
    base = origins.origin(sessionId);
  }, 15 * 60_000);

  afterAll(async () => {
    await runner?.stopAll();
    proxy?.close();
    if (root) fs.rmSync(root, { recursive: true, force: true });
  }, 60_000);

  const tabLabels = (page: PwPage) =>
    page.evaluate(
      `[...document.querySelectorAll('#theia-main-content-panel .lm-TabBar-tab .lm-TabBar-tabLabel')].map(e => e.textContent.trim())`,
    ) as Promise<string[]>;
  const activeTab = (page: PwPage) =>
    page.evaluate(
      `document.querySelector('#theia-main-content-panel .lm-TabBar-tab.lm-mod-current .lm-TabBar-tabLabel')?.textContent.trim()`,
    ) as Promise<string | undefined>;

  it('loads the workbench, restores the session files, reports changes, restores them in a fresh browser', async () => {
    const browser = await playwright!.chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
    try {
      const ctx1 = await browser.newContext();
      const page = await ctx1.newPage();
      const errors: string[] = [];
      page.on('pageerror', e => errors.push(e.message));
      const consoleLines: string[] = [];
      page.on('console', m => consoleLines.push(`${m.type()}: ${m.text()}`));
      const failed: string[] = [];
      page.on('response', r => {
        if (r.status() >= 400) failed.push(`${r.status()} ${r.url()}`);
      });
      const t0 = Date.now();
      await page.goto(`${base}/`);
      try {
        await page.waitForSelector('#files .theia-TreeNode', { timeout: 60_000 });
      } catch (e) {
        await page.screenshot({ path: process.env.CODITECT_SCREENSHOT ?? path.join(os.tmpdir(), 'coditect-ide-failure.png') });
        console.log(consoleLines.slice(-40).join('\n'));
        throw e;
      }
      const workbenchMs = Date.now() - t0;
      console.log(`workbench + explorer rendered ${workbenchMs} ms after navigation (${runtime})`);

      // Restored from the session: both files open, a.ts active.
      await expect.poll(() => tabLabels(page), { timeout: 20_000 }).toEqual(expect.arrayContaining(['a.ts', 'notes.md']));
      await expect.poll(() => activeTab(page), { timeout: 10_000 }).toBe('a.ts');

      // Open b.txt from the explorer: the extension PATCHes the session (debounced).
      await page.dblclick('#files .theia-TreeNode:has-text("b.txt")');
      await expect.poll(() => activeTab(page), { timeout: 10_000 }).toBe('b.txt');
      await expect
        .poll(() => patches.at(-1), { timeout: 15_000 })
        .toMatchObject({ activeFiles: expect.arrayContaining(['src/a.ts', 'notes.md', 'b.txt']), state: { activeFile: 'b.txt' } });
      const layout = (patches.at(-1)!.state as { layout?: { version: number; left?: { expanded: boolean } } }).layout;
      expect(layout?.version).toBe(1);
      expect(typeof layout?.left?.expanded).toBe('boolean');
      await page.screenshot({ path: path.join(root, 'ide.png') });
      if (process.env.CODITECT_SCREENSHOT) fs.copyFileSync(path.join(root, 'ide.png'), process.env.CODITECT_SCREENSHOT);
      await ctx1.close();

      // A fresh browser profile (no Theia localStorage): the files come back from the session API.
      const ctx2 = await browser.newContext();
      const page2 = await ctx2.newPage();
      await page2.goto(`${base}/?theme=dark`);
      await page2.waitForSelector('#files .theia-TreeNode', { timeout: 60_000 });
      await expect.poll(() => tabLabels(page2), { timeout: 20_000 }).toEqual(expect.arrayContaining(['a.ts', 'notes.md', 'b.txt']));
      await expect.poll(() => activeTab(page2), { timeout: 10_000 }).toBe('b.txt');
      // The embedding app chooses the theme: ?theme=dark on load, postMessage later.
      expect(await page2.evaluate(`document.body.classList.contains('theia-dark')`)).toBe(true);
      await page2.evaluate(`window.postMessage({ type: 'coditect:theme', theme: 'light' }, window.location.origin)`);
      await expect.poll(() => page2.evaluate(`document.body.classList.contains('theia-light')`), { timeout: 5000 }).toBe(true);
      await ctx2.close();
      expect(errors).toEqual([]);
      // Only the favicon may be missing: every IDE asset loads from the workspace's origin.
      expect(failed.filter(f => !f.endsWith('/favicon.ico'))).toEqual([]);
    } finally {
      await browser.close();
    }
  }, 180_000);

  /** The terminal's text (xterm draws on a canvas): Select All + Copy from its context menu, caught on the copy event. */
  async function terminalText(page: PwPage): Promise<string> {
    await page.evaluate(`(() => { if (window.__copyHooked) return; window.__copyHooked = true;
      document.addEventListener('copy', e => { window.__copied = e.clipboardData ? e.clipboardData.getData('text/plain') : ''; }); })()`);
    for (const item of ['Select All', 'Copy']) {
      await page.click('.terminal-container .xterm-screen >> visible=true', { button: 'right' });
      await page.click(`.lm-Menu .lm-Menu-item:has-text("${item}")`);
    }
    return String((await page.evaluate('window.__copied')) ?? '');
  }

  it('an editor save reaches the workspace folder; a terminal runs a command and shows its output', async () => {
    const browser = await playwright!.chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu'] });
    try {
      const ctx = await browser.newContext();
      const page = await ctx.newPage();
      await page.goto(`${base}/`);
      await page.waitForSelector('#files .theia-TreeNode', { timeout: 60_000 });

      // A new file from the explorer's context menu, typed into Monaco, saved with Ctrl+S.
      await page.click('#files', { button: 'right' });
      await page.click('.lm-Menu .lm-Menu-item:has-text("New File...")');
      await page.fill('.dialogBlock input', 'hello.txt');
      await page.keyboard.press('Enter');
      await expect.poll(() => activeTab(page), { timeout: 20_000 }).toBe('hello.txt');
      await page.click('.monaco-editor .view-lines >> visible=true');
      await page.keyboard.type('Hello from Coditect');
      await page.keyboard.press('Control+S');
      const onDisk = () => (fs.existsSync(path.join(ws, 'hello.txt')) ? fs.readFileSync(path.join(ws, 'hello.txt'), 'utf8') : undefined);
      await expect.poll(onDisk, { timeout: 30_000 }).toBe('Hello from Coditect');

      // A terminal: the shell inside the sandbox answers echo $((6*7)) with 42.
      await page.click('#theia-top-panel .lm-MenuBar-item:has-text("Terminal")');
      await page.click('.lm-Menu .lm-Menu-item:has-text("New Terminal")');
      await page.waitForSelector('.terminal-container .xterm-screen >> visible=true', { timeout: 60_000 });
      await page.click('.terminal-container .xterm-screen >> visible=true');
      await page.waitForTimeout(1000); // the shell's prompt
      await page.keyboard.type('echo $((6*7)) $(uname -r)');
      await page.keyboard.press('Enter');
      // 42 computed by the shell, next to the kernel it sees: gVisor's own (4.4.0) or the host's.
      const kernel = runtime === 'gvisor' ? '4.4.0' : os.release();
      await expect
        .poll(async () => (await terminalText(page)).split('\n').map((l) => l.trim()), { timeout: 60_000, interval: 1000 })
        .toContain(`42 ${kernel}`);
      await ctx.close();
    } finally {
      await browser.close();
    }
  }, 180_000);
});
