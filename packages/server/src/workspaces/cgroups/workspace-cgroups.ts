/** The runner's side of cgroups: one per running workspace, or a refusal that says why. */
import type { WorkspaceLimits } from '../workspace-limits.js';
import { WorkspaceLimitsUnavailableError, type CgroupAvailability, type WorkspaceCgroup } from './cgroup-types.js';

/** How the runner limits each workspace. */
export interface WorkspaceCgroupOptions {
  /** What one workspace may use. */
  limits: WorkspaceLimits;
  /** Where cgroups can be made (usually a cached detectCgroups()). */
  cgroups: () => Promise<CgroupAvailability>;
  /**
   * DEVELOPMENT ONLY: start workspaces without CPU, memory and process limits where no cgroup is
   * writable (CODITECT_DANGEROUS_UNLIMITED_WORKSPACES=1). Never on by default.
   */
  dangerouslyUnlimited?: boolean;
}

interface Logger {
  warn(obj: object, msg?: string): void;
}

/** A fresh cgroup name for one run of a session's workspace (never reused, so a late cleanup of a previous run cannot touch it). */
export const cgroupName = (sessionId: string) => `ws-${sessionId}-${Date.now().toString(36)}${Math.floor(Math.random() * 1296).toString(36)}`;

/**
 * Makes the session's cgroup with its limits. Without a usable hierarchy: throws
 * WorkspaceLimitsUnavailableError, or (dangerouslyUnlimited) logs loudly and answers undefined.
 */
export async function createWorkspaceCgroup(
  sessionId: string, opts: WorkspaceCgroupOptions, logger: Logger,
): Promise<WorkspaceCgroup | undefined> {
  const availability = await opts.cgroups();
  if (!availability.ok) {
    if (!opts.dangerouslyUnlimited) throw new WorkspaceLimitsUnavailableError(availability.reason);
    logger.warn({ sessionId, reason: availability.reason },
      'UNLIMITED workspace (CODITECT_DANGEROUS_UNLIMITED_WORKSPACES): no CPU, memory or process limits; one workspace can starve this node');
    return undefined;
  }
  try {
    return await availability.driver.create(cgroupName(sessionId), opts.limits);
  } catch (e) {
    const reason = `cannot create a cgroup in ${availability.driver.describe}: ${(e as Error).message}`;
    if (!opts.dangerouslyUnlimited) throw new WorkspaceLimitsUnavailableError(reason);
    logger.warn({ sessionId, reason }, 'UNLIMITED workspace (CODITECT_DANGEROUS_UNLIMITED_WORKSPACES)');
    return undefined;
  }
}
