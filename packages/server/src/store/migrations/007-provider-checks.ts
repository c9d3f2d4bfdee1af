import type { Kysely, Migration } from 'kysely';
import type { ColumnTypes } from './column-types.js';

/**
 * When a provider was last checked (a connection test or a real call) and when it last
 * answered: the Models page tells "untested" from "verified" from "failing" with these.
 */
export const providerChecks = (t: ColumnTypes): Migration => ({
  async up(db: Kysely<any>) {
    await db.schema.alterTable('provider_credentials').addColumn('last_checked_at', t.timestamp).execute();
    await db.schema.alterTable('provider_credentials').addColumn('last_verified_at', t.timestamp).execute();
  },
});
