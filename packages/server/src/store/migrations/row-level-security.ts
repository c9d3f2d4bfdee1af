import { sql, type Kysely } from 'kysely';
import type { ColumnTypes } from './column-types.js';

/**
 * Defence in depth on PostgreSQL (a no-op on SQLite): a tenant-owned row is
 * visible only when the transaction's `app.tenant_id` matches, or when
 * `app.rls_bypass` is on (the few system lookups that precede knowing the
 * tenant: sign-in by email, token lookup by hash, backups). FORCE applies the
 * policy to the table owner too, so the app role cannot skip it.
 */
export async function isolateTenants(db: Kysely<any>, t: ColumnTypes, tables: string[]): Promise<void> {
  if (t.dialect !== 'postgres') return;
  for (const table of tables) {
    await sql`alter table ${sql.table(table)} enable row level security`.execute(db);
    await sql`alter table ${sql.table(table)} force row level security`.execute(db);
    await sql`create policy tenant_isolation on ${sql.table(table)}
      using (tenant_id = current_setting('app.tenant_id', true) or current_setting('app.rls_bypass', true) = 'on')
      with check (tenant_id = current_setting('app.tenant_id', true) or current_setting('app.rls_bypass', true) = 'on')`.execute(db);
  }
}
