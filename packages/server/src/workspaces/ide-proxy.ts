/**
 * Streaming reverse proxy from the public `/ws/{sessionId}/…` to a workspace IDE's Unix socket
 * (node builtins only). Authentication is the caller's job: call these only after the workspace
 * cookie has been checked. Usable from Fastify with `reply.hijack()` (HTTP) and the raw server's
 * 'upgrade' event (WebSocket).
 *
 * What Theia needs from the proxy:
 *  - the prefix stripped: `/ws/{id}/socket.io/?…` arrives as `/socket.io/?…`;
 *  - `/ws/{id}` (no trailing slash) redirected to `/ws/{id}/` — Theia derives asset and socket.io
 *    paths from the page path;
 *  - the original `Host` header kept: Theia refuses a WebSocket whose `Origin` host differs from `Host`;
 *  - its own cookie `theia-connection-token` passed through (the IDE scopes it to `/ws/{id}/`).
 * The Coditect workspace cookie is removed before forwarding: the sandbox must not see it.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import http from 'node:http';
import net from 'node:net';
import type { Duplex } from 'node:stream';

export interface WorkspacePath {
  sessionId: string;
  /** Path and query to forward, always starting with '/'. */
  path: string;
  /** true for `/ws/{id}` without the trailing slash: answer a redirect to `/ws/{id}/`. */
  needsSlash: boolean;
}

const WS_PATH_RE = /^\/ws\/([A-Za-z0-9_-]{1,128})(\/.*)?$/;

/** Splits `/ws/{id}/rest?query` into the session id and the forwarded path. */
export function parseWorkspacePath(url: string): WorkspacePath | undefined {
  const q = url.indexOf('?');
  const pathname = q < 0 ? url : url.slice(0, q);
  const query = q < 0 ? '' : url.slice(q);
  const m = WS_PATH_RE.exec(pathname);
  if (!m) return undefined;
  const rest = m[2];
  return { sessionId: m[1]!, path: (rest ?? '/') + query, needsSlash: rest === undefined };
}

export interface ForwardOptions {
  /** The IDE's Unix socket, or another node's address when the workspace runs there. */
  socketPath?: string;
  host?: string;
  port?: number;
  /** Forwarded path (prefix stripped), e.g. from parseWorkspacePath(). */
  path: string;
  /** Cookie names removed from the forwarded Cookie header (e.g. the Coditect workspace cookie). */
  stripCookies?: string[];
  /** Called when the upstream connection fails (HTTP: after a 502 was sent when possible). */
  onError?: (err: Error) => void;
}

const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

/** Removes the named cookies from a Cookie header value; undefined when none is left. */
export function stripCookieHeader(header: string | undefined, names: string[] = []): string | undefined {
  if (!header) return undefined;
  if (names.length === 0) return header;
  const kept = header
    .split(';')
    .map(s => s.trim())
    .filter(s => s && !names.includes(s.slice(0, s.indexOf('=') < 0 ? s.length : s.indexOf('=')).trim()));
  return kept.length ? kept.join('; ') : undefined;
}

function forwardHeaders(req: IncomingMessage, opts: ForwardOptions, keepUpgrade: boolean): http.OutgoingHttpHeaders {
  const headers: http.OutgoingHttpHeaders = {};
  for (const [k, v] of Object.entries(req.headers)) {
    if (v === undefined) continue;
    if (!keepUpgrade && HOP_BY_HOP.has(k)) continue;
    if (k === 'cookie') continue;
    headers[k] = v;
  }
  const cookie = stripCookieHeader(req.headers.cookie, opts.stripCookies);
  if (cookie) headers.cookie = cookie;
  const remote = req.socket.remoteAddress;
  if (remote) headers['x-forwarded-for'] = req.headers['x-forwarded-for'] ? `${req.headers['x-forwarded-for']}, ${remote}` : remote;
  headers['x-forwarded-proto'] ??= (req.socket as { encrypted?: boolean }).encrypted ? 'https' : 'http';
  return headers;
}

const target = (opts: ForwardOptions) => (opts.socketPath ? { socketPath: opts.socketPath } : { host: opts.host, port: opts.port });

/** Proxies one HTTP request, streaming both bodies. */
export function forwardHttp(req: IncomingMessage, res: ServerResponse, opts: ForwardOptions): void {
  const upstream = http.request(
    { ...target(opts), method: req.method, path: opts.path, headers: forwardHeaders(req, opts, false) },
    up => {
      const headers: http.OutgoingHttpHeaders = {};
      for (const [k, v] of Object.entries(up.headers)) if (v !== undefined && !HOP_BY_HOP.has(k)) headers[k] = v;
      res.writeHead(up.statusCode ?? 502, headers);
      up.pipe(res);
    },
  );
  upstream.on('error', err => {
    if (!res.headersSent) {
      res.writeHead(502, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { code: 'workspace_unavailable', message: 'The workspace IDE is not reachable' } }));
    } else {
      res.destroy(err);
    }
    opts.onError?.(err);
  });
  res.on('close', () => {
    if (!res.writableFinished) upstream.destroy();
  });
  req.pipe(upstream);
}

/**
 * Proxies a WebSocket upgrade: replays the request to the socket and pipes raw bytes both ways
 * (Theia answers the 101 itself). `onClose` fires once when either side closes — use it to
 * release the runner's connection count.
 */
export function forwardUpgrade(
  req: IncomingMessage,
  socket: Duplex,
  head: Buffer,
  opts: ForwardOptions & { onClose?: () => void },
): void {
  const upstream = opts.socketPath ? net.connect(opts.socketPath) : net.connect(opts.port!, opts.host);
  let closed = false;
  const close = () => {
    if (closed) return;
    closed = true;
    upstream.destroy();
    socket.destroy();
    opts.onClose?.();
  };
  upstream.on('connect', () => {
    const headers = forwardHeaders(req, opts, true);
    let raw = `${req.method ?? 'GET'} ${opts.path} HTTP/1.1\r\n`;
    for (const [k, v] of Object.entries(headers)) {
      for (const value of Array.isArray(v) ? v : [v]) raw += `${k}: ${String(value)}\r\n`;
    }
    raw += '\r\n';
    upstream.write(raw);
    if (head.length) upstream.write(head);
    upstream.pipe(socket);
    socket.pipe(upstream);
  });
  let connected = false;
  upstream.once('connect', () => (connected = true));
  upstream.on('error', err => {
    opts.onError?.(err);
    if (!connected && !closed && socket.writable) {
      // Nothing was forwarded yet: answer 502 and let it flush before closing.
      closed = true;
      upstream.destroy();
      socket.end('HTTP/1.1 502 Bad Gateway\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
      opts.onClose?.();
      return;
    }
    close();
  });
  socket.on('error', close);
  upstream.on('close', close);
  socket.on('close', close);
}
