/**
 * The same deny list as an OCI `linux.seccomp` section, for runtimes that filter inside the
 * sandbox (gVisor with --oci-seccomp applies it in its user-space kernel): the same calls answer
 * EPERM, clone with a namespace flag EPERM, TIOCSTI/TIOCLINUX EPERM.
 */
import { CLONE_NAMESPACE_FLAGS } from './seccomp-filter.js';
import { DENIED_SYSCALLS } from './syscall-table.js';

/** An OCI seccomp rule. */
export interface OciSeccompRule {
  names: string[];
  action: 'SCMP_ACT_ERRNO';
  errnoRet: number;
  args?: { index: number; value: number; valueTwo?: number; op: 'SCMP_CMP_EQ' | 'SCMP_CMP_MASKED_EQ' }[];
}

/** The OCI seccomp section. */
export interface OciSeccomp {
  defaultAction: 'SCMP_ACT_ALLOW';
  architectures: string[];
  syscalls: OciSeccompRule[];
}

const EPERM = 1;

/** The deny list for `arch` (only the calls that exist there) as an OCI seccomp section. */
export function ociSeccomp(arch: 'x86_64' | 'aarch64'): OciSeccomp {
  const names = DENIED_SYSCALLS.filter((c) => c[arch] !== undefined).map((c) => c.name);
  // One rule per namespace flag: rules for one call are alternatives, and "any of these bits"
  // is not expressible as a single masked comparison.
  const nsBits: number[] = [];
  for (let bit = 1; bit !== 0 && bit <= 0x40000000; bit <<= 1) if (CLONE_NAMESPACE_FLAGS & bit) nsBits.push(bit);
  return {
    defaultAction: 'SCMP_ACT_ALLOW',
    architectures: [arch === 'x86_64' ? 'SCMP_ARCH_X86_64' : 'SCMP_ARCH_AARCH64'],
    syscalls: [
      { names, action: 'SCMP_ACT_ERRNO', errnoRet: EPERM },
      // No clone3 rule: gVisor answers it ENOSYS itself, and its 2022 releases ignore errnoRet
      // (a rule would answer EPERM, and glibc falls back to clone only on ENOSYS: threads break).
      ...nsBits.map((bit): OciSeccompRule => ({
        names: ['clone'], action: 'SCMP_ACT_ERRNO', errnoRet: EPERM, args: [{ index: 0, value: bit, valueTwo: bit, op: 'SCMP_CMP_MASKED_EQ' }],
      })),
      ...[0x5412, 0x541c].map((cmd): OciSeccompRule => ({
        names: ['ioctl'], action: 'SCMP_ACT_ERRNO', errnoRet: EPERM, args: [{ index: 1, value: cmd, op: 'SCMP_CMP_EQ' }],
      })),
    ],
  };
}
