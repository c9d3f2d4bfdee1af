import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * Fake LLM providers on loopback, written from each provider's public API
 * documentation and speaking its real wire protocol:
 *  - OpenAI Chat Completions SSE (`data: {chunk}` … `data: [DONE]`), also under
 *    /xai, /compat and /lmstudio prefixes, with `GET …/v1/models`
 *  - Anthropic Messages SSE events (`event: message_start` … `message_stop`)
 *  - Gemini `…/models/{model}:streamGenerateContent?alt=sse`
 *  - Ollama NDJSON `/api/chat` and `/api/tags`
 * Every request is recorded (headers, body) so tests can check what the
 * gateway sent; behaviours (429, 500, slow, broken, hang) are queued per flavour.
 */
export type Flavour = 'openai' | 'xai' | 'compat' | 'lmstudio' | 'anthropic' | 'google' | 'ollama';

export type Behaviour =
  | { kind: 'ok'; text?: string; chunks?: string[]; chunkDelayMs?: number }
  | { kind: 'status'; status: number; retryAfter?: string; message?: string }
  | { kind: 'slow'; delayMs: number }
  | { kind: 'broken'; after: number }
  | { kind: 'hang' };

export interface RecordedRequest {
  flavour: Flavour;
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  body: any;
  /** Set when the client closed the connection before the response finished. */
  aborted: boolean;
  finished: boolean;
}

export const FAKE_USAGE = { input: 11, output: 7 };

/**
 * Env for a test server whose tenants point base URLs at fake upstreams: they
 * listen on loopback, which the egress policy refuses by default, so such a
 * server allows exactly 127.0.0.1 (the default everywhere else stays deny).
 */
export const FAKE_UPSTREAM_EGRESS = { CODITECT_EGRESS_ALLOW: '127.0.0.1/32' } as const;

export class FakeUpstream {
  readonly requests: RecordedRequest[] = [];
  private readonly queues = new Map<Flavour, Behaviour[]>();
  private server!: http.Server;
  origin = '';
  /** What a request does when nothing is queued for its flavour. */
  defaultBehaviour: Behaviour = { kind: 'ok' };
  /** Models listed by `/api/tags` and `/v1/models`. */
  models = ['llama3.2:1b', 'qwen2.5-coder:7b'];

  /** Listens on a free port of `host` (any 127.x.y.z address is loopback on Linux). */
  async start(host = '127.0.0.1'): Promise<this> {
    this.server = http.createServer((req, res) => void this.handle(req, res));
    this.server.keepAliveTimeout = 60_000;
    await new Promise<void>((r) => this.server.listen(0, host, r));
    this.origin = `http://${host}:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  /** The base URL to configure for a flavour (what the real provider's API root would be). */
  baseUrl(flavour: Flavour): string {
    switch (flavour) {
      case 'anthropic': return `${this.origin}/anthropic/v1`;
      case 'google': return `${this.origin}/google/v1beta`;
      case 'ollama': return `${this.origin}/ollama`;
      default: return `${this.origin}/${flavour}/v1`;
    }
  }

  /** Queues behaviours for the next requests of a flavour (FIFO); afterwards requests succeed. */
  enqueue(flavour: Flavour, ...behaviours: Behaviour[]): void {
    this.queues.set(flavour, [...(this.queues.get(flavour) ?? []), ...behaviours]);
  }

  last(flavour: Flavour): RecordedRequest | undefined {
    return this.requests.filter((r) => r.flavour === flavour).at(-1);
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((r) => this.server.close(() => r()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse) {
    const url = new URL(req.url ?? '/', this.origin);
    const flavour = url.pathname.split('/')[1] as Flavour;
    let raw = '';
    for await (const chunk of req) raw += chunk;
    let body: any;
    try { body = raw ? JSON.parse(raw) : undefined; } catch { body = raw; }
    const rec: RecordedRequest = { flavour, method: req.method ?? 'GET', path: url.pathname + url.search, headers: req.headers, body, aborted: false, finished: false };
    this.requests.push(rec);
    res.on('close', () => { if (!res.writableFinished) rec.aborted = true; else rec.finished = true; });

    if (req.method === 'GET' && (url.pathname.endsWith('/v1/models'))) {
      return json(res, 200, { object: 'list', data: this.models.map((id) => ({ id, object: 'model', created: 0, owned_by: 'fake' })) });
    }
    if (req.method === 'GET' && url.pathname === '/ollama/api/tags') {
      return json(res, 200, { models: this.models.map((name) => ({ name, model: name, modified_at: '2025-01-01T00:00:00Z', size: 1, digest: 'x', details: { parameter_size: '1B' } })) });
    }
    const behaviour = this.queues.get(flavour)?.shift() ?? this.defaultBehaviour;
    if (behaviour.kind === 'status') {
      const headers: Record<string, string> = behaviour.retryAfter ? { 'retry-after': behaviour.retryAfter } : {};
      return json(res, behaviour.status, errorBody(flavour, behaviour.status, behaviour.message ?? `fake ${flavour} error`), headers);
    }
    if (behaviour.kind === 'slow') await sleep(behaviour.delayMs);
    if (res.destroyed) return;
    const model = flavour === 'google' ? decodeURIComponent(url.pathname.split('/models/')[1]?.split(':')[0] ?? '') : body?.model;
    const chunks = behaviour.kind === 'ok' && behaviour.chunks ? behaviour.chunks
      : splitWords(behaviour.kind === 'ok' && behaviour.text ? behaviour.text : `Hello from fake ${flavour}`);
    const delay = behaviour.kind === 'ok' ? behaviour.chunkDelayMs ?? 0 : 0;
    const stopAfter = behaviour.kind === 'broken' ? behaviour.after : behaviour.kind === 'hang' ? 1 : Infinity;
    const writer = protocols[flavour === 'xai' || flavour === 'compat' || flavour === 'lmstudio' ? 'openai' : flavour];
    if (!writer) return json(res, 404, { error: 'unknown fake route' });
    res.writeHead(200, { 'content-type': flavour === 'ollama' ? 'application/x-ndjson' : 'text/event-stream' });
    const w = (s: string) => new Promise<void>((r) => (res.write(s) ? r() : res.once('drain', () => r())));
    await w(writer.head(model));
    for (const [i, text] of chunks.entries()) {
      if (i >= stopAfter) {
        if (behaviour.kind === 'broken') res.destroy();
        return; // hang: keep the socket open until the client leaves
      }
      if (res.destroyed) return;
      await w(writer.delta(model, text));
      if (delay) await sleep(delay);
    }
    await w(writer.tail(model, body));
    res.end();
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const splitWords = (text: string) => text.split(/(?<= )/);
const sse = (data: unknown, event?: string) => `${event ? `event: ${event}\n` : ''}data: ${typeof data === 'string' ? data : JSON.stringify(data)}\n\n`;

function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

function errorBody(flavour: Flavour, status: number, message: string) {
  if (flavour === 'anthropic') return { type: 'error', error: { type: status === 429 ? 'rate_limit_error' : 'api_error', message } };
  if (flavour === 'google') return { error: { code: status, message, status: status === 429 ? 'RESOURCE_EXHAUSTED' : 'INTERNAL' } };
  if (flavour === 'ollama') return { error: message };
  return { error: { message, type: status === 429 ? 'rate_limit_error' : 'server_error', param: null, code: null } };
}

interface Protocol {
  head(model: string): string;
  delta(model: string, text: string): string;
  tail(model: string, body: any): string;
}

const protocols: Partial<Record<Flavour, Protocol>> = {
  // https://platform.openai.com/docs/api-reference/chat/streaming
  openai: {
    head: (model) => sse({ id: 'chatcmpl-fake', object: 'chat.completion.chunk', created: 1, model,
      choices: [{ index: 0, delta: { role: 'assistant', content: '' }, logprobs: null, finish_reason: null }] }),
    delta: (model, text) => sse({ id: 'chatcmpl-fake', object: 'chat.completion.chunk', created: 1, model,
      choices: [{ index: 0, delta: { content: text }, logprobs: null, finish_reason: null }] }),
    tail: (model, body) => sse({ id: 'chatcmpl-fake', object: 'chat.completion.chunk', created: 1, model,
      choices: [{ index: 0, delta: {}, logprobs: null, finish_reason: 'stop' }] })
      + (body?.stream_options?.include_usage ? sse({ id: 'chatcmpl-fake', object: 'chat.completion.chunk', created: 1, model, choices: [],
        usage: { prompt_tokens: FAKE_USAGE.input, completion_tokens: FAKE_USAGE.output, total_tokens: FAKE_USAGE.input + FAKE_USAGE.output } }) : '')
      + sse('[DONE]'),
  },
  // https://docs.anthropic.com/en/api/messages-streaming
  anthropic: {
    head: (model) => sse({ type: 'message_start', message: { id: 'msg_fake', type: 'message', role: 'assistant', model, content: [],
      stop_reason: null, stop_sequence: null, usage: { input_tokens: FAKE_USAGE.input, output_tokens: 1 } } }, 'message_start')
      + sse({ type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } }, 'content_block_start')
      + sse({ type: 'ping' }, 'ping'),
    delta: (_m, text) => sse({ type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text } }, 'content_block_delta'),
    tail: () => sse({ type: 'content_block_stop', index: 0 }, 'content_block_stop')
      + sse({ type: 'message_delta', delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: { output_tokens: FAKE_USAGE.output } }, 'message_delta')
      + sse({ type: 'message_stop' }, 'message_stop'),
  },
  // https://ai.google.dev/api/generate-content#method:-models.streamgeneratecontent
  google: {
    head: () => '',
    delta: (model, text) => sse({ candidates: [{ content: { parts: [{ text }], role: 'model' }, index: 0 }], modelVersion: model }),
    tail: (model) => sse({ candidates: [{ content: { parts: [{ text: '' }], role: 'model' }, finishReason: 'STOP', index: 0 }],
      usageMetadata: { promptTokenCount: FAKE_USAGE.input, candidatesTokenCount: FAKE_USAGE.output, totalTokenCount: FAKE_USAGE.input + FAKE_USAGE.output },
      modelVersion: model }),
  },
  // https://github.com/ollama/ollama/blob/main/docs/api.md#generate-a-chat-completion
  ollama: {
    head: () => '',
    delta: (model, text) => `${JSON.stringify({ model, created_at: '2025-01-01T00:00:00Z', message: { role: 'assistant', content: text }, done: false })}\n`,
    tail: (model) => `${JSON.stringify({ model, created_at: '2025-01-01T00:00:00Z', message: { role: 'assistant', content: '' }, done: true,
      done_reason: 'stop', total_duration: 1, load_duration: 1, prompt_eval_count: FAKE_USAGE.input, eval_count: FAKE_USAGE.output })}\n`,
  },
};
