import type { CreateSnapshotRequest, RestoreResult, Snapshot, SnapshotList, StorageUsage } from '@coditect/contract';
import type { Deps } from '../deps.js';
import { AppError } from '../http/app-error.js';
import type { AuthContext } from '../http/authenticate.js';
import { openWorkspace } from '../files/workspace-access.js';
import { presentSnapshot } from '../presenters/snapshot.js';
import { listSnapshots, tenantUsage } from '../store/repositories/workspace-storage.js';
import { getSnapshot, restoreWorkspace, snapshotWorkspace } from './snapshots.js';

/** The snapshot endpoints: every one first opens the session's workspace (404 across tenants). */

export async function createSnapshot(deps: Deps, auth: AuthContext, sessionId: string, input: CreateSnapshotRequest): Promise<Snapshot> {
  await openWorkspace(deps, auth, sessionId);
  const row = await snapshotWorkspace(deps, auth.tenantId, sessionId, { reason: 'manual', label: input.label ?? null });
  return presentSnapshot(row!);
}

export async function listSessionSnapshots(deps: Deps, auth: AuthContext, sessionId: string): Promise<SnapshotList> {
  await openWorkspace(deps, auth, sessionId);
  const rows = await deps.store.tenant(auth.tenantId, (tx) => listSnapshots(tx, auth.tenantId, sessionId));
  return { items: rows.map(presentSnapshot) };
}

export async function restoreSnapshot(deps: Deps, auth: AuthContext, sessionId: string, snapshotId: string): Promise<RestoreResult> {
  await openWorkspace(deps, auth, sessionId);
  const snapshot = await getSnapshot(deps, auth.tenantId, snapshotId);
  if (snapshot.session_id !== sessionId) throw new AppError('not_found', 'Snapshot not found');
  const result = await restoreWorkspace(deps, auth.tenantId, sessionId, snapshot);
  return { snapshot: presentSnapshot(snapshot), ...result };
}

export async function getStorageUsage(deps: Deps, auth: AuthContext): Promise<StorageUsage> {
  const used = await deps.store.tenant(auth.tenantId, (tx) => tenantUsage(tx, auth.tenantId));
  return { usedBytes: used, quotaBytes: deps.config.storage.quotaBytes, maxFileBytes: deps.config.storage.maxFileBytes };
}
