/**
 * cgroup v1: one directory per controller hierarchy (cpu, memory, pids; cpuacct for the CPU
 * counter when it is mounted apart from cpu). Limits: cpu.cfs_quota_us/cfs_period_us,
 * memory.limit_in_bytes (+ memory.memsw.limit_in_bytes where swap accounting exists), pids.max.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import type { WorkspaceLimits } from '../workspace-limits.js';
import type { CgroupDriver, CgroupUsage, WorkspaceCgroup } from './cgroup-types.js';
import {
  isDir, killUntilEmpty, readKey, readNumber, readOptional, readPids, removeCgroupDir, sweepEmptyWorkspaceCgroups, writeValue,
} from './cgroup-files.js';

/** The CFS period: 100 ms, the kernel's default. */
const CFS_PERIOD_US = 100_000;
/** memory.limit_in_bytes reads back this (or a page-rounded huge number) when unlimited. */
const V1_UNLIMITED = 2 ** 62;

/** The parent directories of workspace cgroups, one per hierarchy (the same dir when co-mounted). */
export interface CgroupV1Parents {
  cpu: string;
  cpuacct: string;
  memory: string;
  pids: string;
}

class CgroupV1 implements WorkspaceCgroup {
  constructor(readonly name: string, private readonly dirs: CgroupV1Parents) {}

  /** Each distinct hierarchy directory once (cpu and cpuacct may be the same). */
  private get uniqueDirs(): string[] {
    return [...new Set(Object.values(this.dirs))];
  }

  get procsFiles(): string[] {
    return this.uniqueDirs.map((d) => path.join(d, 'cgroup.procs'));
  }

  async usage(): Promise<CgroupUsage> {
    const { cpuacct, memory, pids } = this.dirs;
    const [cpuNs, mem, memLimit, pidsNow, pidsMax, oomKills, forksRefused] = await Promise.all([
      readNumber(path.join(cpuacct, 'cpuacct.usage')),
      readNumber(path.join(memory, 'memory.usage_in_bytes')),
      readNumber(path.join(memory, 'memory.limit_in_bytes')),
      readNumber(path.join(pids, 'pids.current')),
      readNumber(path.join(pids, 'pids.max')),
      readKey(path.join(memory, 'memory.oom_control'), 'oom_kill'),
      readKey(path.join(pids, 'pids.events'), 'max'),
    ]);
    return {
      cpuSeconds: cpuNs / 1e9,
      memoryBytes: mem,
      memoryLimitBytes: memLimit >= V1_UNLIMITED ? Number.POSITIVE_INFINITY : memLimit,
      pids: pidsNow,
      pidsLimit: pidsMax,
      oomKills,
      forksRefused,
    };
  }

  async pids(): Promise<number[]> {
    return readPids(path.join(this.dirs.pids, 'cgroup.procs'));
  }

  async killAll(): Promise<void> {
    // The pids hierarchy holds every process of the workspace; the others hold the same set.
    for (const dir of this.uniqueDirs) await killUntilEmpty(path.join(dir, 'cgroup.procs'));
  }

  async destroy(): Promise<void> {
    await this.killAll();
    for (const dir of this.uniqueDirs) await removeCgroupDir(dir);
  }
}

/** Writes the v1 limit files of a freshly made workspace cgroup. */
async function applyLimits(dirs: CgroupV1Parents, limits: WorkspaceLimits): Promise<void> {
  await writeValue(path.join(dirs.cpu, 'cpu.cfs_period_us'), CFS_PERIOD_US);
  await writeValue(path.join(dirs.cpu, 'cpu.cfs_quota_us'), Math.max(1000, Math.round(limits.cpus * CFS_PERIOD_US)));
  await writeValue(path.join(dirs.memory, 'memory.limit_in_bytes'), limits.memoryBytes);
  // memsw is memory + swap; it exists only with swap accounting (swapaccount=1).
  const memsw = path.join(dirs.memory, 'memory.memsw.limit_in_bytes');
  if ((await readOptional(memsw)) !== undefined) await writeValue(memsw, limits.memoryBytes + limits.swapBytes);
  else if (limits.swapBytes === 0) await writeValue(path.join(dirs.memory, 'memory.swappiness'), 0).catch(() => {});
  await writeValue(path.join(dirs.pids, 'pids.max'), limits.pids);
}

/** A v1 driver creating workspace cgroups under `parents` (made if missing). */
export async function openCgroupV1(parents: CgroupV1Parents): Promise<CgroupDriver> {
  for (const dir of new Set(Object.values(parents))) {
    await fs.mkdir(dir, { recursive: true });
    await sweepEmptyWorkspaceCgroups(dir);
  }
  return {
    version: 'v1',
    describe: `cgroup v1 (${[...new Set(Object.values(parents))].join(', ')})`,
    async create(name, limits) {
      const dirs: CgroupV1Parents = {
        cpu: path.join(parents.cpu, name),
        cpuacct: path.join(parents.cpuacct, name),
        memory: path.join(parents.memory, name),
        pids: path.join(parents.pids, name),
      };
      const existing = new CgroupV1(name, dirs);
      if (await isDir(dirs.pids)) await existing.destroy(); // left by a crashed run
      for (const dir of new Set(Object.values(dirs))) {
        if (!(await isDir(dir))) await fs.mkdir(dir);
      }
      try {
        await applyLimits(dirs, limits);
      } catch (e) {
        await existing.destroy().catch(() => {});
        throw e;
      }
      return existing;
    },
  };
}
