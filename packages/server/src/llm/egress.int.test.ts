/**
 * The gateway from a tenant's side: base URLs that point inside the server's
 * network are refused at save and at call time (DNS rebinding included), a
 * key never follows a changed base URL, and upstream error bodies never reach
 * the tenant. Real HTTP on both engines; a fake DNS (the policy's resolver)
 * plays the attacker's name server.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EgressPolicy, type Resolver } from '../egress/egress-policy.js';
import { describeEachEngine } from '../test-support/engines.js';
import { registerAccount, type Account } from '../test-support/factories.js';
import { startTestServer, type TestServer } from '../test-support/test-server.js';
import { FakeUpstream } from './testing/fake-upstream.js';

const PUBLIC = '93.184.216.34';
const KEY = 'sk-egress-test-KEY-value-7777';
const CANARY = 'CANARY-internal-admin-panel-4f1e9b';

describeEachEngine('Gateway egress', (engine) => {
  /** What the attacker wants to reach: a service on 127.0.0.1, which is not allow-listed. */
  let inside: FakeUpstream;
  /** An upstream the operator allowed (127.0.0.2/32). */
  let allowed: FakeUpstream;
  /** Answers every request with a redirect into the allowed upstream's /landed. */
  let redirector: http.Server;
  let redirectorUrl = '';
  let landed = 0;
  let t: TestServer;
  let a: Account;
  const logs: string[] = [];
  /** How often each name was looked up; `rebind.test` answers a public address first, then loopback. */
  const lookups = new Map<string, number>();
  /** Names a test adds to the fake DNS while it runs. */
  const extra = new Map<string, string>();

  const resolver: Resolver = async (name) => {
    const n = (lookups.get(name) ?? 0) + 1;
    lookups.set(name, n);
    const table: Record<string, string> = {
      'public.test': PUBLIC, 'internal.test': '10.0.0.7', 'meta.test': '169.254.169.254', localhost: '127.0.0.1',
      'upstream.test': '127.0.0.2', 'rebind.test': n === 1 ? PUBLIC : '127.0.0.1',
    };
    const address = table[name] ?? extra.get(name);
    if (!address) throw Object.assign(new Error(`ENOTFOUND ${name}`), { code: 'ENOTFOUND' });
    return [{ address, family: 4 }];
  };

  beforeAll(async () => {
    inside = await new FakeUpstream().start('127.0.0.1');
    allowed = await new FakeUpstream().start('127.0.0.2');
    redirector = http.createServer((req, res) => {
      if (req.url?.includes('/landed')) landed++;
      res.writeHead(302, { location: `${allowed.origin}/landed` }).end();
    });
    await new Promise<void>((r) => redirector.listen(0, '127.0.0.2', r));
    redirectorUrl = `http://127.0.0.2:${(redirector.address() as AddressInfo).port}/v1`;
    const sink = new Writable({ write(chunk, _enc, cb) { logs.push(String(chunk)); cb(); } });
    t = await startTestServer(engine, {
      CODITECT_LLM_MAX_RETRIES: '0',
      // Operator-set URLs are trusted, loopback or not.
      CODITECT_LLM_OLLAMA_BASE_URL: inside.baseUrl('ollama'),
    }, { log: pino({ level: 'info' }, sink), egress: new EgressPolicy({ allow: '127.0.0.2/32', resolver }) });
    a = await registerAccount(t.api);
  });
  afterAll(async () => {
    await t?.close();
    await inside?.close();
    await allowed?.close();
    await new Promise<void>((r) => (redirector ? redirector.close(() => r()) : r()));
  });

  const put = (provider: string, body: object) => t.api.put(`/llm/providers/${provider}`, body, { token: a.accessToken });
  const status = async (provider: string) =>
    (await t.api.get('/llm/providers', { token: a.accessToken })).body.items.find((p: any) => p.provider === provider);
  const chat = (model: string) => fetch(`${t.api.baseUrl}/llm/chat`, {
    method: 'POST', headers: { authorization: `Bearer ${a.accessToken}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model, persist: false, messages: [{ role: 'user', content: 'hi' }] }),
  });

  describe('at save time', () => {
    const refused: [string, string][] = [
      ['http://127.0.0.1:1/v1', 'loopback'],
      ['http://2130706433/v1', 'loopback'],
      ['http://0x7f.1/v1', 'loopback'],
      ['http://127.0.0.1./v1', 'loopback'],
      ['http://[::ffff:127.0.0.1]/v1', 'loopback'],
      ['http://[::1]:11434', 'loopback'],
      ['http://localhost:11434', 'loopback'],
      ['http://10.0.0.7/v1', 'private'],
      ['http://internal.test/v1', 'private'],
      ['http://192.168.1.1/v1', 'private'],
      ['http://[fd12::1]/v1', 'unique-local'],
      ['http://169.254.169.254/latest/meta-data', 'metadata'],
      ['http://meta.test/computeMetadata/v1', 'metadata'],
      ['http://[fd00:ec2::254]/', 'metadata'],
      ['http://100.100.100.200/', 'metadata'],
      ['http://100.64.0.1/v1', 'carrier-grade-nat'],
      ['http://169.254.10.10/v1', 'link-local'],
      ['http://0.0.0.0:8080/v1', 'unspecified'],
    ];
    it.each(refused)('refuses %s with 422 egress_denied (%s) and stores nothing', async (url, cls) => {
      const res = await put('openai-compatible', { apiKey: KEY, baseUrl: url });
      expect(res.status, JSON.stringify(res.body)).toBe(422);
      expect(res.body.error.code).toBe('egress_denied');
      expect(res.body.error.details).toEqual([expect.objectContaining({ path: 'baseUrl', code: cls })]);
      // The class is named; what a name resolved to is not.
      expect(res.body.error.message).toMatch(/address/);
      expect(JSON.stringify(res.body)).not.toMatch(/10\.0\.0\.7|169\.254\.169\.254(?!\/)|127\.0\.0\.2/);
      expect((await status('openai-compatible')).baseUrl).not.toBe(url);
    });

    it('answers 400 for a URL that names no host', async () => {
      const res = await put('openai-compatible', { baseUrl: 'http://[::1/v1' });
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('validation_failed');
    });

    it('accepts a public address, an allow-listed one, and the operator\'s own URL', async () => {
      expect((await put('lmstudio', { baseUrl: 'https://public.test/v1' })).status).toBe(200);
      expect((await put('lmstudio', { baseUrl: `${allowed.origin}/lmstudio/v1` })).status).toBe(200);
      // The operator pointed Ollama at loopback; a form that sends that URL back is not refused.
      const ollama = await put('ollama', { baseUrl: inside.baseUrl('ollama'), enabled: true });
      expect(ollama.status, JSON.stringify(ollama.body)).toBe(200);
      expect(ollama.body).toMatchObject({ baseUrl: inside.baseUrl('ollama'), configured: true });
    });
  });

  describe('at call time', () => {
    it('refuses a stored name that now resolves to loopback (DNS rebinding): nothing is sent', async () => {
      const url = `http://rebind.test:${new URL(inside.origin).port}/compat/v1`;
      const saved = await put('openai-compatible', { apiKey: KEY, baseUrl: url });
      expect(saved.status, JSON.stringify(saved.body)).toBe(200);
      expect(lookups.get('rebind.test')).toBe(1);
      const before = inside.requests.length;

      const res = await chat('openai-compatible/some-model');
      expect(res.status).toBe(422);
      const body = (await res.json()) as any;
      expect(body.error.code).toBe('egress_denied');
      expect(body.error.message).toContain('loopback');
      expect(body.error.message).not.toContain('127.0.0.1');
      const probe = await t.api.post('/llm/providers/openai-compatible/test', {}, { token: a.accessToken });
      expect(probe.body).toMatchObject({ ok: false, message: expect.stringContaining('loopback') });
      const models = await t.api.get('/llm/models', { token: a.accessToken });
      expect(models.body.errors).toEqual(expect.arrayContaining([expect.objectContaining({ provider: 'openai-compatible' })]));

      expect(lookups.get('rebind.test')).toBeGreaterThanOrEqual(4);
      // The service on 127.0.0.1 never saw a byte for the tenant's URL: not the chat, not the test, not the listing
      // (the listing does reach the operator's own Ollama there).
      const seen = inside.requests.slice(before);
      expect(seen.filter((r) => r.flavour !== 'ollama')).toEqual([]);
      expect(seen.map((r) => r.path)).toEqual(['/ollama/api/tags']);
    });

    it('connects to the address it checked (a name no real DNS knows is reached through the pinned lookup)', async () => {
      const url = `http://upstream.test:${new URL(allowed.origin).port}/compat/v1`;
      expect((await put('openai-compatible', { apiKey: KEY, baseUrl: url })).status).toBe(200);
      const res = await chat('openai-compatible/m');
      expect(res.status).toBe(200);
      await res.text();
      const req = allowed.last('compat')!;
      expect(req.headers.host).toBe(`upstream.test:${new URL(allowed.origin).port}`);
      expect(req.headers.authorization).toBe(`Bearer ${KEY}`);
    });

    it('accepts a name that does not resolve yet, and checks it again at every call', async () => {
      expect((await put('lmstudio', { baseUrl: 'http://not-yet.test/v1' })).status).toBe(200);
      let res = await chat('lmstudio/m');
      expect(res.status).toBe(502);
      expect(((await res.json()) as any).error).toMatchObject({ code: 'upstream_unreachable', message: 'LM Studio could not be reached' });
      // Later the name appears, pointing inside: refused.
      extra.set('not-yet.test', '127.0.0.1');
      res = await chat('lmstudio/m');
      expect(res.status).toBe(422);
      expect(((await res.json()) as any).error.code).toBe('egress_denied');
    });

    it('does not trust the built-in loopback default of LM Studio, which the operator did not choose', async () => {
      expect((await put('lmstudio', { baseUrl: null, enabled: true })).status).toBe(200);
      const res = await chat('lmstudio/m');
      expect(res.status).toBe(422);
      expect(((await res.json()) as any).error).toMatchObject({ code: 'egress_denied', message: expect.stringContaining('loopback') });
      const explicit = await put('lmstudio', { baseUrl: 'http://127.0.0.1:1234/v1' });
      expect(explicit.status).toBe(422);
    });

    it('trusts the operator\'s loopback URL (no allow-list entry needed)', async () => {
      const before = inside.requests.length;
      const res = await chat('ollama/llama3.2:1b');
      expect(res.status).toBe(200);
      expect(await res.text()).toContain('"status":"ok"');
      expect(inside.requests.length).toBe(before + 1);
    });

    it('does not follow a redirect (which could point anywhere)', async () => {
      expect((await put('lmstudio', { baseUrl: redirectorUrl })).status).toBe(200);
      const res = await chat('lmstudio/m');
      expect(res.status).toBe(502);
      const body = (await res.json()) as any;
      expect(body.error).toMatchObject({ code: 'upstream_error' });
      expect(body.error.message).toContain('redirect');
      expect(JSON.stringify(body)).not.toContain('landed');
      expect(landed).toBe(0);
    });
  });

  describe('a key never follows a changed base URL', () => {
    it('drops the stored key when only the base URL changes: the new URL gets no Authorization header', async () => {
      const first = `${allowed.origin}/compat/v1`;
      const second = `http://upstream.test:${new URL(allowed.origin).port}/compat/v1`;
      expect((await put('openai-compatible', { apiKey: KEY, baseUrl: first })).body).toMatchObject({ keyHint: '7777', keySource: 'tenant' });
      // Sending the same URL back (a form saving the enabled switch) keeps the key.
      expect((await put('openai-compatible', { baseUrl: first, enabled: true })).body).toMatchObject({ keyHint: '7777' });
      let res = await chat('openai-compatible/m');
      await res.text();
      expect(allowed.last('compat')!.headers.authorization).toBe(`Bearer ${KEY}`);

      const moved = await put('openai-compatible', { baseUrl: second });
      expect(moved.status).toBe(200);
      expect(moved.body).toMatchObject({ baseUrl: second, keyHint: null, keySource: null });
      expect(JSON.stringify(await status('openai-compatible'))).not.toContain('7777');
      const row = await t.server.deps.store.tenant(a.tenantId, (tx) => tx.selectFrom('provider_credentials').selectAll()
        .where('tenant_id', '=', a.tenantId).where('provider', '=', 'openai-compatible').executeTakeFirstOrThrow());
      expect(row).toMatchObject({ encrypted_key: null, key_hint: null, base_url: second });

      const before = allowed.requests.length;
      res = await chat('openai-compatible/m');
      expect(res.status).toBe(200);
      await res.text();
      expect(allowed.requests.length).toBe(before + 1);
      expect(allowed.last('compat')!.headers.authorization).toBeUndefined();
    });

    it('a provider that needs a key is not configured after its URL moved, until a key comes with it', async () => {
      expect((await put('openai', { apiKey: KEY, baseUrl: `${allowed.origin}/openai/v1` })).body).toMatchObject({ configured: true });
      const moved = await put('openai', { baseUrl: `http://upstream.test:${new URL(allowed.origin).port}/openai/v1` });
      expect(moved.body).toMatchObject({ configured: false, keyHint: null });
      const res = await chat('openai/gpt-4o');
      expect(res.status).toBe(409);
      expect(((await res.json()) as any).error.code).toBe('provider_not_configured');
      const withKey = await put('openai', { apiKey: 'sk-second-key-8888', baseUrl: `${allowed.origin}/openai/v1` });
      expect(withKey.body).toMatchObject({ configured: true, keyHint: '8888' });
    });
  });

  describe('upstream error bodies stay with the operator', () => {
    it('never shows a tenant the upstream\'s words (chat, provider status, connection test)', async () => {
      expect((await put('openai-compatible', { apiKey: KEY, baseUrl: `${allowed.origin}/compat/v1` })).status).toBe(200);
      allowed.enqueue('compat', { kind: 'status', status: 500, message: CANARY });
      const res = await chat('openai-compatible/m');
      expect(res.status).toBe(502);
      const text = await res.text();
      expect(JSON.parse(text).error).toMatchObject({ code: 'upstream_error', message: 'OpenAI-compatible failed to answer' });
      expect(text).not.toContain(CANARY);

      allowed.enqueue('compat', { kind: 'status', status: 401, message: `${CANARY} bad key ${KEY}` });
      const denied = await chat('openai-compatible/m');
      expect(denied.status).toBe(502);
      const deniedText = await denied.text();
      expect(JSON.parse(deniedText).error.code).toBe('upstream_auth_failed');
      expect(deniedText).not.toContain(CANARY);

      const list = JSON.stringify((await t.api.get('/llm/providers', { token: a.accessToken })).body);
      expect(list).toContain('rejected the API key');
      expect(list).not.toContain(CANARY);

      // The connection test of a catalog provider sends a one-token request.
      const openai = async () => ((await t.api.get('/llm/providers', { token: a.accessToken })).body.items as any[])
        .find((p) => p.provider === 'openai');
      const saved = await put('openai', { apiKey: KEY, baseUrl: `${allowed.origin}/openai/v1` });
      expect(saved.status).toBe(200);
      expect(saved.body).toMatchObject({ verification: 'untested', lastCheckedAt: null, lastVerifiedAt: null });
      allowed.enqueue('openai', { kind: 'status', status: 400, message: CANARY });
      const probe = await t.api.post('/llm/providers/openai/test', {}, { token: a.accessToken });
      expect(probe.body).toMatchObject({ ok: false, message: 'OpenAI rejected the request' });
      expect(JSON.stringify(probe.body)).not.toContain(CANARY);
      // The failed test is the provider's state now (it used to stay "ready"), with when and why.
      expect(await openai()).toMatchObject({ verification: 'failing', status: 'error', lastError: 'OpenAI rejected the request',
        lastCheckedAt: expect.any(String), lastVerifiedAt: null });
      const passed = await t.api.post('/llm/providers/openai/test', {}, { token: a.accessToken });
      expect(passed.body, JSON.stringify(passed.body)).toMatchObject({ ok: true });
      expect(await openai()).toMatchObject({ verification: 'verified', status: 'ready', lastError: null, lastVerifiedAt: expect.any(String) });

      // Positive control: the upstream did say it, and the operator's log keeps it (without the key).
      await new Promise((r) => setTimeout(r, 50));
      const logText = logs.join('');
      expect(logText).toContain(CANARY);
      expect(logText).not.toContain(KEY);
    });
  });
});
