import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { sql } from 'kysely';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { loadConfig } from '../src/config/config.js';
import { Store } from '../src/store/database.js';
import { describeEachEngine } from '../src/test-support/engines.js';
import type { TestClient } from '../src/test-support/http-client.js';
import { spawnServer } from '../src/test-support/server-process.js';
import { createTestDatabase, tempDir } from '../src/test-support/test-server.js';

interface Acked {
  users: { email: string; tenantId: string }[];
  sessions: Map<string, { tenantId: string; version: number }>;
  /** Latest acknowledged refresh token per family, and whether a later rotation was in flight at the kill. */
  families: { token: string; inFlight: boolean }[];
}

/** One client looping register → create session → patch/refresh, recording only what the server acknowledged. */
async function stormWorker(api: TestClient, worker: number, acked: Acked, stop: { now: boolean }) {
  let n = 0;
  while (!stop.now) {
    n++;
    const email = `crash-${worker}-${n}-${Math.random().toString(36).slice(2, 8)}@example.com`;
    try {
      const reg = await api.post('/auth/register', { email, password: 'crash test password', firstName: 'C', lastName: 'T' });
      if (reg.status !== 201) continue;
      acked.users.push({ email, tenantId: reg.body.tenant.id });
      const family = { token: reg.body.refreshToken as string, inFlight: false };
      acked.families.push(family);
      const s = await api.post('/sessions', { name: 'v0' }, { token: reg.body.accessToken });
      if (s.status !== 201) continue;
      acked.sessions.set(s.body.id, { tenantId: reg.body.tenant.id, version: 0 });
      for (let v = 1; v <= 3 && !stop.now; v++) {
        const p = await api.patch(`/sessions/${s.body.id}`, { name: `v${v}`, state: { v } }, { token: reg.body.accessToken });
        if (p.status === 200) acked.sessions.get(s.body.id)!.version = v;
        family.inFlight = true;
        const r = await api.post('/auth/refresh', { refreshToken: family.token });
        if (r.status === 200) {
          family.token = r.body.refreshToken;
          family.inFlight = false;
        }
      }
    } catch {
      return; // connection refused/reset: the server died
    }
  }
}

describeEachEngine('crash safety: SIGKILL mid-storm loses no acknowledged write', (engine) => {
  let dataDir: string;
  let env: Record<string, string>;
  let restarted: { proc: ChildProcess; api: TestClient };
  const acked: Acked = { users: [], sessions: new Map(), families: [] };

  beforeAll(async () => {
    dataDir = tempDir('coditect-crash-');
    env = { CODITECT_DATA_DIR: dataDir, CODITECT_DATABASE_URL: createTestDatabase(engine, dataDir) };
    const first = await spawnServer(env);
    const stop = { now: false };
    const workers = Array.from({ length: 8 }, (_, i) => stormWorker(first.api, i, acked, stop));
    await new Promise((r) => setTimeout(r, 2500));
    first.proc.kill('SIGKILL');
    await once(first.proc, 'exit');
    stop.now = true;
    await Promise.all(workers);
    restarted = await spawnServer(env);
  }, 60_000);

  afterAll(async () => {
    restarted?.proc.kill('SIGTERM');
    if (restarted) await once(restarted.proc, 'exit');
  });

  it('the storm did real work before the kill', () => {
    expect(acked.users.length).toBeGreaterThan(5);
    expect(acked.sessions.size).toBeGreaterThan(3);
  });

  it('every acknowledged registration can sign in', async () => {
    for (const u of acked.users) {
      const res = await restarted.api.post('/auth/login', { email: u.email, password: 'crash test password' });
      expect(res.status, u.email).toBe(200);
      expect(res.body.user.tenantId).toBe(u.tenantId);
    }
  });

  it('every acknowledged session write is there', async () => {
    const byTenant = new Map(acked.users.map((u) => [u.tenantId, u.email]));
    for (const [id, s] of acked.sessions) {
      const login = await restarted.api.post('/auth/login', { email: byTenant.get(s.tenantId), password: 'crash test password' });
      const got = await restarted.api.get(`/sessions/${id}`, { token: login.body.accessToken });
      expect(got.status).toBe(200);
      // A later, unacknowledged patch may also have landed; never an older one.
      expect(Number(got.body.name.slice(1))).toBeGreaterThanOrEqual(s.version);
    }
  });

  it('the latest acknowledged refresh token of each settled family still rotates', async () => {
    const settled = acked.families.filter((f) => !f.inFlight);
    expect(settled.length).toBeGreaterThan(0);
    for (const f of settled) expect((await restarted.api.post('/auth/refresh', { refreshToken: f.token })).status).toBe(200);
  });

  it('nothing is half-written: no tenant without user, user without tenant, or orphan auth session', async () => {
    const config = loadConfig({ CODITECT_DATA_DIR: dataDir, CODITECT_DATABASE_URL: env.CODITECT_DATABASE_URL });
    const store = Store.open(config.database);
    try {
      const count = async (query: ReturnType<typeof sql<{ n: number }>>) =>
        Number((await store.system((tx) => query.execute(tx))).rows[0]!.n);
      expect(await count(sql`select count(*) as n from tenants t where not exists (select 1 from users u where u.tenant_id = t.id)`)).toBe(0);
      expect(await count(sql`select count(*) as n from users u where not exists (select 1 from tenants t where t.id = u.tenant_id)`)).toBe(0);
      expect(await count(sql`select count(*) as n from auth_sessions s where not exists (select 1 from users u where u.tenant_id = s.tenant_id and u.id = s.user_id)`)).toBe(0);
      expect(await count(sql`select count(*) as n from refresh_tokens r where not exists (select 1 from auth_sessions s where s.tenant_id = r.tenant_id and s.id = r.session_id)`)).toBe(0);
      expect(await count(sql`select count(*) as n from users`)).toBeGreaterThanOrEqual(acked.users.length);
    } finally {
      await store.close();
    }
  });
});
