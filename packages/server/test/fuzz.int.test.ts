import http from 'node:http';
import fc from 'fast-check';
import { endpoints, type Endpoint } from '@coditect/contract';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachEngine } from '../src/test-support/engines.js';
import { registerAccount, type Account } from '../src/test-support/factories.js';
import { startTestServer, type TestServer } from '../src/test-support/test-server.js';

/** Sends a raw request (no client-side validation beyond Node's own). */
function rawRequest(origin: string, method: string, path: string, headers: Record<string, string>, body?: string) {
  const url = new URL(origin);
  return new Promise<number | 'client-rejected'>((resolve) => {
    let req: http.ClientRequest;
    try {
      req = http.request({ host: url.hostname, port: url.port, method, path, headers }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      });
    } catch {
      resolve('client-rejected'); // Node refused to send it (invalid header or path chars)
      return;
    }
    req.on('error', () => resolve('client-rejected'));
    if (body !== undefined) req.write(body);
    req.end();
  });
}

const headerValue = fc.string({ maxLength: 200 }).filter((s) => /^[\t\x20-\x7e]*$/.test(s));
const pathParam = fc.oneof(fc.string({ maxLength: 300 }), fc.uuid(), fc.constantFrom('..', '%00', '../../etc/passwd', "' or 1=1 --", '%E0%A4%A'));
const body = fc.oneof(
  fc.jsonValue().map((v) => JSON.stringify(v)),
  fc.string({ maxLength: 500 }),
  fc.constantFrom('', '{', 'null', '[]', '{"email":null}', '{"__proto__":{"admin":true}}', '{"constructor":{"prototype":{}}}'),
  fc.dictionary(fc.constantFrom('email', 'password', 'name', 'state', 'activeFiles', 'firstName', 'refreshToken', 'metadata', 'tenantId'),
    fc.anything({ maxDepth: 3 })).map((v) => JSON.stringify(v)),
);
const contentType = fc.constantFrom('application/json', 'application/json; charset=utf-8', 'text/plain', 'multipart/form-data', '', 'application/json; charset=latin1', 'application/x-www-form-urlencoded');

describeEachEngine('fuzz: malformed input never yields a 5xx', (engine) => {
  let t: TestServer;
  let a: Account;
  beforeAll(async () => {
    t = await startTestServer(engine);
    a = await registerAccount(t.api);
  });
  afterAll(async () => { await t.close(); });

  for (const [name, e] of Object.entries(endpoints) as [string, Endpoint][]) {
    it(`${e.method} ${e.path} (${name})`, async () => {
      await fc.assert(
        fc.asyncProperty(pathParam, body, contentType, headerValue, fc.boolean(), fc.string({ maxLength: 100 }),
          async (param, payload, type, junkHeader, withToken, query) => {
            const path = '/api/v5' + e.path.replace(/:(\w+)/g, () => encodeURIComponent(param)) + '?' + encodeURIComponent(query).replace(/%3D/g, '=').replace(/%26/g, '&');
            const headers: Record<string, string> = { 'x-junk': junkHeader };
            if (type) headers['content-type'] = type;
            headers.authorization = withToken ? `Bearer ${a.accessToken}` : `Bearer ${junkHeader}`;
            const status = await rawRequest(t.origin, e.method, path, headers, e.method === 'GET' ? undefined : payload);
            if (status === 'client-rejected') return;
            expect(status, `${e.method} ${path} ${type} ${payload.slice(0, 80)}`).toBeLessThan(500);
          }),
        { numRuns: 60 },
      );
    });
  }

  it('random paths and methods are 4xx, and the server still serves afterwards', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom('GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'HEAD'), fc.webPath(), async (method, p) => {
        const status = await rawRequest(t.origin, method, '/api/v5' + p, { 'content-type': 'application/json' }, '{}');
        if (status !== 'client-rejected') expect(status).toBeLessThan(500);
      }),
      { numRuns: 150 },
    );
    // The fuzzed logout endpoints revoked `a`; a fresh account proves the server still works end to end.
    const fresh = await registerAccount(t.api);
    expect((await t.api.get('/users/me', { token: fresh.accessToken })).status).toBe(200);
    expect((await t.api.get('/ready')).status).toBe(200);
  });
});
