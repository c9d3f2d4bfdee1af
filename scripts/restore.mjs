#!/usr/bin/env node
// `npm run restore -- ...`: restores a backup into the configured (empty) instance.
// The instance is the one the environment configures, exactly as for `npm start`. See packages/server/src/ops/.
import { execSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const entry = path.join(root, 'packages/server/dist/ops/cli.js');
if (!fs.existsSync(entry)) {
  execSync(`node ${path.join('scripts', 'ensure-installed.mjs')}`, { cwd: root, stdio: 'inherit' });
  execSync('npx tsc -b packages/server', { cwd: root, stdio: 'inherit' });
}
const { runOpsCommand } = await import(pathToFileURL(entry).href);
process.exitCode = await runOpsCommand('restore', process.argv.slice(2));
