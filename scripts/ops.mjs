#!/usr/bin/env node
// `npm run backup -- --to DIR` / `npm run restore -- --from DIR` (i.e. `node scripts/ops.mjs backup|restore …`):
// an online backup of the whole instance (database, blobs, workspaces, secrets), or its restore into an empty one.
// The instance is the one the environment configures, exactly as for `npm start`. See packages/server/src/ops/.
import { execSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const [command, ...args] = process.argv.slice(2);
if (command !== 'backup' && command !== 'restore') {
  console.error('usage: node scripts/ops.mjs backup|restore [options]  (npm run backup / npm run restore)');
  process.exit(2);
}

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const entry = path.join(root, 'packages/server/dist/ops/cli.js');
if (!fs.existsSync(entry)) {
  execSync(`node ${path.join('scripts', 'ensure-installed.mjs')}`, { cwd: root, stdio: 'inherit' });
  execSync('npx tsc -b packages/server', { cwd: root, stdio: 'inherit' });
}
const { runOpsCommand } = await import(pathToFileURL(entry).href);
process.exitCode = await runOpsCommand(command, args);
