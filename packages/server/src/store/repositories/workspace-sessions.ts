import type { Tx } from '../database.js';
import type { WorkspaceSessionsTable } from '../schema.js';

export type WorkspaceSessionRow = WorkspaceSessionsTable;

export async function insertWorkspaceSession(tx: Tx, row: WorkspaceSessionRow): Promise<void> {
  await tx.insertInto('workspace_sessions').values(row).execute();
}

export async function findWorkspaceSession(tx: Tx, tenantId: string, id: string): Promise<WorkspaceSessionRow | undefined> {
  return tx.selectFrom('workspace_sessions').selectAll()
    .where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirst();
}

/** Position after which a page starts: the last row of the previous page. */
export interface SessionCursor { createdAt: string; id: string }

/** Newest first; ties on created_at broken by id so pages never skip or repeat rows. */
export async function listWorkspaceSessions(
  tx: Tx, tenantId: string, limit: number, after?: SessionCursor,
): Promise<WorkspaceSessionRow[]> {
  let q = tx.selectFrom('workspace_sessions').selectAll().where('tenant_id', '=', tenantId);
  if (after) {
    q = q.where((eb) => eb.or([
      eb('created_at', '<', after.createdAt),
      eb.and([eb('created_at', '=', after.createdAt), eb('id', '<', after.id)]),
    ]));
  }
  return q.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(limit).execute();
}

export type WorkspaceSessionChanges = Partial<Pick<WorkspaceSessionRow, 'name' | 'active_files' | 'state' | 'updated_at' | 'last_opened_at'>>;

export async function updateWorkspaceSession(
  tx: Tx, tenantId: string, id: string, changes: WorkspaceSessionChanges,
): Promise<boolean> {
  const r = await tx.updateTable('workspace_sessions').set(changes)
    .where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirst();
  return r.numUpdatedRows > 0n;
}

export async function deleteWorkspaceSession(tx: Tx, tenantId: string, id: string): Promise<boolean> {
  const r = await tx.deleteFrom('workspace_sessions').where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirst();
  return r.numDeletedRows > 0n;
}
