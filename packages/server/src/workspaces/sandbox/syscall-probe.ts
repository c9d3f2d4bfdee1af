/** Test support: the syscall probe (syscall-probe.py) and how to run it in a workspace's sandbox. */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnSandboxCommand, type SandboxCommand } from '../sandbox-command.js';
import { DENIED_SYSCALLS, SPECIAL_SYSCALLS } from './seccomp/syscall-table.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const arch = process.arch === 'arm64' ? 'aarch64' : 'x86_64';

/** Arguments that reach the kernel's own checks when nothing filters (so the control run can tell). */
const ARGS: Record<string, number[]> = {
  keyctl: [0, -1, 1], // KEYCTL_GET_KEYRING_ID(KEY_SPEC_THREAD_KEYRING, create): succeeds unfiltered
  unshare: [0], // unshare(nothing): succeeds unfiltered
  setns: [-1, 0],
};

/** What the probe saw inside. */
export interface ProbeResult {
  calls: Record<string, string>;
  dev: Record<string, string>;
  seccomp: string | null;
}

/** The calls to try on this machine's architecture, with their numbers. */
export function probeSpec() {
  const calls = DENIED_SYSCALLS.filter((c) => c[arch] !== undefined).map((c) => ({ name: c.name, nr: c[arch]!, args: ARGS[c.name] ?? [0, 0, 0, 0, 0, 0] }));
  calls.push({ name: 'clone3', nr: SPECIAL_SYSCALLS.clone3[arch], args: [0, 0] });
  calls.push({ name: 'ioctl(TIOCSTI)', nr: SPECIAL_SYSCALLS.ioctl[arch], args: [0, 0x5412, 0] });
  if (arch === 'x86_64') calls.push({ name: 'x32 getpid', nr: 0x40000000 | 39, args: [] });
  return { calls, clone: SPECIAL_SYSCALLS.clone[arch] };
}

/** Spawns a sandbox command whose entry is the probe and answers what it printed. */
export function runProbe(cmd: SandboxCommand): Promise<ProbeResult> {
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


/** Copies the probe into a workspace dir; answers the sandbox `entry` that runs it. */
export function installProbe(workspaceDir: string): string[] {
  fs.copyFileSync(path.join(here, 'syscall-probe.py'), path.join(workspaceDir, 'probe.py'));
  return ['/usr/bin/python3', '/workspace/probe.py', JSON.stringify(probeSpec())];
}
