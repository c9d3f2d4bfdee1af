/**
 * The `callers` column of the contract, from the caller's side: every endpoint
 * walked with a personal token of each scope admits exactly what the table
 * says; the table covers every API route the server registers; settings,
 * keys, budgets, tokens and the account change only with a user's JWT.
 */
import { API_PREFIX, type TokenScope } from '@coditect/contract';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachEngine } from '../test-support/engines.js';
import { allEndpoints, personalAllowed, probesFor, refusalCode, refusedForCaller, type ProbeResult } from '../test-support/endpoint-walk.js';
import { createSession, registerAccount, type Account } from '../test-support/factories.js';
import { startTestServer, type TestServer } from '../test-support/test-server.js';
import { contractRoutes, registeredRoutes } from './workspace-socket-guard.js';

/** API routes that are documentation, not endpoints: the OpenAPI document and its viewer. */
const DOCS = (route: string) => route === `GET ${API_PREFIX}/openapi.json` || route.includes(`${API_PREFIX}/docs`);

describeEachEngine('endpoint callers', (engine) => {
  let t: TestServer;
  let a: Account;
  beforeAll(async () => {
    t = await startTestServer(engine);
    a = await registerAccount(t.api);
  });
  afterAll(async () => { await t?.close(); });

  const personalToken = async (scopes: TokenScope[]) => {
    const res = await t.api.post('/users/me/tokens', { name: scopes.join('+'), scopes }, { token: a.accessToken });
    expect(res.status).toBe(201);
    return res.body.token as string;
  };

  /** Sends every probe on the public port with `token`; the throwaway session is what `:id` names. */
  const walk = async (token: string): Promise<ProbeResult[]> => {
    const throwaway = await createSession(t.api, a.accessToken, 'walk');
    const out: ProbeResult[] = [];
    for (const p of probesFor(throwaway.id)) {
      const res = await t.api.request(p.method, p.path.slice(API_PREFIX.length), p.body, { token });
      out.push({ ...p, status: res.status, code: res.body?.error?.code ?? res.body?.error?.type });
    }
    return out;
  };

  it('every API route the server registers is in the contract (so each has a callers decision)', () => {
    const api = [...new Set(registeredRoutes(t.server.app).map((r) => r.replace(/^HEAD /, 'GET ')))]
      .filter((r) => r.split(' ')[1]!.startsWith(API_PREFIX) && !DOCS(r));
    expect(api.length).toBeGreaterThan(40);
    expect(api.filter((r) => !contractRoutes.has(r))).toEqual([]);
    // …and the other way round: nothing in the table is left unregistered.
    expect([...contractRoutes].filter((r) => !api.includes(r))).toEqual([]);
    expect(Object.keys(allEndpoints).length).toBe(contractRoutes.size);
  });

  for (const scopes of [['llm'], ['sessions'], ['llm', 'sessions']] as TokenScope[][]) {
    it(`a personal token with ${scopes.join('+')} reaches exactly the endpoints the table gives it`, async () => {
      const results = await walk(await personalToken(scopes));
      const through = results.filter((r) => !refusedForCaller(r)).map((r) => r.name).sort();
      expect(through).toEqual(personalAllowed(scopes));
      // Refusals say why: 403 insufficient_scope (the Anthropic door in Anthropic's shape: permission_error).
      for (const r of results.filter(refusedForCaller)) {
        expect([r.name, r.status, r.code]).toEqual([r.name, 403, refusalCode(r.name)]);
      }
    }, 60_000);
  }

  it('settings, keys, budgets, tokens and the account change only with a signed-in user', async () => {
    const both = await personalToken(['llm', 'sessions']);
    const attempts = [
      ['PUT', '/llm/providers/openai', { apiKey: 'sk-attacker', baseUrl: 'https://attacker.example/v1' }],
      ['DELETE', '/llm/providers/openai', undefined],
      ['POST', '/llm/providers/openai/test', undefined],
      ['PUT', '/llm/budget', { monthlyLimitUsd: 1_000_000 }],
      ['POST', '/users/me/tokens', { name: 'more', scopes: ['llm'] }],
      ['GET', '/users/me/tokens', undefined],
      ['PUT', '/users/me/profile', { firstName: 'Mallory' }],
      ['PUT', '/users/me/password', { currentPassword: a.password, newPassword: 'another long password 1' }],
      ['GET', '/users/me/sessions', undefined],
      ['POST', '/auth/logout-all', undefined],
    ] as const;
    for (const [method, path, body] of attempts) {
      const res = await t.api.request(method, path, body, { token: both });
      expect([method, path, res.status, res.body.error?.code]).toEqual([method, path, 403, 'insufficient_scope']);
    }
    expect((await t.api.put('/llm/budget', { monthlyLimitUsd: 5 }, { token: a.accessToken })).status).toBe(200);
  });

  it('the OpenAPI document states each endpoint\'s callers', async () => {
    const doc = (await t.api.get('/openapi.json')).body;
    const put = doc.paths['/api/v5/llm/providers/{provider}'].put;
    expect(put.security).toEqual([{ bearer: [] }]);
    expect(doc.paths['/api/v5/llm/chat'].post.security).toEqual([{ bearer: [] }, { personalToken: ['llm'] }, { workspaceToken: ['gateway'] }]);
    expect(doc.paths['/api/v5/sessions/{id}'].get['x-coditect-callers']).toEqual({ user: true, personalToken: 'sessions', workspace: 'own-session' });
    expect(doc.paths['/api/v5/health'].get.security).toEqual([]);
    expect(Object.keys(doc.paths['/api/v5/llm/chat'].post.responses)).toEqual(expect.arrayContaining(['403', '429']));
    expect(doc.paths['/api/v5/health'].get.responses['403']).toBeUndefined();
  });
});
