/**
 * cgroup v2: one unified tree. Workspace cgroups live in `{root}/{parent}/{name}` where `root` is a
 * delegated subtree (systemd `Delegate=yes`, or CODITECT_CGROUP_ROOT). Controllers are enabled down
 * the path through cgroup.subtree_control; limits are cpu.max, memory.max, memory.swap.max, pids.max.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import type { WorkspaceLimits } from '../workspace-limits.js';
import type { CgroupDriver, CgroupUsage, WorkspaceCgroup } from './cgroup-types.js';
import {
  isDir, killUntilEmpty, readKey, readNumber, readOptional, readPids, removeCgroupDir, sweepEmptyWorkspaceCgroups, writeValue,
} from './cgroup-files.js';

const CONTROLLERS = ['cpu', 'memory', 'pids'] as const;
const CPU_PERIOD_US = 100_000;

export interface CgroupV2Options {
  /** The delegated cgroup directory (e.g. /sys/fs/cgroup/system.slice/coditect.service). */
  root: string;
  /** Directory under root that holds the workspace cgroups. Default `coditect`. */
  parentName?: string;
  /**
   * Where the root's own processes move when it has any (v2 lets only leaves hold processes once
   * controllers are enabled below). Default `server`.
   */
  leafName?: string;
  /** Replaceable for a fake tree (a plain directory cannot be rmdir'ed with its files in it). */
  removeDir?: (dir: string) => Promise<void>;
}

class CgroupV2 implements WorkspaceCgroup {
  constructor(readonly name: string, private readonly dir: string, private readonly removeDir: (dir: string) => Promise<void>) {}

  get procsFiles(): string[] {
    return [path.join(this.dir, 'cgroup.procs')];
  }

  async usage(): Promise<CgroupUsage> {
    const f = (name: string) => path.join(this.dir, name);
    const [usageUsec, mem, memMax, pidsNow, pidsMax, oomKills, forksRefused] = await Promise.all([
      readKey(f('cpu.stat'), 'usage_usec'),
      readNumber(f('memory.current')),
      readNumber(f('memory.max')),
      readNumber(f('pids.current')),
      readNumber(f('pids.max')),
      readKey(f('memory.events'), 'oom_kill'),
      readKey(f('pids.events'), 'max'),
    ]);
    return {
      cpuSeconds: usageUsec / 1e6, memoryBytes: mem, memoryLimitBytes: memMax,
      pids: pidsNow, pidsLimit: pidsMax, oomKills, forksRefused,
    };
  }

  pids(): Promise<number[]> {
    return readPids(path.join(this.dir, 'cgroup.procs'));
  }

  async killAll(): Promise<void> {
    // cgroup.kill (Linux 5.14+) kills every process at once, fork bombs included.
    const killFile = path.join(this.dir, 'cgroup.kill');
    if ((await readOptional(killFile)) !== undefined) await writeValue(killFile, 1).catch(() => {});
    await killUntilEmpty(path.join(this.dir, 'cgroup.procs'));
  }

  async destroy(): Promise<void> {
    if (!(await isDir(this.dir))) return;
    await this.killAll();
    await this.removeDir(this.dir);
  }
}

/** Enables the workspace controllers in `dir`'s subtree_control (those not yet enabled). */
async function enableControllers(dir: string): Promise<void> {
  const enabled = new Set(((await readOptional(path.join(dir, 'cgroup.subtree_control'))) ?? '').split(/\s+/));
  const missing = CONTROLLERS.filter((c) => !enabled.has(c));
  if (missing.length) await writeValue(path.join(dir, 'cgroup.subtree_control'), missing.map((c) => `+${c}`).join(' '));
}

/**
 * A v2 driver under `opts.root`. Checks the controllers are available there, moves the root's own
 * processes into a leaf when they would block enabling controllers, and makes the parent.
 */
export async function openCgroupV2(opts: CgroupV2Options): Promise<CgroupDriver> {
  const root = opts.root;
  const parent = path.join(root, opts.parentName ?? 'coditect');
  const removeDir = opts.removeDir ?? removeCgroupDir;
  const available = new Set(((await readOptional(path.join(root, 'cgroup.controllers'))) ?? '').split(/\s+/));
  const absent = CONTROLLERS.filter((c) => !available.has(c));
  if (absent.length) throw new Error(`controllers ${absent.join(', ')} are not delegated to ${root}`);
  try {
    await enableControllers(root);
  } catch (e) {
    // "No internal processes": a cgroup with processes cannot enable controllers for its children.
    if ((e as NodeJS.ErrnoException).code !== 'EBUSY') throw e;
    const leaf = path.join(root, opts.leafName ?? 'server');
    await fs.mkdir(leaf, { recursive: true });
    for (const pid of await readPids(path.join(root, 'cgroup.procs'))) {
      await writeValue(path.join(leaf, 'cgroup.procs'), pid).catch(() => {}); // exited meanwhile
    }
    await enableControllers(root);
  }
  if (!(await isDir(parent))) await fs.mkdir(parent);
  await enableControllers(parent);
  await sweepEmptyWorkspaceCgroups(parent, removeDir);
  return {
    version: 'v2',
    describe: `cgroup v2 (${parent})`,
    async create(name, limits: WorkspaceLimits) {
      const dir = path.join(parent, name);
      const cgroup = new CgroupV2(name, dir, removeDir);
      await cgroup.destroy(); // left by a crashed run
      await fs.mkdir(dir);
      try {
        await writeValue(path.join(dir, 'cpu.max'), `${Math.max(1000, Math.round(limits.cpus * CPU_PERIOD_US))} ${CPU_PERIOD_US}`);
        await writeValue(path.join(dir, 'memory.max'), limits.memoryBytes);
        // memory.swap.max exists only with swap accounting; without it there is no swap to limit.
        await writeValue(path.join(dir, 'memory.swap.max'), limits.swapBytes).catch((e: NodeJS.ErrnoException) => {
          if (e.code !== 'ENOENT' && e.code !== 'EACCES') throw e;
        });
        await writeValue(path.join(dir, 'pids.max'), limits.pids);
      } catch (e) {
        await cgroup.destroy().catch(() => {});
        throw e;
      }
      return cgroup;
    },
  };
}
