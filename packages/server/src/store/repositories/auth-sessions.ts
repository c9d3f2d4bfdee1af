import type { Tx } from '../database.js';
import type { AuthSessionsTable, RefreshTokensTable } from '../schema.js';

export type AuthSessionRow = AuthSessionsTable;

export async function insertAuthSession(tx: Tx, row: AuthSessionRow): Promise<void> {
  await tx.insertInto('auth_sessions').values(row).execute();
}

export async function findAuthSession(tx: Tx, tenantId: string, id: string): Promise<AuthSessionRow | undefined> {
  return tx.selectFrom('auth_sessions').selectAll().where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirst();
}

export async function touchAuthSession(tx: Tx, tenantId: string, id: string, at: string): Promise<void> {
  await tx.updateTable('auth_sessions').set({ last_used_at: at })
    .where('tenant_id', '=', tenantId).where('id', '=', id).execute();
}

export async function listActiveAuthSessions(tx: Tx, tenantId: string, userId: string, now: string): Promise<AuthSessionRow[]> {
  return tx.selectFrom('auth_sessions').selectAll()
    .where('tenant_id', '=', tenantId).where('user_id', '=', userId)
    .where('is_active', '=', 1).where('expires_at', '>', now)
    .orderBy('last_used_at', 'desc').execute();
}

/** Revokes one session; returns whether an active session of that user was revoked. */
export async function revokeAuthSession(
  tx: Tx, tenantId: string, userId: string, id: string, at: string, reason: string,
): Promise<boolean> {
  const result = await tx.updateTable('auth_sessions').set({ is_active: 0, revoked_at: at, revoked_reason: reason })
    .where('tenant_id', '=', tenantId).where('user_id', '=', userId).where('id', '=', id).where('is_active', '=', 1)
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

/** Revokes every active session of a user, optionally sparing one. */
export async function revokeUserAuthSessions(
  tx: Tx, tenantId: string, userId: string, at: string, reason: string, exceptId?: string,
): Promise<void> {
  let q = tx.updateTable('auth_sessions').set({ is_active: 0, revoked_at: at, revoked_reason: reason })
    .where('tenant_id', '=', tenantId).where('user_id', '=', userId).where('is_active', '=', 1);
  if (exceptId) q = q.where('id', '!=', exceptId);
  await q.execute();
}

export type RefreshTokenRow = RefreshTokensTable;

export async function insertRefreshToken(tx: Tx, row: RefreshTokenRow): Promise<void> {
  await tx.insertInto('refresh_tokens').values(row).execute();
}

export async function findRefreshToken(tx: Tx, tenantId: string, tokenHash: string): Promise<RefreshTokenRow | undefined> {
  return tx.selectFrom('refresh_tokens').selectAll()
    .where('tenant_id', '=', tenantId).where('token_hash', '=', tokenHash).executeTakeFirst();
}

/** Marks a refresh token used; false when it was already used (by a concurrent refresh or a replay). */
export async function consumeRefreshToken(tx: Tx, tenantId: string, tokenHash: string, at: string): Promise<boolean> {
  const result = await tx.updateTable('refresh_tokens').set({ used_at: at })
    .where('tenant_id', '=', tenantId).where('token_hash', '=', tokenHash).where('used_at', 'is', null)
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}
