import fs from 'node:fs/promises';
import type { Deps } from '../deps.js';
import { latestSnapshot } from '../store/repositories/workspace-storage.js';
import { workspaceDir } from '../workspaces/workspace-paths.js';
import { materializeWorkspace, workspaceLockKey } from './snapshots.js';

const isDir = (p: string) => fs.stat(p).then((s) => s.isDirectory(), () => false);

/**
 * Makes sure a session's workspace directory exists on this node and returns
 * it. A directory that is gone (its node or volume was lost) is rebuilt from
 * the session's latest snapshot or sync point (`restoredFrom` says which and
 * its time); a session without snapshots gets an empty
 * one. The files API calls this on every request; the IDE runner calls it
 * before starting a session's IDE. The caller has checked the session belongs
 * to the tenant.
 */
export async function ensureWorkspaceDir(
  deps: Deps, tenantId: string, sessionId: string,
): Promise<{ dir: string; restoredFrom: { snapshotId: string; at: string } | null }> {
  const dir = workspaceDir(deps.config.dataDir, tenantId, sessionId);
  if (await isDir(dir)) return { dir, restoredFrom: null };
  return deps.storage.locks.run(workspaceLockKey(tenantId, sessionId), async () => {
    if (await isDir(dir)) return { dir, restoredFrom: null };
    const snapshot = await deps.store.tenant(tenantId, (tx) => latestSnapshot(tx, tenantId, sessionId));
    if (!snapshot) {
      await fs.mkdir(dir, { recursive: true });
      return { dir, restoredFrom: null };
    }
    await materializeWorkspace(deps, tenantId, sessionId, snapshot, { chargeQuota: false });
    deps.log.info({ tenantId, sessionId, snapshotId: snapshot.id }, 'workspace restored from its latest snapshot');
    return { dir, restoredFrom: { snapshotId: snapshot.id, at: snapshot.created_at } };
  });
}
