/**
 * The soak bench (bench/soak.mjs) in its short mode: two minutes of the mixed
 * load against the built server as its own process. It must finish with no
 * failed request and with the server's open descriptors bounded. Latency and
 * memory targets belong to the 30-minute bench, not here (no timed assertions).
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

const BENCH = fileURLToPath(new URL('../../../../bench/soak.mjs', import.meta.url));

it('two minutes of mixed load: no errors, descriptors bounded', async () => {
  const child = spawn(process.execPath, [BENCH], {
    env: { ...process.env, BENCH_SOAK_MINUTES: '2', BENCH_SOAK_SAMPLE_SECONDS: '15', BENCH_SOAK_OUT: '-' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.on('data', (d) => { out += d; });
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  expect(code).toBe(0);
  const summary = JSON.parse(out.trim().split('\n').at(-1)!) as {
    errors: number; errorSamples: string[]; ops: number; streams: number; fileWrites: number; samples: { fds: number }[];
  };
  console.log(`soak short mode: ${summary.ops} requests, ${summary.streams} streams, ${summary.fileWrites} file writes, `
    + `fds ${summary.samples.map((s) => s.fds).join(' → ')}`);
  expect(summary.errorSamples).toEqual([]);
  expect(summary.errors).toBe(0);
  expect(summary.streams).toBeGreaterThan(0);
  expect(summary.fileWrites).toBeGreaterThan(0);
  expect(summary.samples.length).toBe(8);
  // Generous: a leak of one descriptor per request would pass thousands within two minutes.
  const fds = summary.samples.map((s) => s.fds);
  expect(Math.max(...fds)).toBeLessThan(256);
  expect(fds.at(-1)!).toBeLessThan(fds[0]! + 64);
}, 5 * 60_000);
