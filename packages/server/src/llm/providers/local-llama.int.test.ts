import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { registerAccount, type Account } from '../../test-support/factories.js';
import { startTestServer, type TestServer } from '../../test-support/test-server.js';
import { readSse } from '../testing/sse-client.js';

/** The repo's sibling `shared/models` directory (relative to the repo root, as deployed here). */
const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../../..');
const MODEL = path.join(repoRoot, '../shared/models/tiny-random-llama.gguf');

let t: TestServer;
let a: Account;
beforeAll(async () => {
  t = await startTestServer('sqlite', { CODITECT_LLM_LOCAL_MODEL_PATH: MODEL });
  a = await registerAccount(t.api);
});
afterAll(async () => { await t?.close(); });

it('lists the local GGUF model and streams real tokens from llama.cpp', async () => {
  const models = await t.api.get('/llm/models', { token: a.accessToken });
  expect(models.body.items.map((m: any) => m.id)).toContain('local/tiny-random-llama');

  const res = await fetch(`${t.api.baseUrl}/llm/chat`, {
    method: 'POST', headers: { authorization: `Bearer ${a.accessToken}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'local/tiny-random-llama', maxTokens: 12, temperature: 0, persist: false,
      messages: [{ role: 'user', content: 'Hello' }] }),
  });
  expect(res.status, await res.clone().text().catch(() => '')).toBe(200);
  const events = (await readSse(res)).map((e) => JSON.parse(e.data));
  const deltas = events.filter((e) => e.type === 'delta');
  expect(deltas.length).toBeGreaterThan(1);
  const usage = events.find((e) => e.type === 'usage');
  expect(usage).toMatchObject({ provider: 'local', status: 'ok', costUsd: 0 });
  expect(usage.outputTokens).toBeGreaterThan(1);
  expect(usage.outputTokens).toBeLessThanOrEqual(12);
  expect(usage.inputTokens).toBeGreaterThan(0);
}, 120_000);

it('answers 404 for a local model that is not there', async () => {
  const res = await t.api.post('/llm/chat', { model: 'local/other', messages: [{ role: 'user', content: 'x' }] }, { token: a.accessToken });
  expect(res.status).toBe(404);
  expect(res.body.error.code).toBe('model_not_found');
});
