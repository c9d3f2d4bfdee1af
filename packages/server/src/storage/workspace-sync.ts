import type { Deps } from '../deps.js';
import { openRoot } from '../files/beneath/resolve.js';
import { findWorkspaceSession } from '../store/repositories/workspace-sessions.js';
import { workspaceDir } from '../workspaces/workspace-paths.js';
import { snapshotWorkspace } from './snapshots.js';
import { treeFingerprint } from './tree-fingerprint.js';

/**
 * Continuous sync: every `intervalMs`, each workspace being changed on this
 * node (running its IDE here, or touched through the files API lately) gets
 * an lstat-only walk; when its tree changed since the last look and then
 * stayed the same for one interval (writes settled) — or has kept changing
 * for `maxDelayMs` — a snapshot of kind `sync` records it: changed files only,
 * content-addressed into the blob store, the previous sync point replaced.
 * A workspace reopened on another node after this one is lost comes back
 * from it (ensureWorkspaceDir). Owned by `startServer`; `close()` flushes.
 *
 * Why a poll and not fs.watch: Node 20's recursive fs.watch on Linux takes
 * one inotify watch per file (10,202 for a 10,000-file tree, measured), from
 * the per-user budget (fs.inotify.max_user_watches) every workspace on the
 * node shares — one workspace full of files would blind the others. The
 * poll costs CPU per file instead (~30 ms per 1,000 files a look) and only
 * while a workspace is active.
 */
export class WorkspaceSync {
  private readonly timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;
  /** Per workspace: the fingerprint last synced, the one last seen, and since when it has differed from the synced one. */
  private readonly seen = new Map<string, { synced?: string; last?: string; dirtySince?: number }>();

  constructor(private readonly deps: Deps, private readonly intervalMs: number, private readonly maxDelayMs = 2 * intervalMs) {
    if (intervalMs > 0) {
      this.timer = setInterval(() => { void this.tick(); }, intervalMs);
      this.timer.unref();
    }
  }

  /** One look at every active workspace; a look still running makes this one a no-op. */
  tick(options: { flush?: boolean } = {}): Promise<void> {
    if (this.running) return this.running;
    this.running = this.pass(options.flush ?? false).finally(() => { this.running = undefined; });
    return this.running;
  }

  private async pass(flush: boolean): Promise<void> {
    const { activity } = this.deps.storage;
    for (const ws of activity.active((id) => this.deps.workspaces.status(id) !== 'stopped')) {
      if (this.stopped && !flush) return;
      const key = `${ws.tenantId}/${ws.sessionId}`;
      try {
        await this.look(key, ws.tenantId, ws.sessionId, flush || ws.fading);
      } catch (err) {
        this.deps.log.warn({ err, tenantId: ws.tenantId, sessionId: ws.sessionId }, 'workspace sync failed');
      }
      if (ws.fading) this.seen.delete(key);
    }
  }

  private async look(key: string, tenantId: string, sessionId: string, now: boolean): Promise<void> {
    const root = await openRoot(workspaceDir(this.deps.config.dataDir, tenantId, sessionId)).catch(() => undefined);
    if (!root) {
      this.seen.delete(key); // deleted, or not on this node
      return;
    }
    let print: string;
    try { print = await treeFingerprint(root); } finally { await root.close(); }
    const state = this.seen.get(key) ?? {};
    this.seen.set(key, state);
    const settled = state.last === print;
    state.last = print;
    if (state.synced === print) {
      state.dirtySince = undefined;
      return;
    }
    const t = Date.now();
    state.dirtySince ??= t;
    if (!now && !settled && t - state.dirtySince < this.maxDelayMs) return;
    // A session deleted meanwhile gets no sync point (its folder goes with it).
    if (!await this.deps.store.tenant(tenantId, (tx) => findWorkspaceSession(tx, tenantId, sessionId))) return;
    const row = await snapshotWorkspace(this.deps, tenantId, sessionId, { reason: 'sync', skipIfUnchanged: true });
    // What was synced is at least what was fingerprinted: a change during the scan shows as a new print next time.
    state.synced = print;
    state.dirtySince = undefined;
    if (row) this.deps.metrics.recordWorkspaceSync(Number(row.new_bytes));
  }

  /** Stops the timer and syncs every active workspace one last time (a graceful shutdown loses nothing). */
  async close(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    await this.running;
    if (this.intervalMs > 0) await this.tick({ flush: true });
  }
}
