/**
 * The syscall surface seen from inside a workspace (the attacker's side): a probe runs in exactly
 * the workspace's sandbox (the `entry` option) and tries every denied call, then does the
 * development work that must keep working. Real runtimes; skipped loudly (failing under CI=true)
 * when one is missing.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildSandboxCommand, spawnSandboxCommand, type SandboxCommand } from '../sandbox-command.js';
import { sandboxPrereq } from '../test-support.js';
import { DENIED_SYSCALLS, SPECIAL_SYSCALLS } from './seccomp/syscall-table.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const arch = process.arch === 'arm64' ? 'aarch64' : 'x86_64';
const prereq = sandboxPrereq();
if (!prereq.ok) {
  const msg = `SYSCALL SURFACE TESTS SKIPPED: ${prereq.reason}`;
  if (process.env.CI === 'true') throw new Error(`${msg} (CI=true: failing instead of skipping)`);
  console.warn(`\n*** ${msg} ***\n`);
}

/** Arguments that reach the kernel's own checks when nothing filters (so the control run can tell). */
const ARGS: Record<string, number[]> = {
  keyctl: [0, -1, 1], // KEYCTL_GET_KEYRING_ID(KEY_SPEC_THREAD_KEYRING, create): succeeds unfiltered
  unshare: [0], // unshare(nothing): succeeds unfiltered
  setns: [-1, 0],
};

interface ProbeResult {
  calls: Record<string, string>;
  dev: Record<string, string>;
  seccomp: string | null;
}

function probeSpec() {
  const calls = DENIED_SYSCALLS.filter((c) => c[arch] !== undefined).map((c) => ({ name: c.name, nr: c[arch]!, args: ARGS[c.name] ?? [0, 0, 0, 0, 0, 0] }));
  calls.push({ name: 'clone3', nr: SPECIAL_SYSCALLS.clone3[arch], args: [0, 0] });
  calls.push({ name: 'ioctl(TIOCSTI)', nr: SPECIAL_SYSCALLS.ioctl[arch], args: [0, 0x5412, 0] });
  if (arch === 'x86_64') calls.push({ name: 'x32 getpid', nr: 0x40000000 | 39, args: [] });
  return { calls, clone: SPECIAL_SYSCALLS.clone[arch] };
}

function runProbe(cmd: SandboxCommand): Promise<ProbeResult> {
  return new Promise((resolve, reject) => {
    const child = spawnSandboxCommand(cmd);
    let out = '';
    let err = '';
    child.stdout!.on('data', (d) => (out += d));
    child.stderr!.on('data', (d) => (err += d));
    child.on('error', reject);
    child.on('exit', (code) => {
      const last = out.trim().split('\n').pop() ?? '';
      try {
        resolve(JSON.parse(last) as ProbeResult);
      } catch {
        reject(new Error(`probe exited ${code}: ${out.slice(-500)} ${err.slice(-1000)}`));
      }
    });
  });
}

describe.skipIf(!prereq.ok)('syscall surface on bubblewrap + seccomp', () => {
  let root: string;
  let filtered: ProbeResult;
  let control: ProbeResult;

  beforeAll(async () => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'coditect-sys-'));
    const ws = path.join(root, 'ws');
    fs.mkdirSync(ws);
    fs.copyFileSync(path.join(here, 'syscall-probe.py'), path.join(ws, 'probe.py'));
    const entry = ['/usr/bin/python3', '/workspace/probe.py', JSON.stringify(probeSpec())];
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

  it('development still works: ptrace of a child, pty, inotify, node, npm, git, python', () => {
    expect(filtered.dev).toMatchObject({ ptrace: 'ok', pty: 'ok', inotify: 'ok', node: '42', python: 'py-ok', git: 'first' });
    expect(filtered.dev.npm).toMatch(/^\d+\.\d+\.\d+$/);
  });
});
