/**
 * Samples every running workspace every few seconds: its cgroup counters (CPU, memory, pids) and
 * the disk its workspace folder and HOME occupy. The disk bytes are recorded as the tenant's usage,
 * and the tenant's quota is enforced from the outside:
 *   - over the quota: every process of the workspace gets a soft RLIMIT_FSIZE of 0, so writes
 *     fail with EFBIG inside (deleting files still works) — lifted once the tenant is under quota;
 *   - over quota + slack: the workspace is stopped (its cgroup killed).
 * A writer can thus overshoot the quota by what it writes within one sample; the slack bounds how
 * far before it is stopped outright (see README, "Limits").
 */
import type { CgroupUsage, WorkspaceCgroup } from '../cgroups/cgroup-types.js';
import { measureDiskBytes } from './disk-usage.js';
import { blockWrites, unblockWrites } from './file-size-limit.js';

/** Where measured disk bytes go; answers the tenant's total and quota after recording them. */
export interface DiskAccount {
  record(tenantId: string, sessionId: string, bytes: { workspace: number; home: number }): Promise<{ tenantBytes: number; quotaBytes: number }>;
  /** The tenant's total and quota without recording anything (nothing changed since the last record). */
  total?(tenantId: string): Promise<{ tenantBytes: number; quotaBytes: number }>;
}

/** One running workspace as the monitor sees it. */
export interface MonitoredWorkspace {
  tenantId: string;
  sessionId: string;
  /** The workspace process (a new pid is a new run of the session). */
  pid: number;
  workspaceDir: string;
  homeDir?: string | undefined;
  /** Other host dirs the sandbox can write (e.g. its run dir), counted with HOME. */
  extraDirs?: readonly string[];
  cgroup?: WorkspaceCgroup | undefined;
}

/** `ok`; `writes_blocked` (over quota: writes fail inside); `stopped` (past quota + slack). */
export type DiskState = 'ok' | 'writes_blocked' | 'stopped';

/** The latest sample of one workspace. */
export interface WorkspaceUsageSample {
  /** Date.now() of the sample. */
  at: number;
  cgroup?: CgroupUsage | undefined;
  /** CPU use between the last two samples, in percent of one core. */
  cpuPercent?: number | undefined;
  workspaceBytes: number;
  homeBytes: number;
  tenantBytes: number;
  quotaBytes: number;
  diskState: DiskState;
}

export interface UsageMonitorOptions {
  account: DiskAccount;
  /** Bytes past the quota at which a workspace is stopped instead of only blocked. */
  slackBytes: number;
  /** Pause between two rounds of samples. Default 1 s (longer when a round itself is slow). */
  intervalMs?: number;
  /** Stops a workspace that went past quota + slack. */
  stopWorkspace: (sessionId: string) => Promise<void>;
  logger: { info(o: object, m?: string): void; warn(o: object, m?: string): void; error(o: object, m?: string): void };
}

interface Tracked {
  ws: MonitoredWorkspace;
  last?: WorkspaceUsageSample;
  blocked: boolean;
}

/** The sampler and disk-quota watchdog of this node's running workspaces. */
export class WorkspaceUsageMonitor {
  private readonly tracked = new Map<string, Tracked>();
  /** Why a workspace was stopped, kept until it starts again (the status endpoint shows it). */
  private readonly stoppedForQuota = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private round: Promise<void> | undefined;

  constructor(private readonly opts: UsageMonitorOptions) {}

  /** Starts sampling a workspace that just started. */
  track(ws: MonitoredWorkspace): void {
    if (this.tracked.get(ws.sessionId)?.ws.pid === ws.pid) return; // the same run, opened again
    this.stoppedForQuota.delete(ws.sessionId);
    this.tracked.set(ws.sessionId, { ws, blocked: false });
    this.schedule(0);
  }

  /** Stops sampling a workspace that stopped. */
  untrack(sessionId: string): void {
    this.tracked.delete(sessionId);
  }

  /** The latest sample of a running workspace. */
  latest(sessionId: string): WorkspaceUsageSample | undefined {
    return this.tracked.get(sessionId)?.last;
  }

  /** Whether the workspace was stopped for going past its quota + slack (until it starts again). */
  wasStoppedForQuota(sessionId: string): boolean {
    return this.stoppedForQuota.has(sessionId);
  }

  /** Samples every tracked workspace now (also what the timer runs). */
  async sampleAll(): Promise<void> {
    if (this.round) return this.round;
    this.round = (async () => {
      for (const t of [...this.tracked.values()]) {
        try {
          await this.sample(t);
        } catch (e) {
          this.opts.logger.warn({ sessionId: t.ws.sessionId, err: (e as Error).message }, 'workspace usage sample failed');
        }
      }
    })();
    try {
      await this.round;
    } finally {
      this.round = undefined;
    }
  }

  /** Stops the timer (server shutdown). */
  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
  }

  private schedule(delayMs: number): void {
    if (this.closed || (this.timer && delayMs > 0)) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      const t0 = Date.now();
      void this.sampleAll().finally(() => {
        // A slow round (a huge tree) spaces the next one out, so sampling never eats the node.
        if (this.tracked.size) this.schedule(Math.max(this.opts.intervalMs ?? 1000, (Date.now() - t0) * 4));
      });
    }, delayMs);
    this.timer.unref();
  }

  private async sample(t: Tracked): Promise<void> {
    const { ws } = t;
    const now = Date.now();
    const [cgroup, [workspace = 0, ...rest]] = await Promise.all([
      ws.cgroup?.usage().catch(() => undefined),
      measureDiskBytes([ws.workspaceDir, ...(ws.homeDir ? [ws.homeDir] : []), ...(ws.extraDirs ?? [])]),
    ]);
    const home = rest.reduce((a, b) => a + b, 0);
    if (this.tracked.get(ws.sessionId) !== t) return; // stopped meanwhile
    const prev = t.last;
    // Unchanged bytes need no write; the tenant total may still move with its other sessions.
    const unchanged = prev && prev.workspaceBytes === workspace && prev.homeBytes === home && this.opts.account.total;
    const { tenantBytes, quotaBytes } = unchanged
      ? await this.opts.account.total!(ws.tenantId)
      : await this.opts.account.record(ws.tenantId, ws.sessionId, { workspace, home });
    const cpuPercent = prev?.cgroup && cgroup && now > prev.at
      ? Math.max(0, ((cgroup.cpuSeconds - prev.cgroup.cpuSeconds) / ((now - prev.at) / 1000)) * 100) : undefined;
    let diskState: DiskState = t.blocked ? 'writes_blocked' : 'ok';
    if (tenantBytes > quotaBytes + this.opts.slackBytes) {
      diskState = 'stopped';
      this.opts.logger.warn({ sessionId: ws.sessionId, tenantId: ws.tenantId, tenantBytes, quotaBytes }, 'disk quota + slack exceeded: stopping the workspace');
      this.stoppedForQuota.add(ws.sessionId);
      this.tracked.delete(ws.sessionId);
      // Not awaited: the round goes on for the other workspaces while this one stops.
      void this.opts.stopWorkspace(ws.sessionId).catch((e: unknown) =>
        this.opts.logger.error({ sessionId: ws.sessionId, err: (e as Error).message }, 'cannot stop the workspace over quota'));
    } else if (tenantBytes > quotaBytes) {
      diskState = 'writes_blocked';
      await this.blockWrites(t);
    } else if (t.blocked) {
      diskState = (await this.unblockWrites(t)) ? 'ok' : 'writes_blocked';
    }
    t.last = { at: now, cgroup, cpuPercent, workspaceBytes: workspace, homeBytes: home, tenantBytes, quotaBytes, diskState };
  }

  private async blockWrites(t: Tracked): Promise<void> {
    if (!t.ws.cgroup) return;
    if (!t.blocked) this.opts.logger.warn({ sessionId: t.ws.sessionId }, 'disk quota exceeded: writes inside the workspace now fail');
    t.blocked = true;
    // Every tick: a process may have raised its soft limit again, and new ones may have started.
    await blockWrites(await t.ws.cgroup.pids());
  }

  /** Lets the workspace write again; false when some process could not be unblocked. */
  private async unblockWrites(t: Tracked): Promise<boolean> {
    if (!t.ws.cgroup) return true;
    if (!(await unblockWrites(await t.ws.cgroup.pids()))) return false;
    t.blocked = false;
    this.opts.logger.info({ sessionId: t.ws.sessionId }, 'disk usage back under quota: writes allowed again');
    return true;
  }
}
