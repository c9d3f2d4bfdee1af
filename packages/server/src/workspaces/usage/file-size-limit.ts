/**
 * Lowers (or restores) RLIMIT_FSIZE of processes already running, with util-linux `prlimit`. At 0
 * every write that would extend a regular file fails with EFBIG inside (SIGXFSZ is ignored by the
 * spawn wrapper), while deleting files still works. Lowering needs no privilege for processes of
 * the server's own user; raising a hard limit again needs CAP_SYS_RESOURCE (root).
 */
import { execFile } from 'node:child_process';

/** Sets RLIMIT_FSIZE (soft and hard) of `pid`; resolves false when it is gone or not allowed. */
export function setFileSizeLimit(pid: number, bytes: number): Promise<boolean> {
  const value = bytes >= Number.MAX_SAFE_INTEGER ? 'unlimited' : String(Math.max(0, Math.floor(bytes)));
  return new Promise((resolve) => {
    execFile('prlimit', ['--pid', String(pid), `--fsize=${value}:${value}`], { timeout: 10_000 }, (err) => resolve(!err));
  });
}

/** Sets the limit on each pid; answers how many it was set on. */
export async function setFileSizeLimitAll(pids: readonly number[], bytes: number): Promise<number> {
  const done = await Promise.all(pids.map((p) => setFileSizeLimit(p, bytes)));
  return done.filter(Boolean).length;
}
