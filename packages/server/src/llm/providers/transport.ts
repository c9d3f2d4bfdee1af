import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';
import { StringDecoder } from 'node:string_decoder';
import type { ProviderId } from '@coditect/contract';
import { pinnedLookup, refusalMessage, type EgressPolicy } from '../../egress/egress-policy.js';
import { logExcerpt, upstreamFailure } from './failures.js';
import { parseRetryAfter, UpstreamError } from './types.js';

/**
 * The gateway's own HTTP client for provider calls: `node:http`/`node:https`
 * with keep-alive agents (no fetch/web-streams layer on the per-token path),
 * the caller's AbortSignal wired to the socket, and every failure mapped to an
 * UpstreamError that names the provider and never carries the key or the
 * upstream's words (those go to the log detail). Redirects are not followed.
 */

const agentOptions = { keepAlive: true, keepAliveMsecs: 15_000, maxSockets: Infinity, maxFreeSockets: 256, scheduling: 'lifo' as const };
/** Operator-set and default base URLs (trusted). */
const trusted = { http: new http.Agent(agentOptions), https: new https.Agent(agentOptions) };
/**
 * Tenant-set base URLs: a pool of their own, so a kept-alive socket opened
 * for a trusted URL is never handed to a tenant's request for the same name.
 */
const tenant = { http: new http.Agent(agentOptions), https: new https.Agent(agentOptions) };

/** Who is being called (for error messages), the secret to keep out of them, and the egress policy of a tenant-set URL. */
export interface CallContext {
  provider: ProviderId;
  label: string;
  apiKey?: string | undefined;
  /** Set for a base URL the tenant chose: the connection must pass it, pinned to the checked address. */
  egress?: EgressPolicy | undefined;
}

export interface UpstreamRequest {
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  /** JSON text; sent with a content-length. */
  body?: string;
}

/** A URL safe to mention: query-string keys (Gemini's `?key=`) are blanked. */
export const safeUrl = (url: string): string => url.replace(/([?&]key=)[^&]+/gi, '$1[redacted]');

const cancelled = (ctx: CallContext) => new UpstreamError(ctx.provider, 'cancelled', `${ctx.label} request cancelled`);

/** Connection options for a target: the trusted pool, or the tenant pool pinned to the address the policy checked. */
async function connectOptions(ctx: CallContext, target: URL): Promise<http.RequestOptions> {
  const secure = target.protocol === 'https:';
  if (!ctx.egress) return { agent: secure ? trusted.https : trusted.http };
  const decision = await ctx.egress.check(target.href);
  if (!decision.allowed) {
    if (decision.reason === 'unresolvable') {
      throw new UpstreamError(ctx.provider, 'network', `${ctx.label} could not be reached`, { detail: `${target.hostname} does not resolve` });
    }
    throw new UpstreamError(ctx.provider, 'denied', refusalMessage(`The ${ctx.label} base URL`, decision.reason),
      { detail: `egress denied: ${decision.reason}` });
  }
  return { agent: secure ? tenant.https : tenant.http, lookup: pinnedLookup(decision) };
}

/**
 * Sends a request and resolves with the response once its status is 2xx.
 * A tenant-set base URL is checked by the egress policy first (refused:
 * `denied`, nothing sent). Non-2xx answers (redirects included) are read
 * (bounded) and thrown as `http` errors with a generic message and
 * Retry-After; connection failures as `network`.
 */
export async function send(ctx: CallContext, url: string, init: UpstreamRequest, signal: AbortSignal): Promise<IncomingMessage> {
  if (signal.aborted) throw cancelled(ctx);
  let target: URL;
  try {
    target = new URL(url);
  } catch {
    throw new UpstreamError(ctx.provider, 'protocol', `${ctx.label}: invalid base URL`);
  }
  if (target.protocol !== 'http:' && target.protocol !== 'https:') {
    throw new UpstreamError(ctx.provider, 'protocol', `${ctx.label}: the base URL must be http(s)`);
  }
  const connect = await connectOptions(ctx, target);
  if (signal.aborted) throw cancelled(ctx);
  const secure = target.protocol === 'https:';
  const headers: Record<string, string | number> = { accept: 'application/json, text/event-stream', ...init.headers };
  if (init.body !== undefined) {
    headers['content-type'] ??= 'application/json';
    headers['content-length'] = Buffer.byteLength(init.body);
  }
  return new Promise<IncomingMessage>((resolve, reject) => {
    const req = (secure ? https : http).request(target, {
      method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
      headers,
      ...connect,
    });
    let settled = false;
    const onAbort = () => {
      req.destroy();
      if (!settled) { settled = true; reject(cancelled(ctx)); }
    };
    signal.addEventListener('abort', onAbort, { once: true });
    // The listener stays for the life of the response: an abort mid-stream destroys the socket.
    const detach = () => signal.removeEventListener('abort', onAbort);
    req.on('close', detach);
    req.on('error', (err) => {
      detach();
      if (settled) return;
      settled = true;
      const code = (err as NodeJS.ErrnoException).code;
      reject(signal.aborted ? cancelled(ctx) : new UpstreamError(ctx.provider, 'network', `${ctx.label} could not be reached`,
        { cause: { code, url: safeUrl(url) }, detail: `${code ?? 'error'}: ${logExcerpt(err.message, ctx.apiKey)}` }));
    });
    req.on('response', (res) => {
      if (settled) { res.destroy(); return; }
      const status = res.statusCode ?? 0;
      if (status >= 200 && status < 300) {
        settled = true;
        resolve(res);
        return;
      }
      readText(res, 64 * 1024).then((text) => {
        if (settled) return;
        settled = true;
        reject(upstreamFailure(ctx, status, upstreamMessage(text),
          { retryAfterMs: parseRetryAfter(header(res, 'retry-after')), cause: { status, url: safeUrl(url) } }));
      }, (err: Error) => {
        if (settled) return;
        settled = true;
        reject(signal.aborted ? cancelled(ctx) : new UpstreamError(ctx.provider, 'network', `${ctx.label} broke off its answer`,
          { status, detail: logExcerpt(err.message, ctx.apiKey) }));
      });
    });
    req.end(init.body);
  });
}

const header = (res: IncomingMessage, name: string): string | undefined => {
  const v = res.headers[name];
  return Array.isArray(v) ? v[0] : v;
};

/** Reads a (small) body as text, up to `limit` bytes. */
export function readText(res: IncomingMessage, limit = 16 * 1024 * 1024): Promise<string> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    let size = 0;
    res.on('data', (b: Buffer) => {
      size += b.length;
      if (size <= limit) parts.push(b);
    });
    res.on('end', () => resolve(Buffer.concat(parts).toString('utf8')));
    res.on('error', reject);
    res.on('aborted', () => reject(new Error('response aborted')));
  });
}

/** Reads a JSON body. */
export async function readJson<T>(ctx: CallContext, res: IncomingMessage): Promise<T> {
  const text = await readText(res);
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new UpstreamError(ctx.provider, 'protocol', `${ctx.label} sent malformed JSON`);
  }
}

/** The human part of a provider's error body (`{error:{message}}`, `{error:"…"}`, `{message}`), or the body itself. */
export function upstreamMessage(body: string | undefined): string | undefined {
  if (!body) return undefined;
  try {
    const parsed = JSON.parse(body) as { error?: { message?: string } | string; message?: string } | unknown[];
    // Gemini wraps errors of a streaming call in an array.
    const first = (Array.isArray(parsed) ? parsed[0] : parsed) as { error?: { message?: string } | string; message?: string } | undefined;
    if (typeof first?.error === 'string') return first.error;
    return first?.error?.message ?? first?.message ?? body;
  } catch {
    return body;
  }
}

/**
 * Iterates a streaming body as batches of lines: one batch per socket read,
 * so the per-token cost is a string scan, not a promise. The trailing partial
 * line waits for the next read; `\r\n` is accepted. The final unterminated
 * line (if any) is delivered at the end.
 */
export async function* lineBatches(ctx: CallContext, res: IncomingMessage, signal: AbortSignal): AsyncGenerator<string[]> {
  const decoder = new StringDecoder('utf8');
  let rest = '';
  try {
    for await (const chunk of res as AsyncIterable<Buffer>) {
      const text = rest + decoder.write(chunk);
      const lines: string[] = [];
      let start = 0;
      let nl: number;
      while ((nl = text.indexOf('\n', start)) >= 0) {
        const end = nl > start && text.charCodeAt(nl - 1) === 13 ? nl - 1 : nl;
        lines.push(text.slice(start, end));
        start = nl + 1;
      }
      rest = start === 0 ? text : text.slice(start);
      if (lines.length) yield lines;
    }
  } catch (err) {
    if (err instanceof UpstreamError) throw err;
    if (signal.aborted) throw cancelled(ctx);
    throw new UpstreamError(ctx.provider, 'network', `${ctx.label} stream broke off`);
  }
  // An aborted response ends the iteration without an error on some Node versions.
  if (signal.aborted) throw cancelled(ctx);
  if (!res.complete) throw new UpstreamError(ctx.provider, 'network', `${ctx.label} stream broke off`);
  const last = rest + decoder.end();
  if (last.trim()) yield [last.replace(/\r$/, '')];
}

/** One server-sent event: its `event:` name (null when absent) and its `data:` lines joined. */
export interface SseMessage {
  event: string | null;
  data: string;
}

/**
 * Incremental SSE decoding (https://html.spec.whatwg.org/multipage/server-sent-events.html)
 * on top of `lineBatches`: one array of complete events per socket read.
 * Comments, `id:` and `retry:` are ignored; an event is dispatched on its blank line.
 */
export async function* sseBatches(ctx: CallContext, res: IncomingMessage, signal: AbortSignal): AsyncGenerator<SseMessage[]> {
  let event: string | null = null;
  let data: string | null = null;
  for await (const lines of lineBatches(ctx, res, signal)) {
    const out: SseMessage[] = [];
    for (const line of lines) {
      if (line.length === 0) {
        if (data !== null) out.push({ event, data });
        event = null;
        data = null;
        continue;
      }
      const c = line.charCodeAt(0);
      if (c === 100 /* d */ && line.startsWith('data:')) {
        const value = line.charCodeAt(5) === 32 ? line.slice(6) : line.slice(5);
        data = data === null ? value : `${data}\n${value}`;
      } else if (c === 101 /* e */ && line.startsWith('event:')) {
        event = line.charCodeAt(6) === 32 ? line.slice(7) : line.slice(6);
      }
      // ':' comments, id:, retry: and unknown fields are ignored.
    }
    if (out.length) yield out;
  }
  // A stream that ends without the final blank line still delivers its last event.
  if (data !== null) yield [{ event, data }];
}

/** Parses one JSON payload of a stream, naming the provider when it is malformed. */
export function parseJson<T>(ctx: CallContext, text: string): T {
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new UpstreamError(ctx.provider, 'protocol', `${ctx.label} sent a malformed stream event`);
  }
}
