/**
 * The seccomp filter of the bubblewrap path, built as a classic-BPF program in TypeScript (no
 * native step) and handed to `bwrap --seccomp FD`. Every call in DENIED_SYSCALLS answers EPERM;
 * clone with namespace flags answers EPERM; clone3 answers ENOSYS (libc falls back to clone, whose
 * flags the filter can read); TIOCSTI/TIOCLINUX ioctls answer EPERM; the x32 ABI answers EPERM;
 * a call from any architecture other than x86_64 and aarch64 kills the process.
 */
import fs from 'node:fs';
import path from 'node:path';
import { BpfProgram, SECCOMP_DATA, SECCOMP_RET } from './bpf.js';
import { DENIED_SYSCALLS, SPECIAL_SYSCALLS } from './syscall-table.js';

/** AUDIT_ARCH_* values as seccomp_data.arch reports them. */
export const AUDIT_ARCH = { x86_64: 0xc000003e, aarch64: 0xc00000b7 } as const;

/** x86_64 syscall numbers with this bit set are the x32 ABI. */
const X32_SYSCALL_BIT = 0x40000000;

/** CLONE_NEWNS | NEWCGROUP | NEWUTS | NEWIPC | NEWUSER | NEWPID | NEWNET (CLONE_NEWTIME is clone3-only). */
export const CLONE_NAMESPACE_FLAGS = 0x00020000 | 0x02000000 | 0x04000000 | 0x08000000 | 0x10000000 | 0x20000000 | 0x40000000;

const EPERM = 1;
const ENOSYS = 38;
const TIOCSTI = 0x5412;
const TIOCLINUX = 0x541c;

type Arch = keyof typeof AUDIT_ARCH;

function archBlock(prog: BpfProgram, arch: Arch): void {
  prog.label(arch).load(SECCOMP_DATA.nr);
  if (arch === 'x86_64') prog.jge(X32_SYSCALL_BIT, 'deny');
  prog
    .jeq(SPECIAL_SYSCALLS.clone[arch], 'clone')
    .jeq(SPECIAL_SYSCALLS.clone3[arch], 'nosys')
    .jeq(SPECIAL_SYSCALLS.ioctl[arch], 'ioctl');
  for (const call of DENIED_SYSCALLS) {
    const nr = call[arch];
    if (nr !== undefined) prog.jeq(nr, 'deny');
  }
  prog.ret(SECCOMP_RET.allow);
}

let cached: Buffer | undefined;

/** The filter program (struct sock_filter[], little-endian), built once. */
export function seccompFilterProgram(): Buffer {
  if (cached) return cached;
  const prog = new BpfProgram()
    .load(SECCOMP_DATA.arch)
    .jeq(AUDIT_ARCH.x86_64, 'x86_64')
    .jeq(AUDIT_ARCH.aarch64, 'aarch64')
    .ret(SECCOMP_RET.killProcess);
  archBlock(prog, 'x86_64');
  archBlock(prog, 'aarch64');
  prog
    .label('clone')
    .load(SECCOMP_DATA.argLow(0))
    .jset(CLONE_NAMESPACE_FLAGS, 'deny')
    .ret(SECCOMP_RET.allow)
    .label('ioctl')
    .load(SECCOMP_DATA.argLow(1))
    .jeq(TIOCSTI, 'deny')
    .jeq(TIOCLINUX, 'deny')
    .ret(SECCOMP_RET.allow)
    .label('nosys')
    .ret(SECCOMP_RET.errno(ENOSYS))
    .label('deny')
    .ret(SECCOMP_RET.errno(EPERM));
  cached = prog.assemble();
  return cached;
}

/**
 * Writes the program to a file in `dir`, opens it for reading and unlinks it: the returned fd is
 * handed to bwrap (as an extra stdio fd) and nothing is left on disk. The caller closes the fd
 * once the child has been spawned.
 */
export function openSeccompFilterFd(dir: string): number {
  const file = path.join(dir, `.seccomp-${process.pid}-${Math.random().toString(36).slice(2)}.bpf`);
  fs.writeFileSync(file, seccompFilterProgram(), { mode: 0o600, flag: 'wx' });
  try {
    return fs.openSync(file, 'r');
  } finally {
    fs.rmSync(file, { force: true });
  }
}
