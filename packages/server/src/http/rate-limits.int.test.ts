/**
 * Per-user rate limits on the expensive endpoints (chat, compare and the
 * compatible doors share one; provider tests; snapshots; session creation;
 * workspace open): 429 `rate_limited` with Retry-After, per user, shared
 * through the database on PostgreSQL.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachEngine, describePostgres } from '../test-support/engines.js';
import { createSession, registerAccount, type Account } from '../test-support/factories.js';
import { startTestServer, type TestServer } from '../test-support/test-server.js';

describeEachEngine('per-user rate limits', (engine) => {
  let t: TestServer;
  let a: Account;
  let b: Account;
  beforeAll(async () => {
    t = await startTestServer(engine, {
      CODITECT_RATE_LIMIT_SESSION_CREATE: '3/60s',
      CODITECT_RATE_LIMIT_LLM: '3/60s',
      CODITECT_RATE_LIMIT_PROVIDER_TEST: '2/60s',
      CODITECT_RATE_LIMIT_SNAPSHOT: '2/60s',
      CODITECT_RATE_LIMIT_WORKSPACE_OPEN: '2/60s',
    });
    a = await registerAccount(t.api);
    b = await registerAccount(t.api);
  });
  afterAll(async () => { await t?.close(); });

  const expectLimited = (res: { status: number; body: any; headers: Headers }) => {
    expect([res.status, res.body.error?.code]).toEqual([429, 'rate_limited']);
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
  };

  it('session creation: past the limit 429 with Retry-After; another user is unaffected', async () => {
    for (let i = 0; i < 3; i++) expect((await t.api.post('/sessions', { name: `s${i}` }, { token: a.accessToken })).status).toBe(201);
    expectLimited(await t.api.post('/sessions', { name: 'one too many' }, { token: a.accessToken }));
    expect((await t.api.post('/sessions', { name: 'b' }, { token: b.accessToken })).status).toBe(201);
  });

  it('chat, compare and the compatible endpoints share one budget per user, whatever the token', async () => {
    const pat = (await t.api.post('/users/me/tokens', { name: 'cli', scopes: ['llm'] }, { token: a.accessToken })).body.token;
    // Minimal (invalid) bodies: the limit applies before any work, so nothing reaches a provider.
    expect((await t.api.post('/llm/chat', {}, { token: a.accessToken })).status).toBe(400);
    expect((await t.api.post('/llm/compare', {}, { token: a.accessToken })).status).toBe(400);
    expect((await t.api.post('/llm/openai/v1/chat/completions', {}, { token: pat })).status).toBe(400);
    const limited = await t.api.post('/llm/anthropic/v1/messages', {}, { headers: { 'x-api-key': pat } });
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expectLimited(await t.api.post('/llm/chat', {}, { token: a.accessToken }));
    expect((await t.api.post('/llm/chat', {}, { token: b.accessToken })).status).toBe(400);
  });

  it('provider tests', async () => {
    for (let i = 0; i < 2; i++) expect((await t.api.post('/llm/providers/openai/test', undefined, { token: a.accessToken })).status).not.toBe(429);
    expectLimited(await t.api.post('/llm/providers/openai/test', undefined, { token: a.accessToken }));
  });

  it('snapshot create and restore share one budget', async () => {
    const s = await createSession(t.api, b.accessToken, 'snap');
    expect((await t.api.post(`/sessions/${s.id}/snapshots`, {}, { token: b.accessToken })).status).toBe(201);
    const restore = await t.api.post(`/sessions/${s.id}/snapshots/00000000-0000-4000-8000-000000000000/restore`, undefined, { token: b.accessToken });
    expect(restore.status).toBe(404);
    expectLimited(await t.api.post(`/sessions/${s.id}/snapshots`, {}, { token: b.accessToken }));
  });

  it('workspace open', async () => {
    const id = '00000000-0000-4000-8000-000000000001';
    for (let i = 0; i < 2; i++) expect((await t.api.post(`/sessions/${id}/open`, undefined, { token: b.accessToken })).status).toBe(404);
    expectLimited(await t.api.post(`/sessions/${id}/open`, undefined, { token: b.accessToken }));
  });
});

describePostgres('per-user rate limits hold across nodes', () => {
  let n1: TestServer;
  let n2: TestServer;
  beforeAll(async () => {
    n1 = await startTestServer('postgres', { CODITECT_RATE_LIMIT_LLM: '4/60s' });
    n2 = await startTestServer('postgres', { CODITECT_RATE_LIMIT_LLM: '4/60s' }, {}, n1.databaseUrl);
  });
  afterAll(async () => {
    await n2?.close();
    await n1?.close();
  });

  it('chats spread over two nodes add up to one budget', async () => {
    const a = await registerAccount(n1.api);
    // A personal token verifies on both nodes (each test node signs its own JWTs).
    const pat = (await n1.api.post('/users/me/tokens', { name: 'cli', scopes: ['llm'] }, { token: a.accessToken })).body.token;
    const codes = [];
    for (let i = 0; i < 6; i++) codes.push((await (i % 2 ? n2 : n1).api.post('/llm/chat', {}, { token: pat })).status);
    expect(codes).toEqual([400, 400, 400, 400, 429, 429]);
  });
});
