import { randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Deps } from '../deps.js';
import { AppError } from '../http/app-error.js';
import {
  addUsage, findHeldBlobs, findSnapshot, insertBlobs, insertSnapshot, latestRestorePoint, latestSnapshot, pruneSyncPoints,
  sessionUsage, setSessionUsage,
  type SnapshotRow,
} from '../store/repositories/workspace-storage.js';
import { removeTree } from '../files/beneath/remove.js';
import { openRoot } from '../files/beneath/resolve.js';
import { workspaceDir } from '../workspaces/workspace-paths.js';
import { applyManifest } from './apply-manifest.js';
import { blobKey } from './blob-store.js';
import { encodeManifest, loadManifest, type Manifest, type ManifestEntry } from './manifest.js';
import { forEachLimit, scanWorkspace } from './workspace-scan.js';

/** Snapshots: a workspace as a manifest of per-tenant, content-addressed blobs. */

export type SnapshotReasonValue = SnapshotRow['reason'];

/** The lock every whole-workspace operation of one session takes (snapshot, restore, re-creation). */
export const workspaceLockKey = (tenantId: string, sessionId: string) => `workspace:${tenantId}/${sessionId}`;

const stagingFor = (deps: Deps) => path.join(deps.storage.stagingDir, randomUUID());

async function previousEntries(deps: Deps, tenantId: string, row: SnapshotRow | undefined): Promise<Map<string, ManifestEntry>> {
  if (!row) return new Map();
  const m = await loadManifest(deps.storage.blobs, tenantId, row.manifest_hash).catch(() => undefined);
  return new Map((m?.entries ?? []).map((e) => [e.path, e]));
}

/**
 * Snapshots one workspace directory. Unchanged files are recognised from the
 * previous manifest without being read; content the tenant already holds is
 * not stored again (the lookup is in the tenant's own `blobs` rows, so it
 * says nothing about other tenants). With `skipIfUnchanged`, a snapshot
 * identical to the latest one of its sort (a sync point: any snapshot; a
 * restore point: the latest listed one) is not recorded and `undefined` is
 * returned. A new sync point replaces the session's previous one. The row's
 * time is when the scan began: the content is at least that recent.
 */
export async function snapshotWorkspace(
  deps: Deps, tenantId: string, sessionId: string,
  options: { reason: SnapshotReasonValue; label?: string | null; skipIfUnchanged?: boolean },
): Promise<SnapshotRow | undefined> {
  const dir = workspaceDir(deps.config.dataDir, tenantId, sessionId);
  return deps.storage.locks.run(workspaceLockKey(tenantId, sessionId), async () => {
    const root = await openRoot(dir); // 404 when the workspace has no files on this node
    const staging = stagingFor(deps);
    try {
      const startedAt = deps.now().toISOString();
      const [prev, prevPoint] = await deps.store.tenant(tenantId, async (tx) => [
        await latestSnapshot(tx, tenantId, sessionId),
        options.reason === 'sync' ? undefined : await latestRestorePoint(tx, tenantId, sessionId),
      ] as const);
      // The newest manifest of any kind knows the most files unchanged; sameness is judged within the kind.
      const scan = await scanWorkspace(root, await previousEntries(deps, tenantId, prev), staging);
      const manifest = encodeManifest({ version: 1, entries: scan.entries });
      const same = options.reason === 'sync' ? prev : prevPoint;
      if (options.skipIfUnchanged && same?.manifest_hash === manifest.hash) return undefined;

      const candidates = [...scan.staged.keys(), manifest.hash];
      const held = await deps.store.tenant(tenantId, (tx) => findHeldBlobs(tx, tenantId, candidates));
      const added: { hash: string; size: number }[] = [];
      await forEachLimit([...scan.staged.values()].filter((b) => !held.has(b.hash)), 8, async (b) => {
        await deps.storage.blobs.moveFile(blobKey(tenantId, b.hash), b.file, b.size);
        added.push({ hash: b.hash, size: b.size });
      });
      if (!held.has(manifest.hash)) {
        await deps.storage.blobs.putBuffer(blobKey(tenantId, manifest.hash), manifest.data);
        added.push({ hash: manifest.hash, size: manifest.data.length });
      }
      const at = deps.now().toISOString();
      const row: SnapshotRow = {
        tenant_id: tenantId, id: randomUUID(), session_id: sessionId, manifest_hash: manifest.hash,
        file_count: scan.entries.filter((e) => e.type === 'file').length, total_bytes: scan.totalBytes,
        new_bytes: added.reduce((s, b) => s + b.size, 0), reason: options.reason, label: options.label ?? null,
        created_at: startedAt,
      };
      // Blobs are stored before the rows that reference them: a crash leaves unreferenced blobs, never a dangling row.
      await deps.store.tenant(tenantId, async (tx) => {
        await insertBlobs(tx, tenantId, added, at);
        await insertSnapshot(tx, row);
        if (row.reason === 'sync') await pruneSyncPoints(tx, tenantId, sessionId, row.id);
        // A scan is the moment of truth for quota: files written by the IDE count from here on.
        await setSessionUsage(tx, tenantId, sessionId, scan.totalBytes);
      });
      return row;
    } finally {
      await root.close();
      await fs.rm(staging, { recursive: true, force: true });
    }
  });
}

/** The manifest's file bytes. */
const totalOf = (m: Manifest) => m.entries.reduce((s, e) => s + (e.type === 'file' ? e.size ?? 0 : 0), 0);

/**
 * Restores a session's workspace in place to `snapshot` (which may belong to
 * any session of the tenant). Quota is checked first: a restore that would
 * not fit changes nothing.
 */
export async function restoreWorkspace(
  deps: Deps, tenantId: string, sessionId: string, snapshot: SnapshotRow,
): Promise<{ written: number; removed: number }> {
  const dir = workspaceDir(deps.config.dataDir, tenantId, sessionId);
  return deps.storage.locks.run(workspaceLockKey(tenantId, sessionId), async () => {
    const manifest = await loadManifest(deps.storage.blobs, tenantId, snapshot.manifest_hash);
    const total = totalOf(manifest);
    await chargeFor(deps, tenantId, sessionId, total);
    await fs.mkdir(dir, { recursive: true });
    const staging = stagingFor(deps);
    try {
      return await applyManifest(deps.storage.blobs, tenantId, dir, manifest, staging);
    } finally {
      await fs.rm(staging, { recursive: true, force: true });
    }
  });
}

/** Sets the session's usage to `total` if the tenant's quota allows the growth; 413 otherwise. */
async function chargeFor(deps: Deps, tenantId: string, sessionId: string, total: number): Promise<void> {
  const ok = await deps.store.tenant(tenantId, async (tx) => {
    const before = await sessionUsage(tx, tenantId, sessionId);
    return addUsage(tx, tenantId, sessionId, total - before, deps.config.storage.quotaBytes);
  });
  if (!ok) throw new AppError('quota_exceeded', 'Storage quota exceeded: the snapshot does not fit');
}

/**
 * Builds a workspace directory from a snapshot where none exists: into a
 * staging folder first, renamed into place when complete, so a crash never
 * leaves a half-restored workspace that looks whole.
 */
export async function materializeWorkspace(
  deps: Deps, tenantId: string, sessionId: string, snapshot: SnapshotRow, options: { chargeQuota: boolean },
): Promise<void> {
  const dir = workspaceDir(deps.config.dataDir, tenantId, sessionId);
  const manifest = await loadManifest(deps.storage.blobs, tenantId, snapshot.manifest_hash);
  if (options.chargeQuota) await chargeFor(deps, tenantId, sessionId, totalOf(manifest));
  else await deps.store.tenant(tenantId, (tx) => setSessionUsage(tx, tenantId, sessionId, totalOf(manifest)));
  const building = `${dir}.restoring-${randomUUID()}`;
  const staging = stagingFor(deps);
  try {
    await fs.mkdir(building, { recursive: true, mode: 0o755 });
    await applyManifest(deps.storage.blobs, tenantId, building, manifest, staging);
    await fs.rename(building, dir);
  } catch (err) {
    await removeTree(building);
    if (options.chargeQuota) await deps.store.tenant(tenantId, (tx) => setSessionUsage(tx, tenantId, sessionId, 0));
    throw err;
  } finally {
    await fs.rm(staging, { recursive: true, force: true });
  }
}

/** A tenant's snapshot by id (404 for another tenant's or an unknown id). */
export async function getSnapshot(deps: Deps, tenantId: string, snapshotId: string): Promise<SnapshotRow> {
  const row = await deps.store.tenant(tenantId, (tx) => findSnapshot(tx, tenantId, snapshotId));
  if (!row) throw new AppError('not_found', 'Snapshot not found');
  return row;
}
