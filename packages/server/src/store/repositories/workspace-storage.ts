import { sql } from 'kysely';
import type { Tx } from '../database.js';
import type { SnapshotsTable } from '../schema.js';

/** Blobs, snapshots and quota counters. Every function takes the tenant id. */

export type SnapshotRow = SnapshotsTable;

/** Which of `hashes` the tenant already holds (dedup is per tenant: no other tenant's blobs are visible). */
export async function findHeldBlobs(tx: Tx, tenantId: string, hashes: string[]): Promise<Set<string>> {
  const held = new Set<string>();
  for (let i = 0; i < hashes.length; i += 500) {
    const rows = await tx.selectFrom('blobs').select('hash')
      .where('tenant_id', '=', tenantId).where('hash', 'in', hashes.slice(i, i + 500)).execute();
    for (const r of rows) held.add(r.hash);
  }
  return held;
}

export async function insertBlobs(tx: Tx, tenantId: string, blobs: { hash: string; size: number }[], at: string): Promise<void> {
  for (let i = 0; i < blobs.length; i += 200) {
    await tx.insertInto('blobs')
      .values(blobs.slice(i, i + 200).map((b) => ({ tenant_id: tenantId, hash: b.hash, size: b.size, created_at: at })))
      .onConflict((oc) => oc.columns(['tenant_id', 'hash']).doNothing())
      .execute();
  }
}

export async function insertSnapshot(tx: Tx, row: SnapshotRow): Promise<void> {
  await tx.insertInto('snapshots').values(row).execute();
}

export async function findSnapshot(tx: Tx, tenantId: string, id: string): Promise<SnapshotRow | undefined> {
  return tx.selectFrom('snapshots').selectAll().where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirst();
}

/** A session's snapshots, newest first; its sync point is not one of them (it is a recovery point, not a restore point). */
export async function listSnapshots(tx: Tx, tenantId: string, sessionId: string, limit = 200): Promise<SnapshotRow[]> {
  return tx.selectFrom('snapshots').selectAll().where('tenant_id', '=', tenantId).where('session_id', '=', sessionId)
    .where('reason', '!=', 'sync').orderBy('created_at', 'desc').orderBy('id', 'desc').limit(limit).execute();
}

/** The newest snapshot of any kind, sync point included: what a lost workspace comes back from. */
export async function latestSnapshot(tx: Tx, tenantId: string, sessionId: string): Promise<SnapshotRow | undefined> {
  return tx.selectFrom('snapshots').selectAll().where('tenant_id', '=', tenantId).where('session_id', '=', sessionId)
    .orderBy('created_at', 'desc').orderBy('id', 'desc').limit(1).executeTakeFirst();
}

/** The newest listed snapshot (a restore point: manual, auto or stop). */
export async function latestRestorePoint(tx: Tx, tenantId: string, sessionId: string): Promise<SnapshotRow | undefined> {
  return (await listSnapshots(tx, tenantId, sessionId, 1))[0];
}

/** Drops a session's sync points other than `keepId` (only the latest one is worth keeping; its blobs stay). */
export async function pruneSyncPoints(tx: Tx, tenantId: string, sessionId: string, keepId: string): Promise<void> {
  await tx.deleteFrom('snapshots').where('tenant_id', '=', tenantId).where('session_id', '=', sessionId)
    .where('reason', '=', 'sync').where('id', '!=', keepId).execute();
}

export async function tenantUsage(tx: Tx, tenantId: string): Promise<number> {
  const row = await tx.selectFrom('tenant_usage').select('used_bytes').where('tenant_id', '=', tenantId).executeTakeFirst();
  return Number(row?.used_bytes ?? 0);
}

export async function sessionUsage(tx: Tx, tenantId: string, sessionId: string): Promise<number> {
  const row = await tx.selectFrom('workspace_usage').select('used_bytes')
    .where('tenant_id', '=', tenantId).where('session_id', '=', sessionId).executeTakeFirst();
  return Number(row?.used_bytes ?? 0);
}

/**
 * Adds `delta` bytes to the session's and the tenant's usage — unless that
 * takes the tenant past `quota` (a growth only; shrinking always succeeds).
 * One conditional UPDATE decides, so concurrent writers cannot both squeeze in.
 */
export async function addUsage(tx: Tx, tenantId: string, sessionId: string, delta: number, quota: number): Promise<boolean> {
  await tx.insertInto('tenant_usage').values({ tenant_id: tenantId, used_bytes: 0 })
    .onConflict((oc) => oc.column('tenant_id').doNothing()).execute();
  let q = tx.updateTable('tenant_usage')
    .set({ used_bytes: sql`case when used_bytes + ${delta} < 0 then 0 else used_bytes + ${delta} end` })
    .where('tenant_id', '=', tenantId);
  if (delta > 0) q = q.where(sql<boolean>`used_bytes + ${delta} <= ${quota}`);
  const r = await q.executeTakeFirst();
  if (r.numUpdatedRows === 0n) return false;
  await tx.insertInto('workspace_usage').values({ tenant_id: tenantId, session_id: sessionId, used_bytes: 0 })
    .onConflict((oc) => oc.columns(['tenant_id', 'session_id']).doNothing()).execute();
  await tx.updateTable('workspace_usage')
    .set({ used_bytes: sql`case when used_bytes + ${delta} < 0 then 0 else used_bytes + ${delta} end` })
    .where('tenant_id', '=', tenantId).where('session_id', '=', sessionId).execute();
  return true;
}

/** Sets the session's usage to a measured value (after a scan), moving the tenant total by the difference. */
export async function setSessionUsage(tx: Tx, tenantId: string, sessionId: string, bytes: number): Promise<void> {
  const before = await sessionUsage(tx, tenantId, sessionId);
  await addUsage(tx, tenantId, sessionId, bytes - before, Number.MAX_SAFE_INTEGER);
}

/** The usage row of a session's HOME (kept apart from its workspace row, which snapshots also set). */
export const homeUsageKey = (sessionId: string) => `${sessionId}#home`;

/** Records what a running workspace occupies on disk (workspace folder and HOME). */
export async function recordRunningUsage(tx: Tx, tenantId: string, sessionId: string, bytes: { workspace: number; home: number }): Promise<void> {
  await setSessionUsage(tx, tenantId, sessionId, bytes.workspace);
  await setSessionUsage(tx, tenantId, homeUsageKey(sessionId), bytes.home);
}

/** Bytes of a session: its workspace row plus its HOME row. */
export async function sessionDiskUsage(tx: Tx, tenantId: string, sessionId: string): Promise<number> {
  return (await sessionUsage(tx, tenantId, sessionId)) + (await sessionUsage(tx, tenantId, homeUsageKey(sessionId)));
}

/** Gives back a deleted session's bytes (workspace and HOME) to its tenant. */
export async function clearSessionUsage(tx: Tx, tenantId: string, sessionId: string): Promise<void> {
  await setSessionUsage(tx, tenantId, sessionId, 0);
  await setSessionUsage(tx, tenantId, homeUsageKey(sessionId), 0);
}
