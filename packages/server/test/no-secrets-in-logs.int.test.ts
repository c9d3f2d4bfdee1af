/**
 * Runs the product's main flows with logging at its most verbose and then scans
 * every log line for the secrets those flows handled: passwords, access and
 * refresh tokens, personal access tokens, provider keys and the server's own keys.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { FAKE_UPSTREAM_EGRESS, FakeUpstream } from '../src/llm/testing/fake-upstream.js';
import { readSse } from '../src/llm/testing/sse-client.js';
import { describeEachEngine } from '../src/test-support/engines.js';
import { createSession, login, PASSWORD, registerAccount } from '../src/test-support/factories.js';
import { startTestServer, type TestServer } from '../src/test-support/test-server.js';

describeEachEngine('no secret reaches a log line', (engine) => {
  const lines: string[] = [];
  const sink = new Writable({ write(chunk, _enc, done) { lines.push(String(chunk)); done(); } });
  let t: TestServer;
  let fake: FakeUpstream;
  const secrets: Record<string, string> = {};

  beforeAll(async () => {
    fake = await new FakeUpstream().start();
    t = await startTestServer(engine, { ...FAKE_UPSTREAM_EGRESS }, { log: pino({ level: 'trace' }, sink) });
  });
  afterAll(async () => {
    await t.close();
    await fake.close();
  });

  it('through sign-up, sign-in, refresh, password change, tokens, sessions, a provider key and a chat', async () => {
    const a = await registerAccount(t.api);
    secrets.password = PASSWORD;
    secrets.registerAccess = a.accessToken;
    secrets.registerRefresh = a.refreshToken;
    const second = await login(t.api, a.email);
    secrets.loginAccess = second.body.accessToken;
    secrets.loginRefresh = second.body.refreshToken;
    const refreshed = await t.api.post('/auth/refresh', { refreshToken: second.body.refreshToken });
    secrets.rotatedRefresh = refreshed.body.refreshToken;
    await t.api.post('/auth/refresh', { refreshToken: second.body.refreshToken }); // a replay, logged as a warning
    await login(t.api, a.email, 'a wrong password that must not be logged');
    secrets.wrongPassword = 'a wrong password that must not be logged';
    await t.api.put('/users/me/password', { currentPassword: PASSWORD, newPassword: 'the new password 42' }, { token: a.accessToken });
    secrets.newPassword = 'the new password 42';
    const pat = await t.api.post('/users/me/tokens', { name: 'cli', scopes: ['llm', 'sessions'] }, { token: a.accessToken });
    expect(pat.status).toBe(201);
    secrets.pat = pat.body.token;
    await t.api.get('/sessions', { token: pat.body.token });
    await createSession(t.api, a.accessToken);
    secrets.providerKey = 'sk-live-provider-key-that-must-never-be-logged-1234';
    const put = await t.api.put('/llm/providers/openai', { apiKey: secrets.providerKey, baseUrl: fake.baseUrl('openai'), enabled: true }, { token: a.accessToken });
    expect(put.status).toBe(200);
    const res = await fetch(`${t.api.baseUrl}/llm/chat`, { method: 'POST',
      headers: { authorization: `Bearer ${a.accessToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'openai/gpt-4o', messages: [{ role: 'user', content: 'hello' }] }) });
    expect(res.status).toBe(200);
    await readSse(res);
    expect(fake.last('openai')!.headers.authorization).toBe(`Bearer ${secrets.providerKey}`);
    for (const file of ['jwt-secret', 'jwt-signing-key.pem']) {
      const p = path.join(t.dataDir, 'secrets', file);
      if (fs.existsSync(p)) secrets[file] = fs.readFileSync(p, 'utf8').trim().split('\n').find((l) => l.length > 20 && !l.startsWith('-----'))!;
    }

    expect(lines.length).toBeGreaterThan(10); // the flows really were logged (a line per request at least)
    const log = lines.join('');
    for (const [name, value] of Object.entries(secrets)) {
      expect(value, name).toBeTruthy();
      expect(log.includes(value), `${name} appears in the log`).toBe(false);
    }
    // Refresh tokens are `{tenant}.{secret}`: the secret half must not appear either.
    for (const name of ['registerRefresh', 'loginRefresh', 'rotatedRefresh']) {
      expect(log.includes(secrets[name]!.split('.')[1]!), name).toBe(false);
    }
  });
});
