import type { Kysely, Migration } from 'kysely';
import type { ColumnTypes } from './column-types.js';
import { isolateTenants } from './row-level-security.js';

/** Tenants, users, auth sessions, refresh tokens and workspace sessions. */
export const initial = (t: ColumnTypes): Migration => ({
  async up(db: Kysely<any>) {
    await db.schema
      .createTable('tenants')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('type', 'text', (c) => c.notNull())
      .addColumn('plan', 'text', (c) => c.notNull())
      .addColumn('created_at', t.timestamp, (c) => c.notNull())
      .execute();

    await db.schema
      .createTable('users')
      .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
      .addColumn('id', 'text', (c) => c.notNull())
      .addColumn('email', 'text', (c) => c.notNull())
      .addColumn('password_hash', 'text', (c) => c.notNull())
      .addColumn('first_name', 'text', (c) => c.notNull())
      .addColumn('last_name', 'text', (c) => c.notNull())
      .addColumn('company', 'text')
      .addColumn('phone', 'text')
      .addColumn('address_line1', 'text')
      .addColumn('address_line2', 'text')
      .addColumn('city', 'text')
      .addColumn('state', 'text')
      .addColumn('postal_code', 'text')
      .addColumn('country', 'text')
      .addColumn('metadata', t.json, (c) => c.notNull())
      .addColumn('roles', t.json, (c) => c.notNull())
      .addColumn('is_active', t.boolean, (c) => c.notNull())
      .addColumn('email_verified', t.boolean, (c) => c.notNull())
      .addColumn('created_at', t.timestamp, (c) => c.notNull())
      .addColumn('updated_at', t.timestamp, (c) => c.notNull())
      .addColumn('last_login_at', t.timestamp)
      .addPrimaryKeyConstraint('users_pk', ['tenant_id', 'id'])
      .execute();
    // The one global lookup: sign-in by email happens before the tenant is known.
    await db.schema.createIndex('users_email_unique').on('users').column('email').unique().execute();

    await db.schema
      .createTable('auth_sessions')
      .addColumn('tenant_id', 'text', (c) => c.notNull())
      .addColumn('id', 'text', (c) => c.notNull())
      .addColumn('user_id', 'text', (c) => c.notNull())
      .addColumn('is_active', t.boolean, (c) => c.notNull())
      .addColumn('ip', 'text')
      .addColumn('user_agent', 'text')
      .addColumn('created_at', t.timestamp, (c) => c.notNull())
      .addColumn('last_used_at', t.timestamp, (c) => c.notNull())
      .addColumn('expires_at', t.timestamp, (c) => c.notNull())
      .addColumn('revoked_at', t.timestamp)
      .addColumn('revoked_reason', 'text')
      .addPrimaryKeyConstraint('auth_sessions_pk', ['tenant_id', 'id'])
      .addForeignKeyConstraint('auth_sessions_user_fk', ['tenant_id', 'user_id'], 'users', ['tenant_id', 'id'],
        (c) => c.onDelete('cascade'))
      .execute();
    await db.schema.createIndex('auth_sessions_user_idx').on('auth_sessions').columns(['tenant_id', 'user_id']).execute();

    await db.schema
      .createTable('refresh_tokens')
      .addColumn('tenant_id', 'text', (c) => c.notNull())
      .addColumn('token_hash', 'text', (c) => c.notNull())
      .addColumn('session_id', 'text', (c) => c.notNull())
      .addColumn('created_at', t.timestamp, (c) => c.notNull())
      .addColumn('used_at', t.timestamp)
      .addPrimaryKeyConstraint('refresh_tokens_pk', ['tenant_id', 'token_hash'])
      .addForeignKeyConstraint('refresh_tokens_session_fk', ['tenant_id', 'session_id'], 'auth_sessions',
        ['tenant_id', 'id'], (c) => c.onDelete('cascade'))
      .execute();
    await db.schema.createIndex('refresh_tokens_session_idx').on('refresh_tokens').columns(['tenant_id', 'session_id']).execute();

    await db.schema
      .createTable('workspace_sessions')
      .addColumn('tenant_id', 'text', (c) => c.notNull())
      .addColumn('id', 'text', (c) => c.notNull())
      .addColumn('user_id', 'text', (c) => c.notNull())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('active_files', t.json, (c) => c.notNull())
      .addColumn('state', t.json, (c) => c.notNull())
      .addColumn('parent_session_id', 'text')
      .addColumn('created_at', t.timestamp, (c) => c.notNull())
      .addColumn('updated_at', t.timestamp, (c) => c.notNull())
      .addColumn('last_opened_at', t.timestamp)
      .addPrimaryKeyConstraint('workspace_sessions_pk', ['tenant_id', 'id'])
      .addForeignKeyConstraint('workspace_sessions_user_fk', ['tenant_id', 'user_id'], 'users', ['tenant_id', 'id'],
        (c) => c.onDelete('cascade'))
      .execute();
    await db.schema
      .createIndex('workspace_sessions_recent_idx')
      .on('workspace_sessions')
      .columns(['tenant_id', 'created_at', 'id'])
      .execute();

    await isolateTenants(db, t, ['users', 'auth_sessions', 'refresh_tokens', 'workspace_sessions']);
  },
});
