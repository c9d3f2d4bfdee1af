/** The wire shape of a workspace's resource use (contract `WorkspaceUsage`). */
import type { WorkspaceUsage } from '@coditect/contract';
import type { CgroupUsage } from '../cgroups/cgroup-types.js';
import type { DiskState } from './usage-monitor.js';

export type WorkspaceUsageReport = WorkspaceUsage;

/** JSON has no Infinity: an unlimited value is null. */
const finite = (n: number | undefined) => (n === undefined || !Number.isFinite(n) ? null : n);

/** Builds the status endpoint's `usage` from a cgroup sample and the disk counters. */
export function presentWorkspaceUsage(input: {
  cgroup: CgroupUsage | undefined;
  cpuPercent: number | undefined;
  cpuLimit: number | undefined;
  sessionBytes: number;
  tenantBytes: number;
  quotaBytes: number;
  diskState: DiskState;
}): WorkspaceUsage {
  const c = input.cgroup;
  return {
    cpuSeconds: c ? Math.round(c.cpuSeconds * 100) / 100 : null,
    cpuPercent: input.cpuPercent === undefined ? null : Math.round(input.cpuPercent),
    cpuLimit: input.cpuLimit ?? null,
    memoryBytes: finite(c?.memoryBytes),
    memoryLimitBytes: finite(c?.memoryLimitBytes),
    pids: finite(c?.pids),
    pidsLimit: finite(c?.pidsLimit),
    oomKills: finite(c?.oomKills),
    diskBytes: input.sessionBytes,
    tenantDiskBytes: input.tenantBytes,
    diskQuotaBytes: input.quotaBytes,
    diskQuotaExceeded: input.tenantBytes > input.quotaBytes,
    diskState: input.diskState,
  };
}
