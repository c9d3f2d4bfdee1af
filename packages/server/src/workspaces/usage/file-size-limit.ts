/**
 * Blocks and unblocks writes of processes already running by their SOFT RLIMIT_FSIZE, with
 * util-linux `prlimit`. At 0 every write that would extend a regular file fails with EFBIG inside
 * (SIGXFSZ is ignored by the spawn wrapper) while deleting files still works. Only the soft limit
 * moves: raising a hard limit again would need CAP_SYS_RESOURCE in the initial user namespace, which
 * a production server does not have. A process may raise its own soft limit back up to the hard one
 * (set at start to the quota left + slack); the stop at quota + slack bounds such a writer.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';

function prlimit(pid: number, spec: string): Promise<boolean> {
  return new Promise((resolve) => {
    execFile('prlimit', ['--pid', String(pid), `--fsize=${spec}`], { timeout: 10_000 }, (err) => resolve(!err));
  });
}

/** The hard RLIMIT_FSIZE of `pid` as prlimit spells it (`unlimited` or bytes), undefined when it is gone. */
async function hardFileSizeLimit(pid: number): Promise<string | undefined> {
  const text = await fs.readFile(`/proc/${pid}/limits`, 'utf8').catch(() => undefined);
  return text ? /^Max file size\s+\S+\s+(\S+)/m.exec(text)?.[1] : undefined;
}

/** Soft RLIMIT_FSIZE 0 on each pid (writes fail); answers how many it was set on. */
export async function blockWrites(pids: readonly number[]): Promise<number> {
  return (await Promise.all(pids.map((p) => prlimit(p, '0:')))).filter(Boolean).length;
}

/** Raises each pid's soft RLIMIT_FSIZE back to its hard limit; true when none is left blocked. */
export async function unblockWrites(pids: readonly number[]): Promise<boolean> {
  const results = await Promise.all(pids.map(async (p) => {
    const hard = await hardFileSizeLimit(p);
    return hard === undefined || (await prlimit(p, `${hard}:`)) || (await hardFileSizeLimit(p)) === undefined;
  }));
  return results.every(Boolean);
}
