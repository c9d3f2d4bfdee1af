import fs from 'node:fs/promises';
import path from 'node:path';
import type { Deps } from '../deps.js';
import { findWorkspaceSession } from '../store/repositories/workspace-sessions.js';
import { snapshotWorkspace } from './snapshots.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * Automatic snapshots: every interval, each workspace directory on this node
 * whose session still exists is snapshotted — and the snapshot is kept only
 * when something changed (an unchanged workspace costs a tree of lstat calls
 * and no writes). Owned by `startServer`, stopped by its `close()`.
 */
export class SnapshotScheduler {
  private readonly timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;

  constructor(private readonly deps: Deps, intervalMs: number) {
    if (intervalMs > 0) {
      this.timer = setInterval(() => { void this.tick(); }, intervalMs);
      this.timer.unref();
    }
  }

  /** One pass over every workspace on this node; a pass still running makes the next one a no-op. */
  tick(): Promise<void> {
    if (this.running || this.stopped) return this.running ?? Promise.resolve();
    this.running = this.pass().finally(() => { this.running = undefined; });
    return this.running;
  }

  private async pass(): Promise<void> {
    const root = path.join(this.deps.config.dataDir, 'workspaces');
    const tenants = await fs.readdir(root).catch(() => [] as string[]);
    for (const tenantId of tenants.filter((t) => UUID.test(t))) {
      const sessions = await fs.readdir(path.join(root, tenantId)).catch(() => [] as string[]);
      for (const sessionId of sessions.filter((s) => UUID.test(s))) {
        if (this.stopped) return;
        try {
          const exists = await this.deps.store.tenant(tenantId, (tx) => findWorkspaceSession(tx, tenantId, sessionId));
          if (exists) await snapshotWorkspace(this.deps, tenantId, sessionId, { reason: 'auto', skipIfUnchanged: true });
        } catch (err) {
          this.deps.log.warn({ err, tenantId, sessionId }, 'automatic snapshot failed');
        }
      }
    }
  }

  /** Stops the timer and waits for a pass in progress (it stops at the next workspace). */
  async close(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    await this.running;
  }
}
