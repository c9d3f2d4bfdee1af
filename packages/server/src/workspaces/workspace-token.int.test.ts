/**
 * The workspace token from the attacker's side: a script running in exactly
 * the workspace's bubblewrap sandbox (the sandbox command's `entry`, same
 * binds, same api.sock, the token from the IDE's environment) walks every
 * endpoint of the contract. What lets it through must equal the table's
 * `workspace` callers — a new endpoint admits it only by decision. Also: its
 * own session only, nothing but the workspace token on the socket, others'
 * conversations out of reach, and the token dies with the login behind it.
 */
import fs from 'node:fs';
import { API_PREFIX } from '@coditect/contract';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeUpstream } from '../llm/testing/fake-upstream.js';
import { allEndpoints, probesFor, refusalCode, refusedForCaller, walkScript, workspaceAllowed, type Probe, type ProbeResult } from '../test-support/endpoint-walk.js';
import { createSession, login, PASSWORD, registerAccount, type Account } from '../test-support/factories.js';
import { startTestServer, type TestServer } from '../test-support/test-server.js';
import { buildSandboxCommand } from './sandbox-command.js';
import { ensureIdeBuilt, requestViaSocket, runSandboxProbe, sandboxPrereq } from './test-support.js';
import { workspaceDir } from './workspace-paths.js';

const sandbox = sandboxPrereq();
if (!sandbox.ok) {
  if (process.env.CI === 'true') throw new Error(`workspace token tests need a sandbox in CI: ${sandbox.reason}`);
  console.warn(`\n*** WORKSPACE TOKEN TESTS SKIPPED: ${sandbox.reason} ***\n`);
}

/** The token the runner gave the sandboxed IDE, read from its environment as root can. */
function workspaceTokenOf(pid: number): string {
  const pids = [pid, ...fs.readdirSync('/proc').filter((p) => /^\d+$/.test(p)).map(Number)];
  for (const p of pids) {
    try {
      const hit = fs.readFileSync(`/proc/${p}/environ`, 'utf8').split('\0').find((e) => e.startsWith('CODITECT_API_TOKEN=cdw_'));
      if (hit) return hit.slice('CODITECT_API_TOKEN='.length);
    } catch { /* gone or not ours */ }
  }
  throw new Error('no workspace token found');
}


describe.skipIf(!sandbox.ok)('the workspace token, walked from inside its sandbox (real bwrap, real Theia)', () => {
  let t: TestServer;
  let fake: FakeUpstream;
  let a: Account;
  let own: { id: string };
  let sibling: { id: string };
  let theirs: { id: string };
  let token: string;
  let sock: string;

  /** Runs the walk script in the workspace's own sandbox with its token and returns what each probe got. */
  const walkInside = async (plan: (Probe & { token?: string })[]): Promise<ProbeResult[]> => {
    const runner = t.server.deps.workspaces.runner;
    const cmd = buildSandboxCommand({
      sessionId: own.id,
      workspaceDir: workspaceDir(t.dataDir, a.tenantId, own.id),
      runDir: runner.runDir(own.id),
      env: { CODITECT_API_TOKEN: token, CODITECT_PROBE_PLAN: JSON.stringify(plan) },
      entry: [process.execPath, '-e', walkScript()],
    });
    return runSandboxProbe<ProbeResult[]>(cmd);
  };

  beforeAll(async () => {
    await ensureIdeBuilt();
    fake = await new FakeUpstream().start();
    // Operator-set provider (trusted base URL), so chats work without tenant settings.
    t = await startTestServer('sqlite', { CODITECT_LLM_OPENAI_BASE_URL: fake.baseUrl('openai'), CODITECT_LLM_OPENAI_API_KEY: 'sk-operator' });
    a = await registerAccount(t.api);
    own = await createSession(t.api, a.accessToken, 'own');
    sibling = await createSession(t.api, a.accessToken, 'sibling');
    const b = await registerAccount(t.api);
    theirs = await createSession(t.api, b.accessToken, 'theirs');
    const opened = await t.api.post(`/sessions/${own.id}/open`, undefined, { token: a.accessToken });
    expect(opened.status, JSON.stringify(opened.body)).toBe(200);
    const proc = t.server.deps.workspaces.runner.get(own.id)!;
    token = workspaceTokenOf(proc.pid);
    sock = proc.apiSocketPath;
  }, 15 * 60_000);
  afterAll(async () => {
    await t?.close();
    await fake?.close();
  });

  it('reaches exactly the endpoints the table gives the workspace token, and nothing else', async () => {
    const results = await walkInside(probesFor(own.id));
    expect(results.length).toBe(Object.keys(allEndpoints).length);
    expect(results.filter((r) => r.status === -1)).toEqual([]);
    const through = results.filter((r) => !refusedForCaller(r)).map((r) => r.name).sort();
    expect(through).toEqual(workspaceAllowed());
    // What the IDE and the CLI in its terminal use is among them; settings, keys, budgets, tokens and the account are not.
    expect(through).toEqual(expect.arrayContaining(['getSession', 'updateSession', 'listModels', 'chat', 'compare', 'openaiChat', 'anthropicMessages']));
    for (const n of ['putProvider', 'deleteProvider', 'testProvider', 'putBudget', 'createApiToken', 'getMe', 'updateProfile',
      'changePassword', 'listDevices', 'logoutAll', 'listConversations', 'openWorkspace', 'createSession', 'deleteSession']) {
      expect(through).not.toContain(n);
    }
    for (const r of results.filter(refusedForCaller)) {
      expect([r.name, r.status, r.code]).toEqual([r.name, 403, refusalCode(r.name)]);
    }
  }, 120_000);

  it('its own session only: a sibling, another tenant\'s or an unknown session answers 404', async () => {
    const confined = (name: string) => allEndpoints[name]!.callers.public !== true
      && (allEndpoints[name]!.callers as { workspace?: string }).workspace === 'own-session' && allEndpoints[name]!.path.includes(':id');
    const plan = [sibling.id, theirs.id, '00000000-0000-4000-8000-00000000beef'].flatMap((id) => probesFor(id, confined));
    expect(plan.length).toBeGreaterThanOrEqual(3 * 8);
    const results = await walkInside(plan);
    for (const r of results) expect([r.name, r.path, r.status]).toEqual([r.name, r.path, 404]);
    const [list] = await walkInside([{ name: 'listSessions', method: 'GET', path: `${API_PREFIX}/sessions` }]);
    expect(list!.status).toBe(200);
  }, 120_000);

  it('the socket serves nothing outside the contract, and no credential but the workspace token', async () => {
    const personal = (await t.api.post('/users/me/tokens', { name: 'cli', scopes: ['llm', 'sessions'] }, { token: a.accessToken })).body.token;
    const results = await walkInside([
      { name: 'metrics', method: 'GET', path: '/metrics' },
      { name: 'openapi', method: 'GET', path: `${API_PREFIX}/openapi.json` },
      { name: 'webApp', method: 'GET', path: '/' },
      { name: 'ideProxy', method: 'GET', path: `/ws/${own.id}/` },
      { name: 'unknown', method: 'GET', path: `${API_PREFIX}/nope` },
      { name: 'health', method: 'GET', path: `${API_PREFIX}/health` },
      { name: 'login', method: 'POST', path: `${API_PREFIX}/auth/login`, body: { email: a.email, password: PASSWORD } },
      { name: 'userJwt', method: 'GET', path: `${API_PREFIX}/sessions/${own.id}`, token: a.accessToken },
      { name: 'personal', method: 'GET', path: `${API_PREFIX}/sessions/${own.id}`, token: personal },
    ]);
    expect(results.map((r) => [r.name, r.status])).toEqual([
      ['metrics', 403], ['openapi', 403], ['webApp', 403], ['ideProxy', 403], ['unknown', 403], ['health', 403], ['login', 403],
      ['userJwt', 401], ['personal', 401],
    ]);
    // Exfiltrated to the public port, the token is worthless.
    expect((await t.api.get(`/sessions/${own.id}`, { token })).status).toBe(401);
  }, 120_000);

  it('continues only conversations it started; the user\'s other chats stay out of reach', async () => {
    const body = (extra: object) => ({ model: 'openai/gpt-4o', messages: [{ role: 'user', content: 'hi' }], ...extra });
    const userChat = await t.api.post('/llm/chat', body({}), { token: a.accessToken });
    expect(userChat.status).toBe(200);
    const userConversation = /"conversationId":"([0-9a-f-]{36})"/.exec(JSON.stringify(userChat.body))?.[1]
      ?? /"conversationId":"([0-9a-f-]{36})"/.exec(String(userChat.body))?.[1];
    expect(userConversation).toBeTruthy();
    const stolen = await requestViaSocket(sock, 'POST', `${API_PREFIX}/llm/chat`, token, body({ conversationId: userConversation }));
    expect([stolen.status, stolen.body.error?.code]).toEqual([404, 'not_found']);
    const started = await requestViaSocket(sock, 'POST', `${API_PREFIX}/llm/chat`, token, body({}));
    expect(started.status).toBe(200);
    const mine = /"conversationId":"([0-9a-f-]{36})"/.exec(String(started.body))![1];
    const continued = await requestViaSocket(sock, 'POST', `${API_PREFIX}/llm/chat`, token, body({ conversationId: mine }));
    expect(continued.status).toBe(200);
  }, 60_000);

  it('chats within the tenant\'s budget only (the budget itself it can read, not change)', async () => {
    const chat = () => requestViaSocket(sock, 'POST', `${API_PREFIX}/llm/chat`, token, { model: 'openai/gpt-4o', messages: [{ role: 'user', content: 'hi' }] });
    expect((await t.api.put('/llm/budget', { monthlyLimitUsd: 0 }, { token: a.accessToken })).status).toBe(200);
    const over = await chat();
    expect([over.status, over.body.error?.code]).toEqual([402, 'budget_exceeded']);
    expect((await requestViaSocket(sock, 'GET', `${API_PREFIX}/llm/budget`, token)).body.monthlyLimitUsd).toBe(0);
    expect((await requestViaSocket(sock, 'PUT', `${API_PREFIX}/llm/budget`, token, { monthlyLimitUsd: null })).status).toBe(403);
    expect((await t.api.put('/llm/budget', { monthlyLimitUsd: null }, { token: a.accessToken })).status).toBe(200);
    expect((await chat()).status).toBe(200);
  }, 60_000);

  it('dies with the login behind it: alive while one opener\'s login lives, dead after logout-all', async () => {
    const get = () => requestViaSocket(sock, 'GET', `${API_PREFIX}/sessions/${own.id}`, token);
    expect((await get()).status).toBe(200);
    const second = (await login(t.api, a.email)).body.accessToken as string;
    expect((await t.api.post(`/sessions/${own.id}/open`, undefined, { token: second })).status).toBe(200);
    await t.api.post('/auth/logout', undefined, { token: a.accessToken });
    expect((await get()).status).toBe(200); // the second login opened it too
    expect((await t.api.post('/auth/logout-all', undefined, { token: second })).status).toBe(204);
    const dead = await get();
    expect([dead.status, dead.body.error.code]).toEqual([401, 'session_revoked']);
  }, 60_000);

  it('dies with a password change made on another device (which ends the login that opened it)', async () => {
    const opener = (await login(t.api, a.email)).body.accessToken as string;
    expect((await t.api.post(`/sessions/${own.id}/open`, undefined, { token: opener })).status).toBe(200);
    expect((await requestViaSocket(sock, 'GET', `${API_PREFIX}/sessions/${own.id}`, token)).status).toBe(200);
    const elsewhere = (await login(t.api, a.email)).body.accessToken as string;
    const changed = await t.api.put('/users/me/password', { currentPassword: PASSWORD, newPassword: 'an entirely new password 7' }, { token: elsewhere });
    expect(changed.status).toBe(204);
    expect((await requestViaSocket(sock, 'GET', `${API_PREFIX}/sessions/${own.id}`, token)).status).toBe(401);
  }, 60_000);

  it('dies when the login that opened it is revoked for refresh-token reuse', async () => {
    const signedIn = (await login(t.api, a.email, 'an entirely new password 7')).body;
    expect((await t.api.post(`/sessions/${own.id}/open`, undefined, { token: signedIn.accessToken })).status).toBe(200);
    expect((await requestViaSocket(sock, 'GET', `${API_PREFIX}/sessions/${own.id}`, token)).status).toBe(200);
    expect((await t.api.post('/auth/refresh', { refreshToken: signedIn.refreshToken })).status).toBe(200);
    const reused = await t.api.post('/auth/refresh', { refreshToken: signedIn.refreshToken });
    expect([reused.status, reused.body.error.code]).toEqual([401, 'refresh_token_reused']);
    const dead = await requestViaSocket(sock, 'GET', `${API_PREFIX}/sessions/${own.id}`, token);
    expect([dead.status, dead.body.error.code]).toEqual([401, 'session_revoked']);
  }, 60_000);
});
