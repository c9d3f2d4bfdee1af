/**
 * What the workspace runner needs from a cgroup implementation (v2 or v1): one cgroup per running
 * workspace, created with its limits before the sandbox starts, read for usage, killed and removed
 * after it stops.
 */
import type { WorkspaceLimits } from '../workspace-limits.js';

/** What a workspace's cgroup has used, read from its counters. */
export interface CgroupUsage {
  /** CPU time used since the cgroup was created, in seconds (user + system). */
  cpuSeconds: number;
  /** Memory charged now (anonymous + page cache + tmpfs), in bytes. */
  memoryBytes: number;
  memoryLimitBytes: number;
  /** Processes and threads now. */
  pids: number;
  pidsLimit: number;
  /** Processes the OOM killer killed inside (0 where the kernel does not count them). */
  oomKills: number;
  /** Forks refused at pids.max (0 where the kernel does not count them). */
  forksRefused: number;
}

/** One running workspace's cgroup (in every hierarchy it needs). */
export interface WorkspaceCgroup {
  /** Name under the coditect parent, e.g. `ws-{sessionId}`. */
  readonly name: string;
  /** Host paths of the `cgroup.procs` files a process writes its pid into to join (one per hierarchy). */
  readonly procsFiles: readonly string[];
  /** Current counters. */
  usage(): Promise<CgroupUsage>;
  /** Pids of every process inside now. */
  pids(): Promise<number[]>;
  /** SIGKILLs everything inside until it is empty (a fork bomb included). */
  killAll(): Promise<void>;
  /** killAll(), then removes the cgroup. Safe to call twice. */
  destroy(): Promise<void>;
}

/** A cgroup hierarchy this server may create workspace cgroups in. */
export interface CgroupDriver {
  readonly version: 'v1' | 'v2';
  /** Where workspace cgroups are created (for logs and error messages). */
  readonly describe: string;
  /** Creates (or re-creates, killing what a crashed run left) the cgroup `name` with `limits`. */
  create(name: string, limits: WorkspaceLimits): Promise<WorkspaceCgroup>;
}

/** The outcome of looking for a usable cgroup hierarchy. */
export type CgroupAvailability = { ok: true; driver: CgroupDriver } | { ok: false; reason: string };

/** Thrown when workspaces cannot be limited here, so they do not start (503 workspace_limits_unavailable). */
export class WorkspaceLimitsUnavailableError extends Error {
  readonly code = 'workspace_limits_unavailable';
  readonly statusCode = 503;
  constructor(readonly reason: string) {
    super(`Workspaces cannot start: their CPU, memory and process limits cannot be enforced on this server (${reason})`);
    this.name = 'WorkspaceLimitsUnavailableError';
  }
}
