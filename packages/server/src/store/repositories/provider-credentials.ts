import type { Tx } from '../database.js';
import type { ProviderCredentialsTable } from '../llm-schema.js';

export type ProviderCredentialRow = ProviderCredentialsTable;

export async function listProviderCredentials(tx: Tx, tenantId: string): Promise<ProviderCredentialRow[]> {
  return tx.selectFrom('provider_credentials').selectAll().where('tenant_id', '=', tenantId).execute();
}

export async function findProviderCredential(tx: Tx, tenantId: string, provider: string): Promise<ProviderCredentialRow | undefined> {
  return tx.selectFrom('provider_credentials').selectAll()
    .where('tenant_id', '=', tenantId).where('provider', '=', provider).executeTakeFirst();
}

/** Insert or replace the tenant's row for one provider. */
export async function upsertProviderCredential(tx: Tx, row: ProviderCredentialRow): Promise<void> {
  const { tenant_id: _t, provider: _p, created_at: _c, ...changes } = row;
  await tx.insertInto('provider_credentials').values(row)
    .onConflict((oc) => oc.columns(['tenant_id', 'provider']).doUpdateSet(changes)).execute();
}

export async function deleteProviderCredential(tx: Tx, tenantId: string, provider: string): Promise<boolean> {
  const r = await tx.deleteFrom('provider_credentials')
    .where('tenant_id', '=', tenantId).where('provider', '=', provider).executeTakeFirst();
  return r.numDeletedRows > 0n;
}

/** Records the outcome of the last call (error text is provider-named and key-free). */
export async function markProviderUsed(
  tx: Tx, tenantId: string, provider: string, at: string, lastError: string | null,
): Promise<void> {
  await tx.updateTable('provider_credentials')
    .set({ last_used_at: at, last_error: lastError, last_checked_at: at, ...(lastError === null ? { last_verified_at: at } : {}) })
    .where('tenant_id', '=', tenantId).where('provider', '=', provider).execute();
}

/** Records a connection test's outcome on the tenant's row (a provider without a row keeps none). */
export async function markProviderChecked(
  tx: Tx, tenantId: string, provider: string, at: string, lastError: string | null,
): Promise<void> {
  await tx.updateTable('provider_credentials')
    .set({ last_error: lastError, last_checked_at: at, ...(lastError === null ? { last_verified_at: at } : {}) })
    .where('tenant_id', '=', tenantId).where('provider', '=', provider).execute();
}
