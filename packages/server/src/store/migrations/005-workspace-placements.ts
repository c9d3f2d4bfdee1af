import { sql, type Kysely, type Migration } from 'kysely';
import type { ColumnTypes } from './column-types.js';

/**
 * Which node runs a session's IDE. A node renews its rows while alive; a row
 * past `expires_at` belongs to a dead node and may be taken over.
 */
export const workspacePlacements = (t: ColumnTypes): Migration => ({
  async up(db: Kysely<any>) {
    await db.schema
      .createTable('workspace_placements')
      .addColumn('tenant_id', 'text', (c) => c.notNull())
      .addColumn('session_id', 'text', (c) => c.notNull())
      .addColumn('node_id', 'text', (c) => c.notNull())
      .addColumn('node_url', 'text', (c) => c.notNull())
      .addColumn('expires_at', t.timestamp, (c) => c.notNull())
      .addPrimaryKeyConstraint('workspace_placements_pk', ['tenant_id', 'session_id'])
      .execute();
    await db.schema.createIndex('workspace_placements_node_idx').on('workspace_placements').column('node_id').execute();
    if (t.dialect === 'postgres') {
      await sql`alter table workspace_placements enable row level security`.execute(db);
      await sql`alter table workspace_placements force row level security`.execute(db);
      await sql`create policy tenant_isolation on workspace_placements
        using (tenant_id = current_setting('app.tenant_id', true) or current_setting('app.rls_bypass', true) = 'on')
        with check (tenant_id = current_setting('app.tenant_id', true) or current_setting('app.rls_bypass', true) = 'on')`.execute(db);
    }
  },
});
