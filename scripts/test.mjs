#!/usr/bin/env node
// `npm test`: install what is missing, build (the crash test runs the built server as a
// real process), type-check the tests, then run every suite. Args go to vitest.
import { execSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const run = (cmd) => execSync(cmd, { cwd: root, stdio: 'inherit' });
const args = process.argv.slice(2).map((a) => JSON.stringify(a)).join(' ');

try {
  run(`node ${path.join('scripts', 'ensure-installed.mjs')}`);
  run('npm run build --silent');
  run('npm run build:web --silent');
  run('npx tsc -p tsconfig.check.json');
  run(`npx vitest run ${args}`);
} catch (err) {
  process.exit(err.status ?? 1);
}
