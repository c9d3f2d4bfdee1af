import { endpoints } from '@coditect/contract';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachEngine } from '../test-support/engines.js';
import { registerAccount } from '../test-support/factories.js';
import { startTestServer, type TestServer } from '../test-support/test-server.js';

describeEachEngine('system endpoints and HTTP edge cases', (engine) => {
  let t: TestServer;
  beforeAll(async () => { t = await startTestServer(engine); });
  afterAll(async () => { await t.close(); });

  it('health and ready answer without auth', async () => {
    expect(await t.api.get('/health')).toMatchObject({ status: 200, body: { status: 'ok' } });
    expect(await t.api.get('/ready')).toMatchObject({ status: 200, body: { status: 'ready' } });
  });

  it('every response carries a request id; API responses are not cached', async () => {
    const res = await t.api.get('/health');
    expect(res.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const err = await t.api.get('/users/me');
    expect(err.body.error.requestId).toBe(err.headers.get('x-request-id'));
  });

  it('OpenAPI 3.1 document covers every endpoint of the contract; docs page serves', async () => {
    const doc = await t.api.get('/openapi.json');
    expect(doc.status).toBe(200);
    expect(doc.body.openapi).toBe('3.1.0');
    for (const [name, e] of Object.entries(endpoints)) {
      const path = '/api/v5' + e.path.replace(/:(\w+)/g, '{$1}');
      expect(doc.body.paths[path]?.[e.method.toLowerCase()]?.operationId, name).toBe(name);
    }
    expect(doc.body.paths['/api/v5/auth/register'].post.requestBody.content['application/json'].schema.required)
      .toEqual(expect.arrayContaining(['email', 'password', 'firstName', 'lastName']));
    const docs = await fetch(`${t.origin}/api/v5/docs/`);
    expect(docs.status).toBe(200);
    expect(await docs.text()).toContain('swagger');
  });

  it('a body over 1 MiB → 413 payload_too_large', async () => {
    const a = await registerAccount(t.api);
    const res = await t.api.post('/sessions', { name: 'big', activeFiles: ['x'.repeat(1024 * 1024)] }, { token: a.accessToken });
    expect(res.status).toBe(413);
    expect(res.body.error.code).toBe('payload_too_large');
  });

  it('a wrong content type → 415; bad JSON → 400 invalid_json', async () => {
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'application/xml']) {
      const res = await t.api.post('/auth/login', undefined, { raw: 'email=a', headers: { 'content-type': type } });
      expect(res.status, type).toBe(415);
      expect(res.body.error.code).toBe('unsupported_media_type');
    }
    const bad = await t.api.post('/auth/login', undefined, { raw: '{"email":', headers: { 'content-type': 'application/json' } });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('invalid_json');
    const proto = await t.api.post('/auth/login', undefined, { raw: '{"__proto__":{"x":1}}', headers: { 'content-type': 'application/json' } });
    expect(proto.status).toBe(400);
  });

  it('/metrics is not on the public port (404), by default', async () => {
    const res = await fetch(`${t.origin}/metrics`);
    expect(res.status).toBe(404);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('route_not_found');
  });

  it('CORS: only the configured origin is allowed, preflight included', async () => {
    const c = await startTestServer(engine, { CODITECT_CORS_ORIGINS: 'https://app.example.com' });
    try {
      const ok = await fetch(`${c.origin}/api/v5/health`, { headers: { origin: 'https://app.example.com' } });
      expect(ok.headers.get('access-control-allow-origin')).toBe('https://app.example.com');
      const pre = await fetch(`${c.origin}/api/v5/sessions`, { method: 'OPTIONS',
        headers: { origin: 'https://app.example.com', 'access-control-request-method': 'POST' } });
      expect(pre.status).toBe(204);
      expect(pre.headers.get('access-control-allow-headers')).toContain('authorization');
      const evil = await fetch(`${c.origin}/api/v5/health`, { headers: { origin: 'https://evil.example' } });
      expect(evil.headers.get('access-control-allow-origin')).toBeNull();
      expect(ok.headers.get('access-control-allow-credentials')).toBeNull();
    } finally {
      await c.close();
    }
  });

  it('unknown routes answer a JSON 404 route_not_found', async () => {
    const res = await t.api.get('/nope');
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe('route_not_found');
  });

  it('ready answers 503 when the database is gone (last: closes the store)', async () => {
    await t.server.deps.store.close();
    const res = await t.api.get('/ready');
    expect(res.status).toBe(503);
    expect(res.body.error.code).toBe('database_unavailable');
    expect(res.headers.get('retry-after')).toBe('5');
    expect((await t.api.get('/health')).status).toBe(200);
  });
});
