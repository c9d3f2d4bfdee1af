import type { Tx } from '../database.js';
import type { ApiTokensTable } from '../llm-schema.js';

export type ApiTokenRow = ApiTokensTable;

export async function insertApiToken(tx: Tx, row: ApiTokenRow): Promise<void> {
  await tx.insertInto('api_tokens').values(row).execute();
}

/** Cross-tenant lookup by hash: run inside `Store.system()`. */
export async function findApiTokenByHash(tx: Tx, tokenHash: string): Promise<ApiTokenRow | undefined> {
  return tx.selectFrom('api_tokens').selectAll().where('token_hash', '=', tokenHash).executeTakeFirst();
}

export async function listApiTokens(tx: Tx, tenantId: string, userId: string): Promise<ApiTokenRow[]> {
  return tx.selectFrom('api_tokens').selectAll()
    .where('tenant_id', '=', tenantId).where('user_id', '=', userId).where('revoked_at', 'is', null)
    .orderBy('created_at', 'desc').execute();
}

export async function revokeApiToken(tx: Tx, tenantId: string, userId: string, id: string, at: string): Promise<boolean> {
  const r = await tx.updateTable('api_tokens').set({ revoked_at: at })
    .where('tenant_id', '=', tenantId).where('user_id', '=', userId).where('id', '=', id).where('revoked_at', 'is', null)
    .executeTakeFirst();
  return r.numUpdatedRows > 0n;
}

export async function touchApiToken(tx: Tx, tenantId: string, id: string, at: string): Promise<void> {
  await tx.updateTable('api_tokens').set({ last_used_at: at }).where('tenant_id', '=', tenantId).where('id', '=', id).execute();
}
