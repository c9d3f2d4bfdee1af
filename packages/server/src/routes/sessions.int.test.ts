import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeEachEngine } from '../test-support/engines.js';
import { createSession, registerAccount, type Account } from '../test-support/factories.js';
import { startTestServer, type TestServer } from '../test-support/test-server.js';

describeEachEngine('workspace sessions', (engine) => {
  let t: TestServer;
  let a: Account;
  beforeAll(async () => {
    t = await startTestServer(engine);
    a = await registerAccount(t.api);
  });
  afterAll(async () => { await t.close(); });

  it('create → get → patch → delete', async () => {
    const created = await t.api.post('/sessions', { name: '  Demo  ', activeFiles: ['src/index.ts'] }, { token: a.accessToken });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      name: 'Demo', activeFiles: ['src/index.ts'], state: {}, tenantId: a.tenantId, userId: a.userId, parentSessionId: null, lastOpenedAt: null,
    });
    const id = created.body.id;
    const got = await t.api.get(`/sessions/${id}`, { token: a.accessToken });
    expect(got.body).toEqual(created.body);

    const state = { layout: { left: 240 }, editors: [{ path: 'a.ts', cursor: [3, 4] }] };
    const patched = await t.api.patch(`/sessions/${id}`, { name: 'Renamed', activeFiles: ['a.ts', 'b.ts'], state }, { token: a.accessToken });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ name: 'Renamed', activeFiles: ['a.ts', 'b.ts'], state });
    expect(patched.body.updatedAt >= created.body.updatedAt).toBe(true);
    const partial = await t.api.patch(`/sessions/${id}`, { name: 'Only name' }, { token: a.accessToken });
    expect(partial.body).toMatchObject({ name: 'Only name', activeFiles: ['a.ts', 'b.ts'], state });

    expect((await t.api.delete(`/sessions/${id}`, { token: a.accessToken })).status).toBe(204);
    expect((await t.api.get(`/sessions/${id}`, { token: a.accessToken })).status).toBe(404);
    expect((await t.api.delete(`/sessions/${id}`, { token: a.accessToken })).status).toBe(404);
  });

  it('validates names and active files', async () => {
    for (const body of [{}, { name: '' }, { name: '   ' }, { name: 'x'.repeat(101) }, { name: 'ok', activeFiles: 'a.ts' }, { name: 'ok', activeFiles: [''] }]) {
      const res = await t.api.post('/sessions', body, { token: a.accessToken });
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.error.code).toBe('validation_failed');
    }
    const s = await createSession(t.api, a.accessToken);
    expect((await t.api.patch(`/sessions/${s.id}`, { state: [1, 2] }, { token: a.accessToken })).status).toBe(400);
  });

  it('lists newest first with a cursor, no row skipped or repeated', async () => {
    const b = await registerAccount(t.api);
    const names = Array.from({ length: 23 }, (_, i) => `s${String(i).padStart(2, '0')}`);
    for (const name of names) await createSession(t.api, b.accessToken, name);
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const q: string = cursor ? `?limit=10&cursor=${encodeURIComponent(cursor)}` : '?limit=10';
      const res = await t.api.get(`/sessions${q}`, { token: b.accessToken });
      expect(res.status).toBe(200);
      seen.push(...res.body.items.map((s: { name: string }) => s.name));
      cursor = res.body.nextCursor;
      pages++;
    } while (cursor);
    expect(pages).toBe(3);
    expect(seen).toEqual([...names].reverse());
    const def = await t.api.get('/sessions', { token: b.accessToken });
    expect(def.body.items).toHaveLength(23);
    expect(def.body.nextCursor).toBeNull();
  });

  it('rejects bad list parameters', async () => {
    for (const q of ['?limit=0', '?limit=101', '?limit=abc', '?cursor=not-a-cursor']) {
      const res = await t.api.get(`/sessions${q}`, { token: a.accessToken });
      expect(res.status, q).toBe(400);
      expect(res.body.error.code).toBe('validation_failed');
    }
  });

  describe('tenant isolation (attacker: tenant B)', () => {
    it("B cannot see, list, change or delete A's session: 404 and nothing changed", async () => {
      const victim = await registerAccount(t.api);
      const s = await createSession(t.api, victim.accessToken, 'secret project');
      const attacker = await registerAccount(t.api);
      const tok = { token: attacker.accessToken };
      for (const res of [
        await t.api.get(`/sessions/${s.id}`, tok),
        await t.api.patch(`/sessions/${s.id}`, { name: 'pwned', state: { x: 1 } }, tok),
        await t.api.delete(`/sessions/${s.id}`, tok),
      ]) {
        expect(res.status).toBe(404);
        expect(res.body.error.code).toBe('not_found');
      }
      const list = await t.api.get('/sessions', tok);
      expect(list.body.items.map((x: { id: string }) => x.id)).not.toContain(s.id);
      const intact = await t.api.get(`/sessions/${s.id}`, { token: victim.accessToken });
      expect(intact.body).toMatchObject({ name: 'secret project', state: {} });
    });

    it('a body tenantId/userId is ignored on create and patch', async () => {
      const victim = await registerAccount(t.api);
      const attacker = await registerAccount(t.api);
      const res = await t.api.post('/sessions', { name: 'plant', tenantId: victim.tenantId, userId: victim.userId }, { token: attacker.accessToken });
      expect(res.body).toMatchObject({ tenantId: attacker.tenantId, userId: attacker.userId });
      const p = await t.api.patch(`/sessions/${res.body.id}`, { tenantId: victim.tenantId, parentSessionId: 'x' }, { token: attacker.accessToken });
      expect(p.body).toMatchObject({ tenantId: attacker.tenantId, parentSessionId: null });
      expect((await t.api.get('/sessions', { token: victim.accessToken })).body.items).toHaveLength(0);
    });
  });
});
