/**
 * CODITECT_WORKSPACE_RUNTIME=gvisor with a runsc that cannot run (here /bin/false): opening a
 * workspace answers 503 workspace_runtime_unavailable naming the runtime and the reason, with no
 * fallback to bubblewrap; the rest of the API keeps working.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createSession, registerAccount, type Account } from '../test-support/factories.js';
import { describeEachEngine } from '../test-support/engines.js';
import { startTestServer, type TestServer } from '../test-support/test-server.js';

describeEachEngine('a workspace runtime that was asked for and is broken', (engine) => {
  let t: TestServer;
  let a: Account;

  beforeAll(async () => {
    t = await startTestServer(engine, { CODITECT_WORKSPACE_RUNTIME: 'gvisor', CODITECT_RUNSC_PATH: '/bin/false' });
    a = await registerAccount(t.api);
  }, 120_000);
  afterAll(async () => {
    await t?.close();
  });

  it('opening answers 503 workspace_runtime_unavailable; nothing starts; the API still works', async () => {
    const s = await createSession(t.api, a.accessToken);
    const res = await fetch(`${t.origin}/api/v5/sessions/${s.id}/open`, { method: 'POST', headers: { authorization: `Bearer ${a.accessToken}` } });
    expect(res.status).toBe(503);
    const body = (await res.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('workspace_runtime_unavailable');
    expect(body.error.message).toMatch(/gvisor runtime is unavailable: runsc cannot start a sandbox here/);
    expect(t.server.deps.workspaces.runner.size).toBe(0);
    expect((await t.server.deps.workspaces.runner.runtime()).runtime).toBe('gvisor');
    expect((await t.api.get(`/sessions/${s.id}/status`, { token: a.accessToken })).body.status).toBe('stopped');
  }, 60_000);
});
