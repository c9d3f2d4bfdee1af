#!/usr/bin/env node
// Installs (if missing) and builds (if stale) the Coditect IDE, packages/ide: an Eclipse Theia app
// that is its own npm project. Node builtins only. Usage: node scripts/ide-build.mjs [--force]
// Exit code 0 when lib/backend/main.js and lib/frontend/index.html are up to date.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const ideDir = path.join(root, 'packages', 'ide');
const force = process.argv.includes('--force');
const env = { ...process.env, PUPPETEER_SKIP_DOWNLOAD: '1', PUPPETEER_SKIP_CHROMIUM_DOWNLOAD: '1' };
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

function log(msg) {
  console.log(`[ide-build] ${msg}`);
}

function run(args) {
  log(`npm ${args.join(' ')}`);
  const t0 = Date.now();
  const r = spawnSync(npm, args, { cwd: ideDir, env, stdio: 'inherit' });
  if (r.status !== 0) {
    console.error(`[ide-build] npm ${args.join(' ')} failed (exit ${r.status ?? r.signal})`);
    process.exit(r.status || 1); // the 'exit' handler releases the lock
  }
  log(`npm ${args[0]} took ${((Date.now() - t0) / 1000).toFixed(1)} s`);
}

function mtime(p) {
  try {
    return fs.statSync(p).mtimeMs;
  } catch {
    return 0;
  }
}

/** Newest mtime of the files under dir (skipping node_modules and build output). */
function newest(dir, skip = new Set(['node_modules', 'lib', 'src-gen', '.git', '.ide-build.lock'])) {
  let max = 0;
  let entries;
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch {
    return 0;
  }
  for (const e of entries) {
    if (skip.has(e.name)) continue;
    const p = path.join(dir, e.name);
    if (e.isDirectory()) max = Math.max(max, newest(p, skip));
    else if (!e.name.startsWith('gen-')) max = Math.max(max, mtime(p));
  }
  return max;
}

// One build at a time (the server start and test workers may call this concurrently).
const lockDir = path.join(ideDir, '.ide-build.lock');
function sleepSync(ms) {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}
function acquireLock() {
  const deadline = Date.now() + 20 * 60_000;
  let announced = false;
  for (;;) {
    try {
      fs.mkdirSync(lockDir);
      fs.writeFileSync(path.join(lockDir, 'pid'), String(process.pid));
      return;
    } catch (e) {
      if (e.code !== 'EEXIST') throw e;
    }
    let holder = 0;
    try {
      holder = Number(fs.readFileSync(path.join(lockDir, 'pid'), 'utf8'));
    } catch {
      // being written
    }
    let alive = false;
    if (holder > 0) {
      try {
        process.kill(holder, 0);
        alive = true;
      } catch {
        alive = false;
      }
    }
    if ((holder > 0 && !alive) || Date.now() - mtime(lockDir) > 30 * 60_000) {
      fs.rmSync(lockDir, { recursive: true, force: true }); // stale
      continue;
    }
    if (Date.now() > deadline) {
      console.error(`[ide-build] timed out waiting for ${lockDir}`);
      process.exit(1);
    }
    if (!announced) log(`waiting for another build (pid ${holder})`);
    announced = true;
    sleepSync(500);
  }
}
acquireLock();
process.on('exit', () => fs.rmSync(lockDir, { recursive: true, force: true }));

// 1. install when node_modules is missing or older than the lock file
const lock = path.join(ideDir, 'package-lock.json');
const installed = path.join(ideDir, 'node_modules', '.package-lock.json');
if (force || !fs.existsSync(installed) || mtime(installed) < mtime(lock)) {
  run([fs.existsSync(lock) ? 'ci' : 'install', '--no-audit', '--no-fund']);
}

// 2. build when the output is older than the sources (package.json, esbuild.mjs, the extension, sandbox entry)
const outputs = [path.join(ideDir, 'lib', 'backend', 'main.js'), path.join(ideDir, 'lib', 'frontend', 'index.html')];
const built = Math.min(...outputs.map(mtime));
const sources = Math.max(newest(ideDir), mtime(installed));
if (force || built === 0 || built < sources) {
  run(['run', 'build']);
  // esbuild keeps file times of unchanged outputs: mark the build as fresh.
  const now = new Date();
  for (const o of outputs) fs.utimesSync(o, now, now);
} else {
  log('up to date');
}
