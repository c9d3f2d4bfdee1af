/**
 * The spawn wrapper that puts a workspace into its cgroup BEFORE the sandbox exists: a tiny
 * /bin/sh writes its own pid into each cgroup.procs, sets RLIMIT_FSIZE, ignores SIGXFSZ (so an
 * oversized write fails with EFBIG instead of killing the writer) and then execs bwrap. Everything
 * bwrap forks is born inside the cgroup; nothing runs outside it for a moment.
 */

/** What the wrapper applies before it execs the real command. */
export interface SpawnConfinement {
  /** Host paths of the cgroup.procs files to join (one per hierarchy). */
  procsFiles: readonly string[];
  /** Largest file any process inside may write (RLIMIT_FSIZE, soft and hard), in bytes. */
  fileSizeLimitBytes?: number | undefined;
}

// $1: number of cgroup.procs files, then the files, then the RLIMIT_FSIZE in 512-byte blocks (or -),
// then the command. dash and bash both take `ulimit -f` in 512-byte blocks and set soft and hard.
const WRAPPER = [
  'n=$1; shift',
  'while [ "$n" -gt 0 ]; do echo $$ > "$1" || { echo "coditect: cannot join cgroup $1" >&2; exit 125; }; shift; n=$((n-1)); done',
  'if [ "$1" != - ]; then ulimit -f "$1" || { echo "coditect: cannot set the file size limit" >&2; exit 125; }; fi; shift',
  "trap '' XFSZ",
  'exec "$@"',
].join('\n');

/** The argv that runs `command args` confined: `{ command: '/bin/sh', args: [...] }`. */
export function confineCommand(command: string, args: readonly string[], confinement: SpawnConfinement): { command: string; args: string[] } {
  const blocks = confinement.fileSizeLimitBytes === undefined
    ? '-' : String(Math.max(0, Math.floor(confinement.fileSizeLimitBytes / 512)));
  return {
    command: '/bin/sh',
    args: ['-c', WRAPPER, 'coditect-confine', String(confinement.procsFiles.length), ...confinement.procsFiles, blocks, command, ...args],
  };
}
