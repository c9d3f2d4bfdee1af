import type { Tx } from '../database.js';

/**
 * Marks ticket `jti` redeemed; false when it already was (on any node). Drops
 * the tenant's rows of tickets that have expired anyway.
 */
export async function redeemTicketOnce(tx: Tx, tenantId: string, jti: string, expiresAt: string, now: string): Promise<boolean> {
  await tx.deleteFrom('workspace_ticket_uses').where('tenant_id', '=', tenantId).where('expires_at', '<', now).execute();
  const result = await tx.insertInto('workspace_ticket_uses').values({ tenant_id: tenantId, jti, expires_at: expiresAt })
    .onConflict((oc) => oc.columns(['tenant_id', 'jti']).doNothing()).executeTakeFirst();
  return Number(result.numInsertedOrUpdatedRows ?? 0n) === 1;
}
