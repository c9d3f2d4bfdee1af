import * as http from 'http';
import * as https from 'https';

/** Where the Coditect API is: CODITECT_API_URL (`http://127.0.0.1:3001` in the sandbox, or `unix:/path`) + the workspace token. */
export interface GatewayConfig {
  baseUrl?: URL;
  socketPath?: string;
  token?: string;
}

export const GatewayConfig = Symbol('CoditectGatewayConfig');

export function readGatewayConfig(env: NodeJS.ProcessEnv = process.env): GatewayConfig {
  const value = env.CODITECT_API_URL;
  const token = env.CODITECT_API_TOKEN || undefined;
  if (!value) return { token };
  if (value.startsWith('unix:')) return { socketPath: value.slice(5) || undefined, token };
  try {
    const url = new URL(value);
    if (url.protocol === 'http:' || url.protocol === 'https:') return { baseUrl: url, token };
  } catch {
    // fall through
  }
  return { token };
}

export function gatewayConfigured(c: GatewayConfig): boolean {
  return !!((c.baseUrl || c.socketPath) && c.token);
}

export class GatewayError extends Error {
  constructor(readonly status: number, readonly code: string, message: string) {
    super(message);
  }
}

/** Opens one request to the API (path starts with /api/v5); resolves with the response once headers arrive. */
export function gatewayRequest(
  config: GatewayConfig, method: string, apiPath: string, body?: unknown, signal?: AbortSignal, timeoutMs = 60_000,
): Promise<http.IncomingMessage> {
  return new Promise((resolve, reject) => {
    if (!gatewayConfigured(config)) {
      reject(new GatewayError(0, 'not_configured', 'No Coditect gateway connection (CODITECT_API_URL / CODITECT_API_TOKEN not set)'));
      return;
    }
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const headers: Record<string, string | number> = {
      accept: 'application/json, text/event-stream',
      authorization: `Bearer ${config.token}`,
    };
    if (payload) {
      headers['content-type'] = 'application/json';
      headers['content-length'] = payload.length;
    }
    let options: http.RequestOptions;
    let mod: typeof http | typeof https = http;
    if (config.socketPath) {
      options = { socketPath: config.socketPath, path: apiPath, method, headers: { ...headers, host: 'coditect-api' } };
    } else {
      const base = config.baseUrl!;
      options = {
        protocol: base.protocol, hostname: base.hostname, port: base.port || undefined,
        path: base.pathname.replace(/\/+$/, '') + apiPath, method, headers,
      };
      if (base.protocol === 'https:') mod = https;
    }
    const req = mod.request(options, res => resolve(res));
    // Until the first byte only: streams may legitimately be quiet for a while afterwards (the gateway has its own idle timeout).
    req.setTimeout(timeoutMs, () => req.destroy(new GatewayError(0, 'timeout', `Coditect gateway: no answer after ${timeoutMs} ms`)));
    req.on('response', () => req.setTimeout(0));
    req.on('error', reject);
    if (signal) {
      if (signal.aborted) req.destroy(new GatewayError(0, 'cancelled', 'cancelled'));
      signal.addEventListener('abort', () => req.destroy(new GatewayError(0, 'cancelled', 'cancelled')), { once: true });
    }
    if (payload) req.write(payload);
    req.end();
  });
}

async function readAll(res: http.IncomingMessage, limit = 8 * 1024 * 1024): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of res as AsyncIterable<Buffer>) {
    size += c.length;
    if (size <= limit) chunks.push(c);
  }
  return Buffer.concat(chunks).toString('utf8');
}

async function errorOf(res: http.IncomingMessage): Promise<GatewayError> {
  const text = await readAll(res, 64 * 1024).catch(() => '');
  try {
    const e = (JSON.parse(text) as { error?: { code?: string; message?: string } }).error;
    if (e?.message) return new GatewayError(res.statusCode ?? 0, e.code ?? 'http_error', e.message);
  } catch {
    // not JSON
  }
  return new GatewayError(res.statusCode ?? 0, 'http_error', `Coditect gateway answered HTTP ${res.statusCode}`);
}

export async function gatewayJson<T>(config: GatewayConfig, method: string, apiPath: string, body?: unknown): Promise<T> {
  const res = await gatewayRequest(config, method, apiPath, body, undefined, 20_000);
  if ((res.statusCode ?? 0) < 200 || (res.statusCode ?? 0) >= 300) throw await errorOf(res);
  return JSON.parse(await readAll(res)) as T;
}

/** POSTs to an SSE endpoint (`/llm/chat`, `/llm/compare`) and yields each event's JSON `data`. */
export async function* gatewaySse<T>(config: GatewayConfig, apiPath: string, body: unknown, signal?: AbortSignal): AsyncGenerator<T> {
  const res = await gatewayRequest(config, 'POST', apiPath, body, signal);
  if ((res.statusCode ?? 0) < 200 || (res.statusCode ?? 0) >= 300) throw await errorOf(res);
  res.setEncoding('utf8');
  let buffer = '';
  try {
    for await (const chunk of res as AsyncIterable<string>) {
      buffer += chunk;
      let idx: number;
      while ((idx = buffer.search(/\r?\n\r?\n/)) >= 0) {
        const block = buffer.slice(0, idx);
        buffer = buffer.slice(idx).replace(/^\r?\n\r?\n/, '');
        const data = block.split(/\r?\n/).filter(l => l.startsWith('data:')).map(l => l.slice(5).trimStart()).join('\n');
        if (data) yield JSON.parse(data) as T;
      }
    }
  } finally {
    res.destroy();
  }
}
