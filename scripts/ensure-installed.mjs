#!/usr/bin/env node
// Installs npm dependencies when they are missing or older than the lockfile,
// then checks that the native modules really load (npm 11 may skip install scripts).
import { execSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const run = (cmd) => execSync(cmd, { cwd: root, stdio: 'inherit', env: { ...process.env, PUPPETEER_SKIP_DOWNLOAD: '1' } });
const mtime = (p) => (fs.existsSync(p) ? fs.statSync(p).mtimeMs : 0);

const marker = path.join(root, 'node_modules', '.package-lock.json');
const lock = path.join(root, 'package-lock.json');
if (!fs.existsSync(marker)) {
  console.log('[coditect] installing dependencies (npm ci)…');
  run('npm ci --no-audit --no-fund');
} else if (mtime(lock) > mtime(marker) || mtime(path.join(root, 'package.json')) > mtime(marker)) {
  console.log('[coditect] dependencies changed: npm install…');
  run('npm install --no-audit --no-fund');
}

const requireFromServer = createRequire(path.join(root, 'packages', 'server', 'package.json'));
for (const mod of ['better-sqlite3', '@node-rs/argon2']) {
  try {
    const m = requireFromServer(mod);
    if (mod === 'better-sqlite3') new m(':memory:').close();
  } catch (err) {
    console.log(`[coditect] ${mod} does not load (${err.message.split('\n')[0]}): rebuilding…`);
    run(`npm rebuild ${mod}`);
  }
}
