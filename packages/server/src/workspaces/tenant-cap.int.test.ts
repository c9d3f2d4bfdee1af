/**
 * One tenant cannot take every IDE slot: its running workspaces across all
 * nodes (the placements table) are capped; past the cap `open` answers 429
 * `workspace_limit` before anything starts. Two nodes share the database on
 * PostgreSQL.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { claimWithinTenantCap } from '../commands/workspaces.js';
import { describeEachEngine } from '../test-support/engines.js';
import { createSession, registerAccount, type Account } from '../test-support/factories.js';
import { startTestServer, tempDir, type TestServer } from '../test-support/test-server.js';

describeEachEngine('running workspaces per tenant', (engine) => {
  let n1: TestServer;
  let n2: TestServer;
  let a: Account;
  beforeAll(async () => {
    // An IDE app that does not exist: an open that passes the cap fails to start at once (no Theia needed here).
    const env = { CODITECT_MAX_WORKSPACES_PER_TENANT: '2', CODITECT_IDE_APP_DIR: tempDir('no-ide-'), CODITECT_NODE_ID: 'n1' };
    n1 = await startTestServer(engine, env);
    n2 = engine === 'postgres' ? await startTestServer(engine, { ...env, CODITECT_NODE_ID: 'n2' }, {}, n1.databaseUrl) : n1;
    a = await registerAccount(n1.api);
  });
  afterAll(async () => {
    if (n2 !== n1) await n2?.close();
    await n1?.close();
  });

  it('past the cap, open answers 429 workspace_limit and claims nothing; other tenants are unaffected', async () => {
    const [s1, s2, s3] = await Promise.all(['one', 'two', 'three'].map((n) => createSession(n1.api, a.accessToken, n)));
    // Two workspaces of the tenant run: one on each node (one node on SQLite).
    await n1.server.deps.workspaces.placements.claim(a.tenantId, s1!.id);
    await n2.server.deps.workspaces.placements.claim(a.tenantId, s2!.id);
    const refused = await n1.api.post(`/sessions/${s3!.id}/open`, undefined, { token: a.accessToken });
    expect([refused.status, refused.body.error.code]).toEqual([429, 'workspace_limit']);
    expect(refused.body.error.message).toContain('2 workspaces');
    expect(await n1.server.deps.workspaces.placements.countLive(a.tenantId)).toBe(2);
    expect(n1.server.deps.workspaces.runner.size).toBe(0);

    const b = await registerAccount(n1.api);
    const sb = await createSession(n1.api, b.accessToken);
    const other = await n1.api.post(`/sessions/${sb.id}/open`, undefined, { token: b.accessToken });
    // Past the cap check: it fails only because this test has no IDE (or no sandbox).
    expect(other.body.error?.code).toMatch(/^workspace_(start_failed|sandbox_unavailable)$/);

    // One stops: the tenant may open another.
    await n2.server.deps.workspaces.placements.release(a.tenantId, s2!.id);
    const again = await n1.api.post(`/sessions/${s3!.id}/open`, undefined, { token: a.accessToken });
    expect(again.body.error?.code).toMatch(/^workspace_(start_failed|sandbox_unavailable)$/);
  });

  it('racing opens never exceed the cap: 2,000 concurrent claims (20 at a time over both nodes), zero escapes', async () => {
    const c = await registerAccount(n1.api);
    const placements = n1.server.deps.workspaces.placements;
    let won = 0;
    let escapes = 0;
    for (let round = 0; round < 100; round++) {
      const ids = Array.from({ length: 20 }, () => randomUUID());
      const results = await Promise.allSettled(ids.map((id, i) => claimWithinTenantCap((i % 2 ? n2 : n1).server.deps, c.tenantId, id)));
      const ok = results.filter((r) => r.status === 'fulfilled').length;
      for (const r of results) if (r.status === 'rejected') expect((r.reason as { code?: string }).code).toBe('workspace_limit');
      const live = await placements.countLive(c.tenantId);
      if (ok > 2 || live > 2) escapes += 1;
      won += ok;
      await Promise.all(ids.map((id, i) => (i % 2 ? n2 : n1).server.deps.workspaces.placements.release(c.tenantId, id)));
    }
    expect(escapes).toBe(0);
    // Exact, not merely safe: every round fills the cap (no racer refused while a slot was free).
    expect(won).toBe(100 * 2);
  }, 120_000);
});
