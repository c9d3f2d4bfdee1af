import type { Kysely, Migration } from 'kysely';
import type { ColumnTypes } from './column-types.js';
import { isolateTenants } from './row-level-security.js';

/** LLM gateway: provider credentials, budgets, conversations, messages, usage, personal access tokens. */
export const llm = (t: ColumnTypes): Migration => ({
  async up(db: Kysely<any>) {
    const money = 'double precision';

    await db.schema
      .createTable('provider_credentials')
      .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
      .addColumn('provider', 'text', (c) => c.notNull())
      .addColumn('encrypted_key', 'text')
      .addColumn('key_hint', 'text')
      .addColumn('base_url', 'text')
      .addColumn('enabled', t.boolean, (c) => c.notNull())
      .addColumn('last_error', 'text')
      .addColumn('last_used_at', t.timestamp)
      .addColumn('created_at', t.timestamp, (c) => c.notNull())
      .addColumn('updated_at', t.timestamp, (c) => c.notNull())
      .addPrimaryKeyConstraint('provider_credentials_pk', ['tenant_id', 'provider'])
      .execute();

    await db.schema
      .createTable('llm_budgets')
      .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
      .addColumn('monthly_limit_usd', money)
      .addColumn('updated_at', t.timestamp, (c) => c.notNull())
      .addPrimaryKeyConstraint('llm_budgets_pk', ['tenant_id'])
      .execute();

    await db.schema
      .createTable('conversations')
      .addColumn('tenant_id', 'text', (c) => c.notNull())
      .addColumn('id', 'text', (c) => c.notNull())
      .addColumn('user_id', 'text', (c) => c.notNull())
      .addColumn('title', 'text', (c) => c.notNull())
      .addColumn('model', 'text', (c) => c.notNull())
      .addColumn('created_at', t.timestamp, (c) => c.notNull())
      .addColumn('updated_at', t.timestamp, (c) => c.notNull())
      .addPrimaryKeyConstraint('conversations_pk', ['tenant_id', 'id'])
      .addForeignKeyConstraint('conversations_user_fk', ['tenant_id', 'user_id'], 'users', ['tenant_id', 'id'],
        (c) => c.onDelete('cascade'))
      .execute();
    await db.schema.createIndex('conversations_recent_idx').on('conversations')
      .columns(['tenant_id', 'updated_at', 'id']).execute();

    await db.schema
      .createTable('messages')
      .addColumn('tenant_id', 'text', (c) => c.notNull())
      .addColumn('id', 'text', (c) => c.notNull())
      .addColumn('conversation_id', 'text', (c) => c.notNull())
      .addColumn('seq', 'integer', (c) => c.notNull())
      .addColumn('role', 'text', (c) => c.notNull())
      .addColumn('content', 'text', (c) => c.notNull())
      .addColumn('model', 'text')
      .addColumn('created_at', t.timestamp, (c) => c.notNull())
      .addPrimaryKeyConstraint('messages_pk', ['tenant_id', 'id'])
      .addForeignKeyConstraint('messages_conversation_fk', ['tenant_id', 'conversation_id'], 'conversations',
        ['tenant_id', 'id'], (c) => c.onDelete('cascade'))
      .execute();
    await db.schema.createIndex('messages_conversation_idx').on('messages')
      .columns(['tenant_id', 'conversation_id', 'seq']).unique().execute();

    await db.schema
      .createTable('llm_usage')
      .addColumn('tenant_id', 'text', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
      .addColumn('id', 'text', (c) => c.notNull())
      .addColumn('user_id', 'text', (c) => c.notNull())
      .addColumn('provider', 'text', (c) => c.notNull())
      .addColumn('model', 'text', (c) => c.notNull())
      .addColumn('endpoint', 'text', (c) => c.notNull())
      .addColumn('input_tokens', 'integer', (c) => c.notNull())
      .addColumn('output_tokens', 'integer', (c) => c.notNull())
      .addColumn('cost_usd', money, (c) => c.notNull())
      .addColumn('latency_ms', 'integer', (c) => c.notNull())
      .addColumn('ttft_ms', 'integer')
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('error_code', 'text')
      .addColumn('fallback_from', 'text')
      .addColumn('created_at', t.timestamp, (c) => c.notNull())
      .addPrimaryKeyConstraint('llm_usage_pk', ['tenant_id', 'id'])
      .execute();
    await db.schema.createIndex('llm_usage_time_idx').on('llm_usage').columns(['tenant_id', 'created_at']).execute();

    await db.schema
      .createTable('api_tokens')
      .addColumn('tenant_id', 'text', (c) => c.notNull())
      .addColumn('id', 'text', (c) => c.notNull())
      .addColumn('user_id', 'text', (c) => c.notNull())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('token_hash', 'text', (c) => c.notNull())
      .addColumn('prefix', 'text', (c) => c.notNull())
      .addColumn('scopes', t.json, (c) => c.notNull())
      .addColumn('created_at', t.timestamp, (c) => c.notNull())
      .addColumn('expires_at', t.timestamp)
      .addColumn('last_used_at', t.timestamp)
      .addColumn('revoked_at', t.timestamp)
      .addPrimaryKeyConstraint('api_tokens_pk', ['tenant_id', 'id'])
      .addForeignKeyConstraint('api_tokens_user_fk', ['tenant_id', 'user_id'], 'users', ['tenant_id', 'id'],
        (c) => c.onDelete('cascade'))
      .execute();
    await db.schema.createIndex('api_tokens_user_idx').on('api_tokens').columns(['tenant_id', 'user_id']).execute();
    // The one global lookup: a presented token is found by its hash before the tenant is known.
    await db.schema.createIndex('api_tokens_hash_unique').on('api_tokens').column('token_hash').unique().execute();

    await isolateTenants(db, t, ['provider_credentials', 'llm_budgets', 'conversations', 'messages', 'llm_usage', 'api_tokens']);
  },
});
