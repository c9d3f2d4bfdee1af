/** Small file helpers shared by the cgroup v1 and v2 drivers. */
import fs from 'node:fs/promises';
import path from 'node:path';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Contents of a cgroup file, trimmed; undefined when it does not exist. */
export async function readOptional(file: string): Promise<string | undefined> {
  try {
    return (await fs.readFile(file, 'utf8')).trim();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

/** A number from a cgroup file (`max` reads as Infinity); 0 when the file is missing. */
export async function readNumber(file: string): Promise<number> {
  const text = await readOptional(file);
  if (text === undefined || text === '') return 0;
  if (text === 'max') return Number.POSITIVE_INFINITY;
  return Number(text);
}

/** The value of `key` in a flat-keyed file such as cpu.stat or memory.events (0 when absent). */
export async function readKey(file: string, key: string): Promise<number> {
  const text = (await readOptional(file)) ?? '';
  for (const line of text.split('\n')) {
    const [k, v] = line.trim().split(/\s+/);
    if (k === key) return Number(v);
  }
  return 0;
}

/** Writes one value to a cgroup file (each write is one kernel call). */
export async function writeValue(file: string, value: string | number): Promise<void> {
  await fs.writeFile(file, String(value));
}

/** Pids listed in a cgroup.procs file. */
export async function readPids(procsFile: string): Promise<number[]> {
  const text = (await readOptional(procsFile)) ?? '';
  return text.split('\n').filter(Boolean).map(Number).filter((n) => Number.isInteger(n) && n > 0);
}

/**
 * SIGKILLs every pid in `procsFile` until it lists none. Rounds repeat because a process may fork
 * between the read and the kill; pids.max bounds how many there can be.
 */
export async function killUntilEmpty(procsFile: string, rounds = 200): Promise<void> {
  for (let i = 0; i < rounds; i++) {
    const pids = await readPids(procsFile);
    if (pids.length === 0) return;
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone already
      }
    }
    await sleep(i < 10 ? 5 : 20);
  }
  throw new Error(`processes left in ${procsFile} after ${rounds} kill rounds`);
}

/** rmdir of a cgroup directory; retries while the kernel still tears down exiting tasks (EBUSY). */
export async function removeCgroupDir(dir: string): Promise<void> {
  for (let i = 0; ; i++) {
    try {
      await fs.rmdir(dir);
      return;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return;
      if (code !== 'EBUSY' || i >= 100) throw e;
      await sleep(20);
    }
  }
}

/** Whether `dir` exists and is a directory. */
export async function isDir(dir: string): Promise<boolean> {
  return fs.stat(dir).then((s) => s.isDirectory(), () => false);
}

/** Joins a cgroup path (as in /proc/self/cgroup, starting with /) under a mount point. */
export function underMount(mountPoint: string, cgroupPath: string): string {
  return path.join(mountPoint, ...cgroupPath.split('/').filter(Boolean));
}

/**
 * Removes the empty `ws-*` cgroups a crashed run left under `parent`. Ones with processes stay, and
 * so do young ones: another server on this machine may have just made one and not yet joined it.
 */
export async function sweepEmptyWorkspaceCgroups(parent: string, removeDir: (dir: string) => Promise<void> = removeCgroupDir): Promise<void> {
  const names = await fs.readdir(parent).catch(() => [] as string[]);
  for (const name of names.filter((n) => n.startsWith('ws-'))) {
    const dir = path.join(parent, name);
    const age = Date.now() - ((await fs.stat(dir).catch(() => undefined))?.ctimeMs ?? Date.now());
    if (age < 60_000) continue;
    if ((await readPids(path.join(dir, 'cgroup.procs'))).length === 0) await removeDir(dir).catch(() => {});
  }
}
