/**
 * System calls a workspace may not make, with their numbers on x86_64 and aarch64 (from the kernel's
 * uapi headers: asm/unistd_64.h and asm-generic/unistd.h). Modelled on Docker's default profile:
 * the calls it refuses to a container without extra capabilities, minus the ones development tools
 * need (ptrace, process_vm_readv/writev and personality stay open so debuggers work; each is bounded
 * by the kernel's own ptrace access checks inside the sandbox's pid namespace).
 */

/** One denied call: its name and number per architecture (undefined: the arch has no such call). */
export interface DeniedSyscall {
  name: string;
  x86_64?: number;
  aarch64?: number;
}

/** Syscall numbers the filter treats specially (argument checks). */
export const SPECIAL_SYSCALLS = {
  /** Allowed unless its flags ask for a new namespace. */
  clone: { x86_64: 56, aarch64: 220 },
  /** Answered ENOSYS: its flags sit in memory the filter cannot read, and libc then falls back to clone. */
  clone3: { x86_64: 435, aarch64: 435 },
  /** Allowed except terminal input injection (TIOCSTI) and console control (TIOCLINUX). */
  ioctl: { x86_64: 16, aarch64: 29 },
} as const;

const d = (name: string, x86_64: number | undefined, aarch64: number | undefined): DeniedSyscall => ({
  name,
  ...(x86_64 === undefined ? {} : { x86_64 }),
  ...(aarch64 === undefined ? {} : { aarch64 }),
});

/** Refused with EPERM on every path. */
export const DENIED_SYSCALLS: readonly DeniedSyscall[] = Object.freeze([
  // Kernel keyrings: shared kernel state, a long list of CVEs.
  d('keyctl', 250, 219),
  d('add_key', 248, 217),
  d('request_key', 249, 218),
  // eBPF, perf, userfaultfd, io_uring: the kernel's largest recent attack surfaces.
  d('bpf', 321, 280),
  d('perf_event_open', 298, 241),
  d('userfaultfd', 323, 282),
  d('io_uring_setup', 425, 425),
  d('io_uring_enter', 426, 426),
  d('io_uring_register', 427, 427),
  // Kernels and modules.
  d('kexec_load', 246, 104),
  d('kexec_file_load', 320, 294),
  d('init_module', 175, 105),
  d('finit_module', 313, 273),
  d('delete_module', 176, 106),
  d('create_module', 174, undefined),
  d('get_kernel_syms', 177, undefined),
  d('query_module', 178, undefined),
  // Mounts (old and new API) and namespaces.
  d('mount', 165, 40),
  d('umount2', 166, 39),
  d('pivot_root', 155, 41),
  d('open_tree', 428, 428),
  d('move_mount', 429, 429),
  d('fsopen', 430, 430),
  d('fsconfig', 431, 431),
  d('fsmount', 432, 432),
  d('fspick', 433, 433),
  d('mount_setattr', 442, 442),
  d('setns', 308, 268),
  d('unshare', 272, 97),
  // File handles bypass path-based confinement (the "shocker" escape).
  d('open_by_handle_at', 304, 265),
  d('name_to_handle_at', 303, 264),
  // Host administration.
  d('swapon', 167, 224),
  d('swapoff', 168, 225),
  d('reboot', 169, 142),
  d('acct', 163, 89),
  d('quotactl', 179, 60),
  d('quotactl_fd', 443, 443),
  d('syslog', 103, 116),
  d('vhangup', 153, 58),
  d('settimeofday', 164, 170),
  d('clock_settime', 227, 112),
  d('clock_adjtime', 305, 266),
  d('fanotify_init', 300, 262),
  d('lookup_dcookie', 212, 18),
  d('nfsservctl', 180, 42),
  // Obsolete or x86 port access.
  d('uselib', 134, undefined),
  d('ustat', 136, undefined),
  d('sysfs', 139, undefined),
  d('_sysctl', 156, undefined),
  d('iopl', 172, undefined),
  d('ioperm', 173, undefined),
  // NUMA placement and cross-process comparison (Docker: CAP_SYS_NICE / CAP_SYS_PTRACE only).
  d('mbind', 237, 235),
  d('set_mempolicy', 238, 237),
  d('move_pages', 279, 239),
  d('migrate_pages', 256, 238),
  d('kcmp', 312, 272),
]);
