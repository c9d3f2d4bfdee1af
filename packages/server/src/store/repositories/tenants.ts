import type { Tx } from '../database.js';
import type { TenantsTable } from '../schema.js';

export type TenantRow = TenantsTable;

export async function insertTenant(tx: Tx, row: TenantRow): Promise<void> {
  await tx.insertInto('tenants').values(row).execute();
}

export async function findTenant(tx: Tx, tenantId: string): Promise<TenantRow | undefined> {
  return tx.selectFrom('tenants').selectAll().where('id', '=', tenantId).executeTakeFirst();
}
