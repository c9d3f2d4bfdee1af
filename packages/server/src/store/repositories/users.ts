import type { Tx } from '../database.js';
import type { UsersTable } from '../schema.js';

export type UserRow = UsersTable;

export async function insertUser(tx: Tx, row: UserRow): Promise<void> {
  await tx.insertInto('users').values(row).execute();
}

/** Cross-tenant: sign-in happens before the tenant is known. Use inside `Store.system`. */
export async function findUserByEmail(tx: Tx, email: string): Promise<UserRow | undefined> {
  return tx.selectFrom('users').selectAll().where('email', '=', email).executeTakeFirst();
}

export async function findUser(tx: Tx, tenantId: string, userId: string): Promise<UserRow | undefined> {
  return tx.selectFrom('users').selectAll().where('tenant_id', '=', tenantId).where('id', '=', userId).executeTakeFirst();
}

export type UserChanges = Partial<Omit<UserRow, 'tenant_id' | 'id' | 'email' | 'created_at'>>;

export async function updateUser(tx: Tx, tenantId: string, userId: string, changes: UserChanges): Promise<void> {
  await tx.updateTable('users').set(changes).where('tenant_id', '=', tenantId).where('id', '=', userId).execute();
}
