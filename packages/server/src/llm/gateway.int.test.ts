import fs from 'node:fs';
import { Writable } from 'node:stream';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeEachEngine } from '../test-support/engines.js';
import { registerAccount, type Account } from '../test-support/factories.js';
import { upsertBudget } from '../store/repositories/llm-usage.js';
import { startTestServer, type TestServer } from '../test-support/test-server.js';
import { FAKE_UPSTREAM_EGRESS, FAKE_USAGE, FakeUpstream, type Flavour } from './testing/fake-upstream.js';
import { readSse } from './testing/sse-client.js';

const KEYS = {
  anthropic: 'sk-ant-test-ANTHROPIC-secret-1111',
  openai: 'sk-test-OPENAI-secret-value-2222',
  google: 'AIza-test-GOOGLE-secret-3333',
  xai: 'xai-test-XAI-secret-value-4444',
  'openai-compatible': 'compat-test-COMPAT-secret-5555',
};

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describeEachEngine('LLM gateway', (engine) => {
  let t: TestServer;
  let fake: FakeUpstream;
  let a: Account;
  let b: Account;
  const logLines: string[] = [];

  beforeAll(async () => {
    fake = await new FakeUpstream().start();
    const sink = new Writable({ write(chunk, _enc, cb) { logLines.push(String(chunk)); cb(); } });
    t = await startTestServer(engine, {
      ...FAKE_UPSTREAM_EGRESS,
      CODITECT_LLM_MAX_RETRIES: '1',
      CODITECT_LLM_RETRY_BASE_MS: '10',
      CODITECT_LLM_FIRST_TOKEN_TIMEOUT_MS: '1500',
    }, { log: pino({ level: 'trace' }, sink) });
    a = await registerAccount(t.api);
    b = await registerAccount(t.api);
    const configure: [string, Flavour, string | undefined][] = [
      ['anthropic', 'anthropic', KEYS.anthropic], ['openai', 'openai', KEYS.openai], ['google', 'google', KEYS.google],
      ['xai', 'xai', KEYS.xai], ['openai-compatible', 'compat', KEYS['openai-compatible']], ['lmstudio', 'lmstudio', undefined],
      ['ollama', 'ollama', undefined],
    ];
    for (const [provider, flavour, apiKey] of configure) {
      const res = await t.api.put(`/llm/providers/${provider}`, { apiKey, baseUrl: fake.baseUrl(flavour), enabled: true }, { token: a.accessToken });
      expect(res.status, JSON.stringify(res.body)).toBe(200);
    }
  });
  afterAll(async () => {
    await t?.close();
    await fake?.close();
  });

  const chat = (token: string, body: object, signal?: AbortSignal) => fetch(`${t.api.baseUrl}/llm/chat`, {
    method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body), signal,
  });
  const chatEvents = async (token: string, body: object) => {
    const res = await chat(token, body);
    expect(res.status, res.status === 200 ? '' : await res.clone().text()).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    return (await readSse(res)).map((e) => ({ event: e.event, ...JSON.parse(e.data) }));
  };

  const cases: { provider: string; flavour: Flavour; model: string; auth: (h: Record<string, any>) => void; messages: (body: any) => unknown }[] = [
    { provider: 'anthropic', flavour: 'anthropic', model: 'claude-sonnet-4-5',
      auth: (h) => { expect(h['x-api-key']).toBe(KEYS.anthropic); expect(h['anthropic-version']).toBeTruthy(); },
      messages: (body) => { expect(body.system).toEqual([{ type: 'text', text: 'Be brief.' }]); return body.messages[0].content[0].text; } },
    { provider: 'openai', flavour: 'openai', model: 'gpt-4o',
      auth: (h) => expect(h.authorization).toBe(`Bearer ${KEYS.openai}`),
      messages: (body) => { expect(body.stream).toBe(true); expect(body.messages[0]).toEqual({ role: 'system', content: 'Be brief.' }); return body.messages[1].content; } },
    { provider: 'google', flavour: 'google', model: 'gemini-2.5-flash',
      auth: (h) => expect(h['x-goog-api-key']).toBe(KEYS.google),
      messages: (body) => { expect(body.systemInstruction.parts[0].text).toBe('Be brief.'); return body.contents[0].parts[0].text; } },
    { provider: 'xai', flavour: 'xai', model: 'grok-3',
      auth: (h) => expect(h.authorization).toBe(`Bearer ${KEYS.xai}`),
      messages: (body) => body.messages[1].content },
    { provider: 'openai-compatible', flavour: 'compat', model: 'deepseek-chat',
      auth: (h) => expect(h.authorization).toBe(`Bearer ${KEYS['openai-compatible']}`),
      messages: (body) => body.messages[1].content },
    { provider: 'lmstudio', flavour: 'lmstudio', model: 'qwen2.5-coder:7b',
      auth: (h) => expect(h.authorization).toBeUndefined(),
      messages: (body) => body.messages[1].content },
    { provider: 'ollama', flavour: 'ollama', model: 'llama3.2:1b',
      auth: (h) => expect(h.authorization).toBeUndefined(),
      messages: (body) => { expect(body.stream).toBe(true); expect(body.options.num_predict).toBe(64); return body.messages[1].content; } },
  ];

  for (const c of cases) {
    it(`streams ${c.provider} over its wire protocol and accounts usage`, async () => {
      const events = await chatEvents(a.accessToken, {
        model: `${c.provider}/${c.model}`, system: 'Be brief.', maxTokens: 64, persist: false,
        messages: [{ role: 'user', content: `ping ${c.provider}` }],
      });
      const req = fake.last(c.flavour)!;
      expect(req.method).toBe('POST');
      c.auth(req.headers);
      if (c.flavour === 'google') expect(req.path).toBe(`/google/v1beta/models/${c.model}:streamGenerateContent?alt=sse`);
      else expect(req.body.model).toBe(c.model);
      expect(c.messages(req.body)).toBe(`ping ${c.provider}`);

      expect(events[0]).toMatchObject({ type: 'start', model: `${c.provider}/${c.model}` });
      const text = events.filter((e) => e.type === 'delta').map((e) => e.text).join('');
      expect(text).toBe(`Hello from fake ${c.flavour}`);
      const usage = events.find((e) => e.type === 'usage');
      expect(usage).toMatchObject({ provider: c.provider, model: `${c.provider}/${c.model}`, status: 'ok',
        inputTokens: FAKE_USAGE.input, outputTokens: FAKE_USAGE.output });
      expect(events.at(-1)!.type).toBe('done');
      const report = await t.api.get('/llm/usage', { token: a.accessToken });
      expect(report.body.byModel.find((g: any) => g.key === `${c.provider}/${c.model}`)).toMatchObject({ requests: 1, errors: 0 });
    });
  }

  it('lists providers with key hints, never keys, and lists models that are really there', async () => {
    const res = await t.api.get('/llm/providers', { token: a.accessToken });
    expect(res.status).toBe(200);
    const openai = res.body.items.find((p: any) => p.provider === 'openai');
    expect(openai).toMatchObject({ configured: true, enabled: true, keyHint: '2222', keySource: 'tenant', status: 'ready' });
    for (const key of Object.values(KEYS)) expect(JSON.stringify(res.body)).not.toContain(key);

    const models = await t.api.get('/llm/models', { token: a.accessToken });
    expect(models.status).toBe(200);
    const ids = models.body.items.map((m: any) => m.id);
    expect(ids).toEqual(expect.arrayContaining(['ollama/llama3.2:1b', 'lmstudio/qwen2.5-coder:7b', 'openai/gpt-4o',
      'anthropic/claude-sonnet-4-5', 'openai-compatible/qwen2.5-coder:7b']));
    expect(models.body.items.find((m: any) => m.id === 'openai/gpt-4o').pricing).toEqual({ inputPerMTok: 2.5, outputPerMTok: 10 });
  });

  it('encrypts keys at rest and never logs them, even when the upstream echoes one', async () => {
    fake.enqueue('openai', { kind: 'status', status: 401, message: `Incorrect API key provided: ${KEYS.openai}` });
    const res = await chat(a.accessToken, { model: 'openai/gpt-4o', persist: false, messages: [{ role: 'user', content: 'x' }] });
    expect(res.status).toBe(502);
    const body = await res.text();
    expect(JSON.parse(body).error).toMatchObject({ code: 'upstream_auth_failed', message: 'OpenAI rejected the API key' });
    expect(body).not.toContain(KEYS.openai);
    expect(body).not.toContain('Incorrect API key');
    const providers = await t.api.get('/llm/providers', { token: a.accessToken });
    expect(JSON.stringify(providers.body)).not.toContain(KEYS.openai);

    const logs = logLines.join('');
    expect(logs.length).toBeGreaterThan(0);
    for (const key of Object.values(KEYS)) expect(logs).not.toContain(key);
    if (engine === 'sqlite') {
      const file = t.databaseUrl.replace(/^sqlite:/, '');
      const bytes = Buffer.concat([fs.readFileSync(file), ...(fs.existsSync(`${file}-wal`) ? [fs.readFileSync(`${file}-wal`)] : [])]);
      expect(bytes.includes(Buffer.from('sk-ant-test-ANTHROPIC'))).toBe(false);
      for (const key of Object.values(KEYS)) expect(bytes.includes(Buffer.from(key))).toBe(false);
      // Positive control: the scan does see text that is stored.
      expect(bytes.includes(Buffer.from(a.email))).toBe(true);
    } else {
      const rows = await t.server.deps.store.system((tx) => tx.selectFrom('provider_credentials').selectAll().execute());
      expect(rows.length).toBeGreaterThan(0);
      for (const key of Object.values(KEYS)) expect(JSON.stringify(rows)).not.toContain(key);
    }
  });

  it('persists conversations and continues them with their history', async () => {
    const first = await chatEvents(a.accessToken, { model: 'openai/gpt-4o', messages: [{ role: 'user', content: 'first question' }] });
    const conversationId = first[0].conversationId;
    expect(conversationId).toBeTruthy();
    await chatEvents(a.accessToken, { model: 'openai/gpt-4o', conversationId, messages: [{ role: 'user', content: 'second question' }] });
    expect(fake.last('openai')!.body.messages.map((m: any) => m.content)).toEqual(['first question', 'Hello from fake openai', 'second question']);

    const got = await t.api.get(`/llm/conversations/${conversationId}`, { token: a.accessToken });
    expect(got.status).toBe(200);
    expect(got.body.messages.map((m: any) => m.role)).toEqual(['user', 'assistant', 'user', 'assistant']);
    const list = await t.api.get('/llm/conversations', { token: a.accessToken });
    expect(list.body.items.map((c: any) => c.id)).toContain(conversationId);
    // Every call is counted for Prometheus too (served on the metrics listener, off in tests).
    const metrics = await t.server.deps.metrics.registry.metrics();
    expect(metrics).toMatch(/coditect_llm_calls_total\{provider="openai",status="ok"\} [1-9]/);
    expect(metrics).toMatch(/coditect_llm_tokens_total\{provider="openai",model="(openai\/)?gpt-4o",direction="output"\} [1-9]/);
  });

  it('keeps tenant B out of tenant A\'s keys, conversations and usage (404, never 403)', async () => {
    const first = await chatEvents(a.accessToken, { model: 'openai/gpt-4o', messages: [{ role: 'user', content: 'secret plan' }] });
    const id = first[0].conversationId;
    expect((await t.api.get(`/llm/conversations/${id}`, { token: b.accessToken })).status).toBe(404);
    expect((await t.api.delete(`/llm/conversations/${id}`, { token: b.accessToken })).status).toBe(404);
    const cont = await chat(b.accessToken, { model: 'openai/gpt-4o', conversationId: id, messages: [{ role: 'user', content: 'x' }] });
    expect(cont.status).toBe(404);
    expect((await t.api.get('/llm/conversations', { token: b.accessToken })).body.items).toEqual([]);

    const providers = await t.api.get('/llm/providers', { token: b.accessToken });
    expect(providers.body.items.find((p: any) => p.provider === 'openai')).toMatchObject({ configured: false, keyHint: null });
    const use = await chat(b.accessToken, { model: 'openai/gpt-4o', messages: [{ role: 'user', content: 'x' }] });
    expect(use.status).toBe(409);
    expect(((await use.json()) as any).error.code).toBe('provider_not_configured');
    const usage = await t.api.get('/llm/usage', { token: b.accessToken });
    expect(usage.body.totals.requests).toBe(0);
    // And A's conversation is still there.
    expect((await t.api.get(`/llm/conversations/${id}`, { token: a.accessToken })).status).toBe(200);
  });

  it('retries after the upstream\'s Retry-After', async () => {
    fake.enqueue('anthropic', { kind: 'status', status: 429, retryAfter: '1' });
    const before = fake.requests.length;
    const started = Date.now();
    const events = await chatEvents(a.accessToken, { model: 'anthropic/claude-haiku-4-5', persist: false, messages: [{ role: 'user', content: 'x' }] });
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    expect(fake.requests.slice(before).filter((r) => r.flavour === 'anthropic')).toHaveLength(2);
    expect(events.find((e) => e.type === 'usage')).toMatchObject({ status: 'ok' });
  });

  it('falls back to the next model on 5xx and records both', async () => {
    fake.enqueue('google', { kind: 'status', status: 503 }, { kind: 'status', status: 503 });
    const events = await chatEvents(a.accessToken, { model: 'google/gemini-2.5-pro', fallbackModels: ['openai/gpt-4o-mini'],
      persist: false, messages: [{ role: 'user', content: 'fallback please' }] });
    expect(events.filter((e) => e.type === 'delta').map((e) => e.text).join('')).toBe('Hello from fake openai');
    expect(events.find((e) => e.type === 'usage')).toMatchObject({ model: 'openai/gpt-4o-mini', fallbackFrom: 'google/gemini-2.5-pro', status: 'ok' });
    const rows = await t.server.deps.store.tenant(a.tenantId, (tx) => tx.selectFrom('llm_usage').selectAll()
      .where('tenant_id', '=', a.tenantId).where('model', 'in', ['google/gemini-2.5-pro', 'openai/gpt-4o-mini']).execute());
    // Every upstream call is accounted: the first try and its retry failed, then the fallback served.
    expect(rows.map((r) => [r.model, r.status, r.error_code, r.fallback_from]).sort()).toEqual([
      ['google/gemini-2.5-pro', 'error', 'http_503', null],
      ['google/gemini-2.5-pro', 'error', 'http_503', null],
      ['openai/gpt-4o-mini', 'ok', null, 'google/gemini-2.5-pro'],
    ]);
  });

  it('times out a silent upstream with 504 naming the provider', async () => {
    fake.enqueue('xai', { kind: 'slow', delayMs: 2500 }, { kind: 'slow', delayMs: 2500 });
    const res = await chat(a.accessToken, { model: 'xai/grok-3-mini', persist: false, messages: [{ role: 'user', content: 'x' }] });
    expect(res.status).toBe(504);
    const body = (await res.json()) as any;
    expect(body.error).toMatchObject({ code: 'upstream_timeout' });
    expect(body.error.message).toContain('xAI Grok');
  });

  it('aborts the upstream request when the client disconnects', async () => {
    fake.enqueue('ollama', { kind: 'hang' });
    const ctl = new AbortController();
    const res = await chat(a.accessToken, { model: 'ollama/llama3.2:1b', persist: false, messages: [{ role: 'user', content: 'hang' }] }, ctl.signal);
    expect(res.status).toBe(200);
    await readSse(res, (e) => e.event === 'delta').catch(() => []);
    ctl.abort();
    const upstream = fake.last('ollama')!;
    for (let i = 0; i < 50 && !upstream.aborted; i++) await sleep(20);
    expect(upstream.aborted).toBe(true);
    let row;
    for (let i = 0; i < 50 && !row; i++) {
      row = await t.server.deps.store.tenant(a.tenantId, (tx) => tx.selectFrom('llm_usage').selectAll()
        .where('tenant_id', '=', a.tenantId).where('status', '=', 'cancelled').executeTakeFirst());
      if (!row) await sleep(20);
    }
    expect(row).toMatchObject({ provider: 'ollama', status: 'cancelled' });
  });

  it('compares models in one tagged stream; one failing does not stop the others', async () => {
    fake.enqueue('compat', { kind: 'status', status: 500 }, { kind: 'status', status: 500 });
    const res = await fetch(`${t.api.baseUrl}/llm/compare`, {
      method: 'POST', headers: { authorization: `Bearer ${a.accessToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ models: ['openai/gpt-4o', 'anthropic/claude-sonnet-4-5', 'openai-compatible/broken'],
        messages: [{ role: 'user', content: 'compare' }] }),
    });
    expect(res.status).toBe(200);
    const events = (await readSse(res)).map((e) => JSON.parse(e.data));
    const textOf = (m: string) => events.filter((e) => e.type === 'delta' && e.model === m).map((e) => e.text).join('');
    expect(textOf('openai/gpt-4o')).toBe('Hello from fake openai');
    expect(textOf('anthropic/claude-sonnet-4-5')).toBe('Hello from fake anthropic');
    expect(events.filter((e) => e.type === 'usage').map((e) => [e.model, e.status]).sort()).toEqual([
      ['anthropic/claude-sonnet-4-5', 'ok'], ['openai/gpt-4o', 'ok']]);
    expect(events.find((e) => e.type === 'error')).toMatchObject({ model: 'openai-compatible/broken', code: 'upstream_error' });
    expect(events.at(-1).type).toBe('done');
  });

  describe('personal access tokens and compatible endpoints', () => {
    let token: string;
    beforeAll(async () => {
      const res = await t.api.post('/users/me/tokens', { name: 'sdk', expiresInDays: 30 }, { token: a.accessToken });
      expect(res.status).toBe(201);
      token = res.body.token;
      expect(token).toMatch(/^cdt_/);
    });

    it('lists tokens without the token and accepts the token on /llm', async () => {
      const list = await t.api.get('/users/me/tokens', { token: a.accessToken });
      expect(JSON.stringify(list.body)).not.toContain(token);
      expect((await t.api.get('/llm/models', { token })).status).toBe(200);
      // A token cannot mint tokens.
      expect((await t.api.post('/users/me/tokens', { name: 'x' }, { token })).status).toBe(403);
    });

    it('serves the official openai client (stream and not)', async () => {
      const client = new OpenAI({ apiKey: token, baseURL: `${t.origin}/api/v5/llm/openai/v1`, maxRetries: 0 });
      const models = await client.models.list();
      expect(models.data.map((m) => m.id)).toContain('openai/gpt-4o');
      const done = await client.chat.completions.create({ model: 'anthropic/claude-haiku-4-5', messages: [{ role: 'user', content: 'hi' }] });
      expect(done.choices[0]!.message.content).toBe('Hello from fake anthropic');
      expect(done.usage).toMatchObject({ prompt_tokens: FAKE_USAGE.input, completion_tokens: FAKE_USAGE.output });
      const stream = await client.chat.completions.create({ model: 'gpt-4o', stream: true, stream_options: { include_usage: true },
        messages: [{ role: 'system', content: 'sys' }, { role: 'user', content: 'hi' }] });
      let text = '';
      let usage;
      for await (const chunk of stream) {
        text += chunk.choices[0]?.delta.content ?? '';
        if (chunk.usage) usage = chunk.usage;
      }
      expect(text).toBe('Hello from fake openai');
      expect(usage).toMatchObject({ prompt_tokens: FAKE_USAGE.input, completion_tokens: FAKE_USAGE.output });
      await expect(client.chat.completions.create({ model: 'nope/x', messages: [{ role: 'user', content: 'x' }] }))
        .rejects.toMatchObject({ status: 404 });
    });

    it('serves the official anthropic client (stream and not)', async () => {
      const client = new Anthropic({ apiKey: token, baseURL: `${t.origin}/api/v5/llm/anthropic`, maxRetries: 0 });
      const msg = await client.messages.create({ model: 'openai/gpt-4o', max_tokens: 50, system: 'sys', messages: [{ role: 'user', content: 'hi' }] });
      expect(msg.content[0]).toMatchObject({ type: 'text', text: 'Hello from fake openai' });
      expect(fake.last('openai')!.body.messages[0]).toEqual({ role: 'system', content: 'sys' });
      const stream = client.messages.stream({ model: 'ollama/llama3.2:1b', max_tokens: 50, messages: [{ role: 'user', content: 'hi' }] });
      let text = '';
      stream.on('text', (d) => { text += d; });
      const final = await stream.finalMessage();
      expect(text).toBe('Hello from fake ollama');
      expect(final.usage.output_tokens).toBe(FAKE_USAGE.output);
      const bad = new Anthropic({ apiKey: 'cdt_wrong', baseURL: `${t.origin}/api/v5/llm/anthropic`, maxRetries: 0 });
      await expect(bad.messages.create({ model: 'openai/gpt-4o', max_tokens: 5, messages: [{ role: 'user', content: 'x' }] }))
        .rejects.toMatchObject({ status: 401 });
    });

    it('revoked tokens stop working at once', async () => {
      const created = await t.api.post('/users/me/tokens', { name: 'temp', scopes: ['llm'] }, { token: a.accessToken });
      expect((await t.api.get('/llm/models', { token: created.body.token })).status).toBe(200);
      expect((await t.api.delete(`/users/me/tokens/${created.body.id}`, { token: b.accessToken })).status).toBe(404);
      expect((await t.api.delete(`/users/me/tokens/${created.body.id}`, { token: a.accessToken })).status).toBe(204);
      expect((await t.api.get('/llm/models', { token: created.body.token })).status).toBe(401);
    });
  });

  it('stops calls with 402 budget_exceeded once the monthly budget is spent', async () => {
    const c = await registerAccount(t.api);
    await t.api.put('/llm/providers/openai', { apiKey: KEYS.openai, baseUrl: fake.baseUrl('openai') }, { token: c.accessToken });
    // The API takes whole cents; a limit below one call's cost is put in the store so one call spends it.
    expect((await t.api.put('/llm/budget', { monthlyLimitUsd: 0.00005 }, { token: c.accessToken })).status).toBe(400);
    await t.server.deps.store.tenant(c.tenantId, (tx) => upsertBudget(tx, c.tenantId, 0.00005, new Date().toISOString()));
    await chatEvents(c.accessToken, { model: 'openai/gpt-4o', persist: false, messages: [{ role: 'user', content: 'x' }] });
    const over = await chat(c.accessToken, { model: 'openai/gpt-4o', persist: false, messages: [{ role: 'user', content: 'x' }] });
    expect(over.status).toBe(402);
    expect(((await over.json()) as any).error).toMatchObject({ code: 'budget_exceeded', message: expect.stringContaining('budget') });
    const budget = await t.api.get('/llm/budget', { token: c.accessToken });
    expect(budget.body.spentUsd).toBeCloseTo((11 * 2.5 + 7 * 10) / 1e6, 10);
    expect(budget.body.remainingUsd).toBe(0);
  });
});
