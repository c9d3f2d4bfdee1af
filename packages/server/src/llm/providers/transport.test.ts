import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { anthropicAdapter } from './anthropic.js';
import { openAiStyleAdapter } from './openai-chat.js';
import { send, sseBatches } from './transport.js';
import type { StreamPart } from './types.js';

/** A server that answers every request with `pieces`, written one by one with a pause (split reads). */
let pieces: (string | Buffer)[] = [];
let status = 200;
let server: http.Server;
let base = '';
beforeAll(async () => {
  server = http.createServer(async (req, res) => {
    for await (const _ of req) { /* drain */ }
    res.writeHead(status, { 'content-type': status === 200 ? 'text/event-stream' : 'application/json', 'retry-after': '2' });
    for (const p of pieces) {
      res.write(p);
      await new Promise((r) => setTimeout(r, 2));
    }
    res.end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

const ctx = { provider: 'openai' as const, label: 'OpenAI', apiKey: 'sk-secret-key-9999' };
async function all<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}
const collect = async (it: AsyncIterable<StreamPart[]>) => (await all(it)).flat();

describe('sseBatches', () => {
  it('decodes events split anywhere, across UTF-8 sequences and CRLF line ends', async () => {
    const text = 'event: a\r\ndata: {"x":"héllo"}\r\n\r\n: comment\n\ndata: line1\ndata: line2\n\nid: 7\ndata: last';
    const bytes = Buffer.from(text, 'utf8');
    pieces = Array.from(bytes, (b) => Buffer.from([b])); // one byte per write
    status = 200;
    const res = await send(ctx, `${base}/x`, { body: '{}' }, new AbortController().signal);
    const events = (await all(sseBatches(ctx, res, new AbortController().signal))).flat();
    expect(events).toEqual([
      { event: 'a', data: '{"x":"héllo"}' },
      { event: null, data: 'line1\nline2' },
      { event: null, data: 'last' },
    ]);
  });
});

describe('adapters over split reads', () => {
  it('OpenAI chat: text, usage, [DONE]; the template path and the full parse agree', async () => {
    const chunk = (delta: object, finish: string | null = null) => `data: ${JSON.stringify({ id: 'c', object: 'chat.completion.chunk', created: 1, model: 'm',
      choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }] })}\n\n`;
    const body = chunk({ role: 'assistant', content: '' }) + ['He', 'l"lo', ' wörld', '\\n'].map((t) => chunk({ content: t })).join('')
      + chunk({}, 'stop') + `data: ${JSON.stringify({ id: 'c', choices: [], usage: { prompt_tokens: 3, completion_tokens: 4 } })}\n\n` + 'data: [DONE]\n\n';
    pieces = body.match(/[\s\S]{1,7}/g)!;
    status = 200;
    const parts = await collect(openAiStyleAdapter('openai').stream({ apiKey: 'k', baseUrl: base }, { model: 'm', messages: [{ role: 'user', content: 'x' }] },
      new AbortController().signal));
    expect(parts.filter((p) => p.type === 'delta').map((p) => (p as { text: string }).text).join('')).toBe('Hel"lo wörld\\n');
    expect(parts.at(-1)).toEqual({ type: 'usage', inputTokens: 3, outputTokens: 4 });
  });

  it('maps an upstream error answer to an http error with Retry-After and no key', async () => {
    pieces = [JSON.stringify({ error: { message: `bad key ${ctx.apiKey}` } })];
    status = 429;
    const err = await send(ctx, `${base}/x`, { body: '{}' }, new AbortController().signal).catch((e: unknown) => e);
    expect(err).toMatchObject({ kind: 'http', status: 429, options: { retryAfterMs: 2000 } });
    // The public message is ours; what the upstream said is kept (redacted) for the logs only.
    expect((err as Error).message).toBe('OpenAI is rate limiting requests');
    expect((err as { detail: string }).detail).toBe('HTTP 429: bad key [redacted]');
  });

  it('Anthropic: an error event mid-stream becomes a named, redacted error', async () => {
    pieces = ['event: message_start\ndata: {"type":"message_start","message":{"usage":{"input_tokens":5,"output_tokens":1}}}\n\n',
      'event: error\ndata: {"type":"error","error":{"type":"overloaded_error","message":"Overloaded sk-ant-xyz-1234"}}\n\n'];
    status = 200;
    const err = await collect(anthropicAdapter.stream({ apiKey: 'sk-ant-xyz-1234', baseUrl: base }, { model: 'claude-haiku-4-5', messages: [{ role: 'user', content: 'x' }] },
      new AbortController().signal)).catch((e: unknown) => e);
    expect(err).toMatchObject({ kind: 'http', status: 529, retryable: true });
    expect((err as Error).message).toBe('Anthropic failed to answer');
    expect((err as { detail: string }).detail).toBe('HTTP 529: Overloaded [redacted]');
  });

  it('an abort mid-stream ends the iteration as cancelled', async () => {
    pieces = Array.from({ length: 50 }, (_, i) => `data: {"choices":[{"delta":{"content":"t${i}"},"finish_reason":null}]}\n\n`);
    status = 200;
    const ctl = new AbortController();
    const seen: StreamPart[] = [];
    const err = await (async () => {
      for await (const batch of openAiStyleAdapter('openai').stream({ apiKey: 'k', baseUrl: base }, { model: 'm', messages: [] }, ctl.signal)) {
        seen.push(...batch);
        ctl.abort();
      }
    })().catch((e: unknown) => e);
    expect(seen.length).toBeGreaterThan(0);
    expect(err).toMatchObject({ kind: 'cancelled' });
  });
});
