import type { Kysely, Migration } from 'kysely';
import type { ColumnTypes } from './column-types.js';

/** Rate-limit windows shared by all nodes (not tenant data: keys are IPs and emails). */
export const rateLimits = (t: ColumnTypes): Migration => ({
  async up(db: Kysely<any>) {
    await db.schema
      .createTable('rate_limits')
      .addColumn('key', 'text', (c) => c.primaryKey())
      .addColumn('count', 'integer', (c) => c.notNull())
      .addColumn('reset_at', t.timestamp, (c) => c.notNull())
      .execute();
    await db.schema.createIndex('rate_limits_reset_idx').on('rate_limits').column('reset_at').execute();
  },
});
