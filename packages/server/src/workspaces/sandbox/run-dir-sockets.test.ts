/**
 * The run dir read-only, its sockets owned by the server (ideSocket 'dial'): on each runtime a
 * process inside connects to a socket the host listens on, and can neither replace it nor create
 * one of its own there (gVisor: --host-uds=open).
 */
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildGvisorCommand, buildSandboxCommand, type SandboxCommand, type SandboxCommandOptions } from '../sandbox-command.js';
import { sandboxPrereq } from '../test-support.js';
import { runscPaths, runscSelfTest } from './runsc.js';
import { findOnPath } from './sandbox-layout.js';
import { spawnSandboxCommand } from '../sandbox-command.js';

const runscPath = findOnPath('runsc');
const runtimes: { name: 'bwrap' | 'gvisor'; ok: boolean; reason?: string }[] = [
  { name: 'bwrap', ...sandboxPrereq() },
  { name: 'gvisor', ...(runscPath ? await runscSelfTest(runscPath) : { ok: false, reason: 'runsc is not installed' }) },
];
for (const r of runtimes) {
  if (r.ok) continue;
  const msg = `RUN-DIR SOCKET TESTS SKIPPED on ${r.name}: ${r.reason}`;
  if (process.env.CI === 'true') throw new Error(`${msg} (CI=true: failing instead of skipping)`);
  console.warn(`\n*** ${msg} ***\n`);
}

const ATTACK = `
const net = require('net'), fs = require('fs');
(async () => {
  const out = {};
  out.dial = await new Promise(r => { const s = net.connect('/run/coditect/api.sock'); s.on('data', d => { r(String(d).trim()); s.destroy(); }); s.on('error', e => r(e.code)); });
  try { fs.unlinkSync('/run/coditect/api.sock'); out.unlink = 'UNLINKED'; } catch (e) { out.unlink = e.code; }
  try { fs.renameSync('/run/coditect/api.sock', '/run/coditect/old.sock'); out.rename = 'RENAMED'; } catch (e) { out.rename = e.code; }
  const srv = net.createServer();
  out.listen = await new Promise(r => { srv.on('error', e => r(e.code)); srv.listen('/run/coditect/ide.sock', () => r('LISTENING')); });
  srv.close();
  try { fs.writeFileSync('/run/coditect/x', 'x'); out.write = 'WROTE'; } catch (e) { out.write = e.code; }
  console.log(JSON.stringify(out));
})();
`;

function run(cmd: SandboxCommand): Promise<Record<string, string>> {
  return new Promise((resolve, reject) => {
    const child = spawnSandboxCommand(cmd);
    let out = '';
    let err = '';
    child.stdout!.on('data', (d) => (out += d));
    child.stderr!.on('data', (d) => (err += d));
    child.on('exit', (code) => {
      try {
        resolve(JSON.parse(out.trim().split('\n').pop() ?? '') as Record<string, string>);
      } catch {
        reject(new Error(`exited ${code}: ${out} ${err}`));
      }
    });
  });
}

describe.each(runtimes)('run dir sockets on $name', ({ name, ok }) => {
  let root: string;
  let host: net.Server;
  let seen: Record<string, string>;
  const connections: string[] = [];

  beforeAll(async () => {
    if (!ok) return;
    root = fs.mkdtempSync(path.join(os.tmpdir(), `coditect-uds-${name}-`));
    const ws = path.join(root, 'ws');
    const runDir = path.join(root, 'run', 's1');
    fs.mkdirSync(ws);
    fs.mkdirSync(runDir, { recursive: true });
    host = net.createServer((s) => {
      connections.push('accepted');
      s.end('HOST-API\n');
    });
    await new Promise<void>((r) => host.listen(path.join(runDir, 'api.sock'), r));
    const opts: SandboxCommandOptions = { sessionId: 's1', workspaceDir: ws, runDir, cliDir: false, entry: [process.execPath, '-e', ATTACK] };
    const cmd = name === 'bwrap' ? buildSandboxCommand(opts) : buildGvisorCommand({ ...opts, runsc: runscPaths(path.join(root, 'run'), runscPath!) });
    try {
      seen = await run(cmd);
    } finally {
      await cmd.afterExit?.();
    }
  }, 120_000);

  afterAll(() => {
    host?.close();
    if (root) fs.rmSync(root, { recursive: true, force: true });
  });

  it.skipIf(!ok)('the sandbox dials the host-listened socket through the read-only run dir', () => {
    expect(seen.dial).toBe('HOST-API');
    expect(connections).toEqual(['accepted']);
  });

  it.skipIf(!ok)('it can neither remove, rename nor shadow the socket, nor write the run dir', () => {
    expect(seen.unlink).toMatch(/EROFS|EACCES|EPERM/);
    expect(seen.rename).toMatch(/EROFS|EACCES|EPERM/);
    expect(seen.listen).toMatch(/EROFS|EACCES|EPERM|EADDRINUSE/);
    expect(seen.listen).not.toBe('LISTENING');
    expect(seen.write).toMatch(/EROFS|EACCES|EPERM/);
  });
});
