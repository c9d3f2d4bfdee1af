import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { BpfProgram, SECCOMP_RET } from './bpf.js';
import { seccompFilterProgram } from './seccomp-filter.js';
import { DENIED_SYSCALLS, SPECIAL_SYSCALLS } from './syscall-table.js';

/** __NR_name → number from a uapi header, or undefined when the header is not installed. */
function headerNumbers(file: string): Map<string, number> | undefined {
  if (!fs.existsSync(file)) return undefined;
  const out = new Map<string, number>();
  for (const m of fs.readFileSync(file, 'utf8').matchAll(/^#define __NR(?:3264)?_(\w+)\s+(\d+)\s*$/gm)) out.set(m[1]!, Number(m[2]));
  return out;
}

describe('seccomp filter program', () => {
  it('encodes struct sock_filter little-endian: 8 bytes per instruction, ending in a return', () => {
    const prog = seccompFilterProgram();
    expect(prog.length % 8).toBe(0);
    const n = prog.length / 8;
    expect(n).toBeGreaterThan(DENIED_SYSCALLS.length);
    expect(n).toBeLessThan(4096);
    // First: load seccomp_data.arch (BPF_LD|BPF_W|BPF_ABS, k = 4).
    expect([prog.readUInt16LE(0), prog.readUInt32LE(4)]).toEqual([0x20, 4]);
    // Last: return EPERM.
    expect([prog.readUInt16LE((n - 1) * 8), prog.readUInt32LE((n - 1) * 8 + 4)]).toEqual([0x06, SECCOMP_RET.errno(1)]);
  });

  it('refuses jumps BPF cannot encode', () => {
    const far = new BpfProgram().load(0).jeq(1, 'end');
    for (let i = 0; i < 300; i++) far.ret(0);
    far.label('end').ret(0);
    expect(() => far.assemble()).toThrow(/out of range/);
    expect(() => new BpfProgram().jeq(1, 'nowhere').assemble()).toThrow(/not defined/);
  });

  it.each([
    ['x86_64', '/usr/include/x86_64-linux-gnu/asm/unistd_64.h'],
    ['aarch64', '/usr/include/asm-generic/unistd.h'],
  ] as const)('the %s numbers match the kernel headers', (arch, header) => {
    const numbers = headerNumbers(header);
    if (!numbers) {
      console.warn(`SKIPPED: ${header} is not installed (linux-libc-dev)`);
      return;
    }
    for (const call of DENIED_SYSCALLS) expect(call[arch], call.name).toBe(numbers.get(call.name));
    for (const [name, nr] of Object.entries(SPECIAL_SYSCALLS)) expect(nr[arch], name).toBe(numbers.get(name));
  });
});
