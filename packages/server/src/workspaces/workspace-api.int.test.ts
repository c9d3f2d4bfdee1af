/**
 * The runner as the API exposes it: open/status/stop, single-use tickets, the
 * workspace origin's checks from the attacker's side (HTTP and WebSocket),
 * capacity, idle stop, crash restart, and the workspace's own API token. Real
 * bwrap, real Theia.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSession, login, registerAccount, type Account } from '../test-support/factories.js';
import { startTestServer, type TestServer } from '../test-support/test-server.js';
import { redeemTicket, workspaceRequest } from '../test-support/workspace-client.js';
import { ensureIdeBuilt, isAlive, requestViaSocket, sandboxPrereq, websocketOverSocket } from './test-support.js';

const sandbox = sandboxPrereq();
if (!sandbox.ok) {
  if (process.env.CI === 'true') throw new Error(`workspace API tests need a sandbox in CI: ${sandbox.reason}`);
  console.warn(`\n*** WORKSPACE API TESTS SKIPPED: ${sandbox.reason} ***\n`);
}



/** The token the runner gave the sandboxed IDE, read from its environment as root can. */
function workspaceTokenOf(pid: number): string {
  const pids = [pid, ...fs.readdirSync('/proc').filter((p) => /^\d+$/.test(p)).map(Number)];
  for (const p of pids) {
    try {
      const env = fs.readFileSync(`/proc/${p}/environ`, 'utf8').split('\0');
      const hit = env.find((e) => e.startsWith('CODITECT_API_TOKEN=cdw_'));
      if (hit) return hit.slice('CODITECT_API_TOKEN='.length);
    } catch { /* gone or not ours */ }
  }
  throw new Error('no workspace token found');
}

describe.skipIf(!sandbox.ok)('workspaces through the API (real sandbox, real Theia)', () => {
  let t: TestServer;
  let a: Account;
  const port = () => Number(new URL(t.origin).port);
  const open = (token: string, id: string) => fetch(`${t.origin}/api/v5/sessions/${id}/open`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
  const originOf = (id: string) => `http://${id}.ws.localhost:${port()}`;
  /** Opens the session and redeems its ticket: the workspace origin's cookie. */
  const openCookie = async (token: string, id: string) => {
    const res = await open(token, id);
    expect(res.status).toBe(200);
    return (await redeemTicket(((await res.json()) as { url: string }).url)).cookie;
  };
  const page = (id: string, cookie?: string, headers: Record<string, string> = {}) =>
    workspaceRequest(`${originOf(id)}/`, { headers: { ...(cookie ? { cookie } : {}), ...headers } });
  const upgrade = (id: string, cookie: string, origin = originOf(id)) => websocketOverSocket({ port: port(), host: '127.0.0.1' },
    '/socket.io/?EIO=4&transport=websocket', { Host: new URL(originOf(id)).host, Origin: origin, Cookie: cookie });

  beforeAll(async () => {
    await ensureIdeBuilt();
    t = await startTestServer('sqlite', { CODITECT_MAX_WORKSPACES: '2' });
    a = await registerAccount(t.api);
  }, 15 * 60_000);
  afterAll(async () => { await t?.close(); });

  it('open is single-flight and answers a single-use ticket on the workspace origin, traded for a host-only cookie', async () => {
    const s = await createSession(t.api, a.accessToken);
    expect((await t.api.get(`/sessions/${s.id}/status`, { token: a.accessToken })).body.status).toBe('stopped');
    const [r1, r2] = await Promise.all([open(a.accessToken, s.id), open(a.accessToken, s.id)]);
    expect(r1.status).toBe(200);
    expect(r2.status).toBe(200);
    expect(t.server.deps.workspaces.runner.size).toBe(1);
    // `open` itself sets no cookie on the app's origin.
    expect(r1.headers.get('set-cookie')).toBeNull();
    const { url, status } = (await r1.json()) as { url: string; status: string };
    expect(status).toBe('running');
    expect(url).toMatch(new RegExp(`^${originOf(s.id).replace(/[.]/g, '\\.')}/__coditect/ticket\\?t=[\\w-]+\\.[\\w-]+\\.[\\w-]+$`));
    const { cookie, answer } = await redeemTicket(`${url}&theme=dark`);
    expect(answer.status).toBe(303);
    expect(answer.headers.location).toBe('/?theme=dark');
    const setCookie = String(answer.headers['set-cookie']);
    for (const attr of ['Path=/', 'HttpOnly', 'Secure', 'SameSite=None', 'Partitioned']) expect(setCookie).toContain(attr);
    expect(setCookie).not.toMatch(/Domain=/i);
    // Once only, on this workspace's origin only.
    expect((await workspaceRequest(url)).status).toBe(401);
    const other = await createSession(t.api, a.accessToken, 'elsewhere');
    const url2 = ((await (await open(a.accessToken, s.id)).json()) as { url: string }).url;
    expect((await workspaceRequest(url2.replace(originOf(s.id), originOf(other.id)))).status).toBe(401);
    // Expired after a minute (the clock moved on): refused, and not consumed by the failed try.
    const url3 = ((await (await open(a.accessToken, s.id)).json()) as { url: string }).url;
    const realNow = t.server.deps.now;
    t.server.deps.now = () => new Date(Date.now() + 61_000);
    try {
      expect((await workspaceRequest(url3)).status).toBe(401);
    } finally {
      t.server.deps.now = realNow;
    }
    expect((await workspaceRequest(url3)).status).toBe(303);
    const res = await page(s.id, cookie);
    expect(res.status).toBe(200);
    expect(res.body).toContain('<html');
    // Theia's own cookie is re-scoped host-only to the workspace origin.
    const theia = String(res.headers['set-cookie']);
    expect(theia).toContain('theia-connection-token=');
    expect(theia).toContain('SameSite=None');
    expect(theia).not.toContain('SameSite=strict');
    // The workspace origin serves nothing of the app: no API, no /ws/ paths; the app origin no longer serves /ws/.
    const apiThere = await workspaceRequest(`${originOf(s.id)}/api/v5/health`, { headers: { cookie } });
    expect(apiThere.body).not.toContain('"status"');
    expect((await fetch(`${t.origin}/ws/${s.id}/`, { headers: { cookie } })).status).toBe(404);
    expect(fs.existsSync(path.join(t.dataDir, 'workspaces', a.tenantId, s.id))).toBe(true);
    const session = await t.api.get(`/sessions/${s.id}`, { token: a.accessToken });
    expect(session.body.lastOpenedAt).toBeTruthy();
    expect((await t.api.post(`/sessions/${s.id}/stop`, undefined, { token: a.accessToken })).body.status).toBe('stopped');
  });

  it('a ticket is redeemed once only, even when raced', async () => {
    const s = await createSession(t.api, a.accessToken, 'raced');
    const urls = await Promise.all(Array.from({ length: 50 }, async () => ((await (await open(a.accessToken, s.id)).json()) as { url: string }).url));
    let redeemed = 0;
    for (const url of urls) {
      const answers = await Promise.all(Array.from({ length: 20 }, () => workspaceRequest(url)));
      redeemed += answers.filter((r) => r.status === 303).length;
      expect(answers.filter((r) => r.status !== 303 && r.status !== 401)).toEqual([]);
    }
    console.log(`ticket race: ${urls.length} tickets × 20 concurrent tries → ${redeemed} redeemed`);
    expect(redeemed).toBe(urls.length);
    await t.api.post(`/sessions/${s.id}/stop`, undefined, { token: a.accessToken });
  }, 120_000);

  it('refuses the workspace origin without a cookie, with another session\'s cookie, another tenant\'s, a revoked login, or from another origin — HTTP and WebSocket', async () => {
    const mine = await createSession(t.api, a.accessToken, 'mine');
    const other = await createSession(t.api, a.accessToken, 'other');
    const mineCookie = await openCookie(a.accessToken, mine.id);
    const b = await registerAccount(t.api);
    const bSession = await createSession(t.api, b.accessToken);
    // Attacker B crafts a request for A's running workspace with B's own (valid) cookie for B's session.
    const bCookie = await openCookie(b.accessToken, bSession.id);
    await t.api.post(`/sessions/${bSession.id}/stop`, undefined, { token: b.accessToken });

    expect((await page(mine.id)).status).toBe(401);
    expect((await page(mine.id, 'coditect_ws=garbage')).status).toBe(401);
    expect((await page(other.id, mineCookie)).status).toBe(404); // a cookie for another session
    expect((await page(mine.id, bCookie)).status).toBe(404); // another tenant's cookie
    // B cannot even open A's session.
    expect((await open(b.accessToken, mine.id)).status).toBe(404);

    // The legit cookie works, also for the WebSocket (with Theia's own connection cookie).
    const ok = await page(mine.id, mineCookie);
    expect(ok.status).toBe(200);
    const theiaCookie = ok.cookies.find((c) => c.startsWith('theia-connection-token='))!;
    const both = `${mineCookie}; ${theiaCookie}`;
    expect((await upgrade(mine.id, both)).statusLine).toContain(' 101 ');
    expect((await upgrade(mine.id, theiaCookie)).statusLine).toContain(' 401 ');
    expect((await upgrade(mine.id, `${bCookie}; ${theiaCookie}`)).statusLine).toContain(' 404 ');
    // Another origin (another workspace, the app) cannot use the user's cookie: no WebSocket, no fetch.
    expect((await upgrade(mine.id, both, originOf(other.id))).statusLine).toContain(' 403 ');
    expect((await upgrade(mine.id, both, t.origin)).statusLine).toContain(' 403 ');
    expect((await page(mine.id, both, { 'sec-fetch-site': 'same-site', 'sec-fetch-mode': 'cors' })).status).toBe(403);
    expect((await page(mine.id, both, { 'sec-fetch-site': 'cross-site', 'sec-fetch-mode': 'no-cors' })).status).toBe(403);
    // …while a navigation from the app (its iframe) is fine.
    expect((await page(mine.id, both, { 'sec-fetch-site': 'cross-site', 'sec-fetch-mode': 'navigate' })).status).toBe(200);

    // Revoking the login that opened it ends access on the next request.
    const second = await login(t.api, a.email);
    const cookie2 = await openCookie(second.body.accessToken, mine.id);
    expect((await page(mine.id, cookie2)).status).toBe(200);
    await t.api.post('/auth/logout', undefined, { token: second.body.accessToken });
    expect((await page(mine.id, cookie2)).status).toBe(401);
    expect((await upgrade(mine.id, `${cookie2}; ${theiaCookie}`)).statusLine).toContain(' 401 ');
    await t.api.post(`/sessions/${mine.id}/stop`, undefined, { token: a.accessToken });
  });

  it('the workspace token works only through its own socket, only for its own session, and dies with the workspace', async () => {
    const s = await createSession(t.api, a.accessToken, 'with token');
    const other = await createSession(t.api, a.accessToken, 'sibling');
    await open(a.accessToken, s.id);
    const proc = t.server.deps.workspaces.runner.get(s.id)!;
    const token = workspaceTokenOf(proc.pid);
    const sock = proc.apiSocketPath;
    expect((await requestViaSocket(sock, 'GET', `/api/v5/sessions/${s.id}`, token)).status).toBe(200);
    const patched = await requestViaSocket(sock, 'PATCH', `/api/v5/sessions/${s.id}`, token, { activeFiles: ['x.ts'] });
    expect(patched.status).toBe(200);
    expect(patched.body.activeFiles).toEqual(['x.ts']);
    // Its own session only: siblings look absent; deleting, opening, stopping or creating is not for it (403).
    expect((await requestViaSocket(sock, 'GET', `/api/v5/sessions/${other.id}`, token)).status).toBe(404);
    expect((await requestViaSocket(sock, 'DELETE', `/api/v5/sessions/${other.id}`, token)).status).toBe(403);
    expect((await requestViaSocket(sock, 'POST', `/api/v5/sessions/${s.id}/stop`, token)).status).toBe(403);
    expect((await requestViaSocket(sock, 'GET', '/api/v5/sessions', token)).body.items.map((x: { id: string }) => x.id)).toEqual([s.id]);
    // Exfiltrated to the public port, it is worthless.
    expect((await t.api.get(`/sessions/${s.id}`, { token })).status).toBe(401);
    await t.api.post(`/sessions/${s.id}/stop`, undefined, { token: a.accessToken });
    expect(fs.existsSync(sock)).toBe(false);
    // Reopened, the old instance's token is dead even on the new socket.
    await open(a.accessToken, s.id);
    const sock2 = t.server.deps.workspaces.runner.get(s.id)!.apiSocketPath;
    expect((await requestViaSocket(sock2, 'GET', `/api/v5/sessions/${s.id}`, token)).status).toBe(401);
    await t.api.post(`/sessions/${s.id}/stop`, undefined, { token: a.accessToken });
  });

  it('answers 503 workspace_capacity when the node is full', async () => {
    const ids = await Promise.all([1, 2, 3].map((i) => createSession(t.api, a.accessToken, `cap ${i}`)));
    expect((await open(a.accessToken, ids[0]!.id)).status).toBe(200);
    expect((await open(a.accessToken, ids[1]!.id)).status).toBe(200);
    const full = await open(a.accessToken, ids[2]!.id);
    expect(full.status).toBe(503);
    expect(((await full.json()) as { error: { code: string } }).error.code).toBe('workspace_capacity');
    await t.server.deps.workspaces.runner.stopAll().catch(() => {});
  });

  it('restarts a crashed backend on the next open; stops idle ones', async () => {
    const t2 = await startTestServer('sqlite', { CODITECT_WORKSPACE_IDLE_MINUTES: '0.01' });
    try {
      const b = await registerAccount(t2.api);
      const s = await createSession(t2.api, b.accessToken);
      const openB = () => fetch(`${t2.origin}/api/v5/sessions/${s.id}/open`, { method: 'POST', headers: { authorization: `Bearer ${b.accessToken}` } });
      expect((await openB()).status).toBe(200);
      const first = t2.server.deps.workspaces.runner.get(s.id)!;
      process.kill(-first.pid, 'SIGKILL');
      await first.exited;
      expect((await t2.api.get(`/sessions/${s.id}/status`, { token: b.accessToken })).body.status).toBe('stopped');
      expect((await openB()).status).toBe(200);
      const second = t2.server.deps.workspaces.runner.get(s.id)!;
      expect(second.pid).not.toBe(first.pid);
      // Idle (no connection, 0.6 s timeout): the reaper stops it.
      await new Promise((r) => setTimeout(r, 700));
      expect(await t2.server.deps.workspaces.runner.reapIdle()).toEqual([s.id]);
      expect(isAlive(second.pid)).toBe(false);
    } finally {
      await t2.close();
    }
  });
});
