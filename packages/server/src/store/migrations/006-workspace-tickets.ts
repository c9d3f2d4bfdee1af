import type { Kysely, Migration } from 'kysely';
import type { ColumnTypes } from './column-types.js';
import { isolateTenants } from './row-level-security.js';

/**
 * Redeemed workspace tickets (their `jti`): a ticket opens a workspace origin
 * once, on whichever node it reaches. Rows are kept until the ticket would
 * have expired anyway.
 */
export const workspaceTickets = (t: ColumnTypes): Migration => ({
  async up(db: Kysely<any>) {
    await db.schema
      .createTable('workspace_ticket_uses')
      .addColumn('tenant_id', 'text', (c) => c.notNull())
      .addColumn('jti', 'text', (c) => c.notNull())
      .addColumn('expires_at', t.timestamp, (c) => c.notNull())
      .addPrimaryKeyConstraint('workspace_ticket_uses_pk', ['tenant_id', 'jti'])
      .execute();
    await db.schema.createIndex('workspace_ticket_uses_expiry_idx').on('workspace_ticket_uses')
      .columns(['tenant_id', 'expires_at']).execute();
    await isolateTenants(db, t, ['workspace_ticket_uses']);
  },
});
