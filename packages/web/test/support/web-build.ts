import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

export const WEB_ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const WEB_DIST = path.join(WEB_ROOT, 'dist');
const INPUTS = ['src', 'public', 'build', 'index.html', 'vite.config.ts', 'package.json', '../contract/src'].map((p) => path.join(WEB_ROOT, p));

function newestMtime(p: string): number {
  if (!existsSync(p)) return 0;
  const s = statSync(p);
  if (!s.isDirectory()) return s.mtimeMs;
  return Math.max(s.mtimeMs, ...readdirSync(p).map((c) => newestMtime(path.join(p, c))));
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Builds the web app when `dist/` is missing or older than its sources.
 * Test files run in parallel workers, so a lock directory makes one build it.
 */
export async function ensureWebBuilt(): Promise<string> {
  const lock = path.join(WEB_ROOT, '.build-lock');
  for (let waited = 0; ; waited += 250) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      if (waited > 240_000) throw new Error(`Timed out waiting for ${lock} (remove it if no build is running)`);
      await sleep(250);
    }
  }
  try {
    const built = newestMtime(path.join(WEB_DIST, 'index.html'));
    const sources = Math.max(...INPUTS.map(newestMtime));
    if (built < sources) {
      console.log('[browser tests] building the web app (dist/ is missing or stale)…');
      const vite = path.join(path.dirname(createRequire(import.meta.url).resolve('vite/package.json')), 'bin/vite.js');
      // Asynchronously: a blocked worker thread would miss the test runner's heartbeats.
      await new Promise<void>((resolve, reject) => {
        // NODE_ENV=test (set by vitest) would give a development build of React.
        const env = { ...process.env, NODE_ENV: 'production' };
        const child = spawn(process.execPath, [vite, 'build', '--logLevel', 'warn'], { cwd: WEB_ROOT, stdio: 'inherit', env });
        child.on('error', reject);
        child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`vite build exited with ${code}`))));
      });
    }
  } finally {
    rmdirSync(lock);
  }
  return WEB_DIST;
}
