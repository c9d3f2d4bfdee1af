#!/usr/bin/env node
// `npm start`: install what is missing, build, and serve Coditect on the embedded default
// (SQLite + local files in ./data). Extra args are passed to the server's environment as-is.
import { execSync, spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
execSync(`node ${path.join('scripts', 'ensure-installed.mjs')}`, { cwd: root, stdio: 'inherit' });
execSync('npm run build --silent', { cwd: root, stdio: 'inherit' });
execSync('npm run build:web --silent', { cwd: root, stdio: 'inherit' });
// The IDE is optional for the API: without it (or without bubblewrap) opening a workspace says why.
try {
  execSync(`node ${path.join('scripts', 'ide-build.mjs')}`, { cwd: root, stdio: 'inherit' });
} catch {
  console.warn('[coditect] the IDE (packages/ide) did not build: workspaces will not open. See packages/ide/README.md.');
}

const server = spawn(process.execPath, [path.join(root, 'packages', 'server', 'dist', 'main.js')], { cwd: root, stdio: 'inherit' });
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => server.kill(signal));
server.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
