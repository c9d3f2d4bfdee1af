/**
 * Measurements for packages/ide/README.md (not a regular test: runs only with CODITECT_IDE_MEASURE=1).
 *   CODITECT_IDE_MEASURE=1 npx vitest run packages/server/src/workspaces/measure
 */
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { forwardHttp, forwardUpgrade, parseWorkspacePath } from './ide-proxy.js';
import { ensureIdeBuilt, loadPlaywright, treeMemory, treeRssKb } from './test-support.js';
import { startWorkspaceProcess, type WorkspaceProcess } from './workspace-process.js';

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const sleep = (ms: number) => new Promise(r => setTimeout(r, ms));

describe.runIf(process.env.CODITECT_IDE_MEASURE === '1')('IDE measurements', () => {
  it('start-to-ready, idle RSS, workbench render', async () => {
    await ensureIdeBuilt();
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'coditect-measure-'));
    const ws = path.join(root, 'ws');
    fs.mkdirSync(ws);
    fs.writeFileSync(path.join(ws, 'README.md'), '# hi\n');
    const results: Record<string, unknown> = {};
    try {
      const ready: number[] = [];
      for (let i = 0; i < 5; i++) {
        const t0 = performance.now();
        const p = await startWorkspaceProcess({ sessionId: `m${i}`, workspaceDir: ws, runDir: path.join(root, `run${i}`) });
        ready.push(Math.round(performance.now() - t0));
        await p.stop();
      }
      results.startToReadyMs = ready;
      results.startToReadyMedianMs = median(ready);

      const p: WorkspaceProcess = await startWorkspaceProcess({
        sessionId: 'mrss',
        workspaceDir: ws,
        runDir: path.join(root, 'run-rss'),
        basePath: '/ws/mrss/',
      });
      await sleep(10_000);
      results.idleRssNoClientMb = Math.round(treeRssKb(p.pid) / 1024);
      const mem = () => {
        const t = treeMemory(p.pid);
        return {
          rssMb: Math.round(t.reduce((a, x) => a + x.rssKb, 0) / 1024),
          pssMb: Math.round(t.reduce((a, x) => a + x.pssKb, 0) / 1024),
          processes: t.map(x => `${x.cmd.split(' ')[0]}:${Math.round(x.rssKb / 1024)}MB`),
        };
      };
      results.idleNoClient = mem();

      const chromium = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
      const playwright = loadPlaywright();
      if (playwright && fs.existsSync(chromium)) {
        const proxy = http.createServer((req, res) => {
          const t = parseWorkspacePath(req.url ?? '/');
          if (!t) return void res.writeHead(404).end();
          forwardHttp(req, res, { socketPath: p.socketPath, path: t.path });
        });
        proxy.on('upgrade', (req, socket, head) => {
          const t = parseWorkspacePath(req.url ?? '/');
          if (!t) return void socket.destroy();
          forwardUpgrade(req, socket, head, { socketPath: p.socketPath, path: t.path });
        });
        await new Promise<void>(r => proxy.listen(0, '127.0.0.1', r));
        const url = `http://127.0.0.1:${(proxy.address() as { port: number }).port}/ws/mrss/`;
        const browser = await playwright.chromium.launch({ executablePath: chromium, args: ['--no-sandbox'] });
        const ctx = await browser.newContext();
        const render: number[] = [];
        for (let i = 0; i < 3; i++) {
          const page = await ctx.newPage();
          const t0 = performance.now();
          await page.goto(url);
          await page.waitForSelector('.theia-ApplicationShell #theia-statusBar', { timeout: 120_000 });
          await page.waitForFunction(`!document.querySelector('.theia-preload')`, undefined, { timeout: 120_000 });
          render.push(Math.round(performance.now() - t0));
          if (i === 0) {
            await sleep(3000);
            results.rssWithClientMb = Math.round(treeRssKb(p.pid) / 1024);
            results.withClient = mem();
          }
          await page.close();
        }
        results.workbenchRenderMs = { cold: render[0], warm: render.slice(1) };
        await browser.close();
        proxy.close();
        await sleep(10_000);
        results.idleRssAfterClientMb = Math.round(treeRssKb(p.pid) / 1024);
        results.idleAfterClient = mem();
      }
      await p.stop();
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
    console.log('MEASUREMENTS', JSON.stringify(results));
    expect(results.startToReadyMedianMs).toBeGreaterThan(0);
  }, 10 * 60_000);
});
