import type { Kysely, Migration } from 'kysely';
import type { ColumnTypes } from './column-types.js';
import { isolateTenants } from './row-level-security.js';

/**
 * Hybrid storage metadata: which blobs a tenant holds (dedup is per tenant),
 * workspace snapshots (a manifest blob per snapshot), and quota accounting.
 * File contents live in workspace directories and the blob store, never here.
 */
export const workspaceStorage = (t: ColumnTypes): Migration => ({
  async up(db: Kysely<any>) {
    await db.schema
      .createTable('blobs')
      .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
      .addColumn('hash', 'text', (c) => c.notNull())
      .addColumn('size', 'bigint', (c) => c.notNull())
      .addColumn('created_at', t.timestamp, (c) => c.notNull())
      .addPrimaryKeyConstraint('blobs_pk', ['tenant_id', 'hash'])
      .execute();

    await db.schema
      .createTable('snapshots')
      .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
      .addColumn('id', 'text', (c) => c.notNull())
      // No foreign key: a snapshot outlives its session (fromSnapshot, restore of a lost workspace).
      .addColumn('session_id', 'text', (c) => c.notNull())
      .addColumn('manifest_hash', 'text', (c) => c.notNull())
      .addColumn('file_count', 'integer', (c) => c.notNull())
      .addColumn('total_bytes', 'bigint', (c) => c.notNull())
      .addColumn('new_bytes', 'bigint', (c) => c.notNull())
      .addColumn('reason', 'text', (c) => c.notNull())
      .addColumn('label', 'text')
      .addColumn('created_at', t.timestamp, (c) => c.notNull())
      .addPrimaryKeyConstraint('snapshots_pk', ['tenant_id', 'id'])
      .execute();
    await db.schema.createIndex('snapshots_session_idx').on('snapshots')
      .columns(['tenant_id', 'session_id', 'created_at']).execute();

    // Bytes of workspace files per session; the tenant row is the quota counter
    // (one conditional UPDATE decides whether a write fits).
    await db.schema
      .createTable('workspace_usage')
      .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
      .addColumn('session_id', 'text', (c) => c.notNull())
      .addColumn('used_bytes', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('workspace_usage_pk', ['tenant_id', 'session_id'])
      .execute();
    await db.schema
      .createTable('tenant_usage')
      .addColumn('tenant_id', 'text', (c) => c.primaryKey().references('tenants.id').onDelete('cascade'))
      .addColumn('used_bytes', 'bigint', (c) => c.notNull())
      .execute();

    await isolateTenants(db, t, ['blobs', 'snapshots', 'workspace_usage', 'tenant_usage']);
  },
});
