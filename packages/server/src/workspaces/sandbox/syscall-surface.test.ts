/**
 * The syscall surface seen from inside a workspace (the attacker's side): a probe runs in exactly
 * the workspace's sandbox (the `entry` option) and tries every denied call, then does the
 * development work that must keep working. Real runtimes; skipped loudly (failing under CI=true)
 * when one is missing.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildSandboxCommand, spawnSandboxCommand } from '../sandbox-command.js';
import { findOnPath } from './sandbox-layout.js';
import { sandboxPrereq } from '../test-support.js';
import { installProbe, runProbe, type ProbeResult } from './syscall-probe.js';

const prereq = sandboxPrereq();
if (!prereq.ok) {
  const msg = `SYSCALL SURFACE TESTS SKIPPED: ${prereq.reason}`;
  if (process.env.CI === 'true') throw new Error(`${msg} (CI=true: failing instead of skipping)`);
  console.warn(`\n*** ${msg} ***\n`);
}

describe.skipIf(!prereq.ok)('syscall surface on bubblewrap + seccomp', () => {
  let root: string;
  let filtered: ProbeResult;
  let control: ProbeResult;

  beforeAll(async () => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'coditect-sys-'));
    const ws = path.join(root, 'ws');
    fs.mkdirSync(ws);
    const entry = installProbe(ws);
    const build = (seccomp: boolean, run: string) =>
      buildSandboxCommand({ sessionId: 'sys', workspaceDir: ws, runDir: path.join(root, run), entry, seccomp, cliDir: false });
    [filtered, control] = await Promise.all([runProbe(build(true, 'run1')), runProbe(build(false, 'run2'))]);
    if (process.env.CODITECT_TEST_VERBOSE) console.log(JSON.stringify({ filtered, control }, null, 1));
  }, 120_000);

  afterAll(() => {
    if (root) fs.rmSync(root, { recursive: true, force: true });
  });

  it('the filter is on: /proc/self/status says Seccomp: 2 (and 0 without it)', () => {
    expect(filtered.seccomp).toBe('2');
    expect(control.seccomp).toBe('0');
  });

  it('every denied call answers EPERM (clone3 ENOSYS, so libc falls back to clone)', () => {
    const expected = Object.fromEntries(Object.keys(filtered.calls).map((name) => [name, name === 'clone3' ? 'ENOSYS' : 'EPERM']));
    expect(filtered.calls).toEqual(expected);
    expect(Object.keys(filtered.calls)).toEqual(expect.arrayContaining(['keyctl', 'bpf', 'io_uring_setup', 'clone(CLONE_NEWUTS)', 'x32 getpid']));
  });

  it('without the filter the same calls reach the kernel (the probe can tell)', () => {
    expect(control.calls.keyctl).toMatch(/^ok:/);
    expect(control.calls.unshare).toBe('ok:0');
    expect(control.calls.clone3).not.toBe('ENOSYS');
    expect(control.calls.io_uring_setup).not.toBe('EPERM');
  });

  it.skipIf(process.arch !== 'x64' || !findOnPath('gcc'))('a call through the i386 ABI (int 0x80) kills the process; unfiltered it runs', async () => {
    // Compiled on the host at test time; run inside both ways.
    const ws = path.join(root, 'ws');
    fs.writeFileSync(path.join(ws, 'int80.c'), 'int main(void){long r;__asm__ volatile("int $0x80":"=a"(r):"a"(20L));return r>0?0:2;}\n');
    execFileSync('gcc', ['-O0', '-o', path.join(ws, 'int80'), path.join(ws, 'int80.c')]);
    const run = (seccomp: boolean, name: string) => new Promise<{ code: number | null; signal: string | null }>((resolve) => {
      const cmd = buildSandboxCommand({ sessionId: 'sys', workspaceDir: ws, runDir: path.join(root, name), entry: ['/workspace/int80'], seccomp, cliDir: false });
      spawnSandboxCommand(cmd).on('exit', (code, signal) => resolve({ code, signal }));
    });
    const [filteredRun, controlRun] = await Promise.all([run(true, 'run3'), run(false, 'run4')]);
    expect(controlRun).toEqual({ code: 0, signal: null });
    // bwrap reports its child's death by a signal as exit 128 + n: SIGSYS is 31.
    expect(filteredRun.code).toBe(128 + 31);
  });

  it('development still works: ptrace of a child, pty, inotify, node, npm, git, python', () => {
    expect(filtered.dev).toMatchObject({ ptrace: 'ok', pty: 'ok', inotify: 'ok', node: '42', python: 'py-ok', git: 'first' });
    expect(filtered.dev.npm).toMatch(/^\d+\.\d+\.\d+$/);
  });
});
