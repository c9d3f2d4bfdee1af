import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createSession, registerAccount, type Account } from '../test-support/factories.js';
import { startTestServer, type TestServer } from '../test-support/test-server.js';

/**
 * Defence in depth: even a query that forgets its tenant filter sees only the
 * tenant set in the transaction. Runs against PostgreSQL as the unprivileged app role.
 */
describe.skipIf(!inject('postgres'))('PostgreSQL row-level security', () => {
  let t: TestServer;
  let a: Account;
  let b: Account;
  beforeAll(async () => {
    t = await startTestServer('postgres');
    a = await registerAccount(t.api);
    b = await registerAccount(t.api);
    await createSession(t.api, a.accessToken, 'A1');
    await createSession(t.api, b.accessToken, 'B1');
  });
  afterAll(async () => { await t.close(); });

  const store = () => t.server.deps.store;

  it('an unscoped query inside tenant A sees only A rows', async () => {
    const rows = await store().tenant(a.tenantId, (tx) => tx.selectFrom('workspace_sessions').select(['tenant_id', 'name']).execute());
    expect(rows).toEqual([{ tenant_id: a.tenantId, name: 'A1' }]);
    const users = await store().tenant(a.tenantId, (tx) => tx.selectFrom('users').select('id').execute());
    expect(users.map((u) => u.id)).toEqual([a.userId]);
  });

  it('outside any tenant context nothing is visible', async () => {
    const rows = await store().db.selectFrom('workspace_sessions').selectAll().execute();
    expect(rows).toEqual([]);
  });

  it('tenant A cannot update, delete or insert rows of tenant B', async () => {
    await store().tenant(a.tenantId, async (tx) => {
      await tx.updateTable('workspace_sessions').set({ name: 'pwned' }).execute();
      await tx.deleteFrom('auth_sessions').where('tenant_id', '=', b.tenantId).execute();
    });
    const bRows = await store().tenant(b.tenantId, (tx) => tx.selectFrom('workspace_sessions').select('name').execute());
    expect(bRows).toEqual([{ name: 'B1' }]);
    expect((await t.api.get('/users/me', { token: b.accessToken })).status).toBe(200);
    await expect(store().tenant(a.tenantId, (tx) => tx.insertInto('workspace_sessions').values({
      tenant_id: b.tenantId, id: 'planted', user_id: b.userId, name: 'x', active_files: '[]', state: '{}',
      parent_session_id: null, created_at: new Date().toISOString(), updated_at: new Date().toISOString(), last_opened_at: null,
    }).execute())).rejects.toThrow(/row-level security/);
  });

  it('the tenant setting is transaction-scoped: it does not leak to the next use of the connection', async () => {
    await store().tenant(a.tenantId, async () => {});
    const leaked = await sql<{ v: string | null }>`select current_setting('app.tenant_id', true) as v`.execute(store().db);
    expect(leaked.rows[0]?.v ?? '').toBe('');
  });
});
