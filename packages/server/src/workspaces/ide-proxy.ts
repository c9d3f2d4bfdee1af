/**
 * Streaming reverse proxy from a workspace's own origin (`https://{id}.ws.…/…`) to its IDE, through
 * the IDE tunnel (see ide-tunnel.ts), or to the node that runs it (node builtins only).
 * Authentication is the caller's job: call these only after the workspace cookie has been checked.
 * Usable from Fastify with `reply.hijack()` (HTTP) and the raw server's 'upgrade' event (WebSocket).
 *
 * What Theia needs from the proxy: the original `Host` header (Theia refuses a WebSocket whose
 * `Origin` host differs from `Host`) and its own `theia-connection-token` cookie.
 * What the workspace must not get: the Coditect workspace cookie (removed from every request).
 * What the browser must not get from the workspace (the sandbox controls every byte of its
 * answers): cookies other than Theia's own (re-scoped host-only by us), service-worker scope
 * widening, Clear-Site-Data, HSTS, CORS grants — see WORKSPACE_RESPONSE_DROPPED.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import http from 'node:http';
import net from 'node:net';
import type { Duplex } from 'node:stream';
import type { IdeTunnel } from './ide-tunnel.js';

export interface ForwardOptions {
  /** The local IDE's tunnel, or another node's address when the workspace runs there. */
  tunnel?: IdeTunnel;
  host?: string;
  port?: number;
  /** Forwarded path and query. */
  path: string;
  /**
   * Filter the answer (set for the local IDE, whose bytes the sandbox controls; not for another
   * node, which filtered them already): drop WORKSPACE_RESPONSE_DROPPED, keep only the cookies
   * named here, each re-scoped by `rescopeCookie`.
   */
  untrustedResponse?: { keepCookies: string[]; rescopeCookie: (nameValue: string) => string };
  /** Set-Cookie values of our own to add to the answer (e.g. the refreshed workspace cookie). */
  addSetCookie?: string[];
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

/** Response headers a workspace may not set on its origin (beside Set-Cookie, filtered by name). */
export const WORKSPACE_RESPONSE_DROPPED = new Set([
  'service-worker-allowed',
  'clear-site-data',
  'strict-transport-security',
  'public-key-pins',
  'public-key-pins-report-only',
  'alt-svc',
  'access-control-allow-origin',
  'access-control-allow-credentials',
  'access-control-allow-headers',
  'access-control-allow-methods',
  'access-control-expose-headers',
  'access-control-allow-private-network',
  'access-control-max-age',
  'set-cookie2',
]);

/** The answer's headers, filtered as `opts` says; hop-by-hop headers dropped unless `keepUpgrade`. */
export function responseHeaders(
  raw: http.IncomingHttpHeaders, opts: Pick<ForwardOptions, 'untrustedResponse' | 'addSetCookie'>, keepUpgrade = false,
): http.OutgoingHttpHeaders {
  const headers: http.OutgoingHttpHeaders = {};
  for (const [k, v] of Object.entries(raw)) {
    if (v === undefined || (!keepUpgrade && HOP_BY_HOP.has(k))) continue;
    if (opts.untrustedResponse && (WORKSPACE_RESPONSE_DROPPED.has(k) || k === 'set-cookie')) continue;
    headers[k] = v;
  }
  const cookies: string[] = [];
  if (opts.untrustedResponse) {
    const { keepCookies, rescopeCookie } = opts.untrustedResponse;
    for (const c of raw['set-cookie'] ?? []) {
      const nameValue = c.split(';', 1)[0]!.trim();
      const name = nameValue.slice(0, Math.max(0, nameValue.indexOf('='))).trim();
      if (keepCookies.includes(name)) cookies.push(rescopeCookie(nameValue));
    }
  }
  cookies.push(...(opts.addSetCookie ?? []));
  if (cookies.length) headers['set-cookie'] = [...((headers['set-cookie'] as string[] | undefined) ?? []), ...cookies];
  return headers;
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

/** Where the request goes: a tunnel connection (taken when the request needs its socket) or a TCP address. */
function target(opts: ForwardOptions): http.RequestOptions {
  const tunnel = opts.tunnel;
  if (!tunnel) return { host: opts.host, port: opts.port };
  return {
    createConnection: (_o: unknown, done: (err: Error | null, socket?: net.Socket) => void) => {
      tunnel.take().then(s => done(null, s), (err: Error) => done(err));
      return undefined;
    },
  } as unknown as http.RequestOptions;
}

/** Proxies one HTTP request, streaming both bodies. */
export function forwardHttp(req: IncomingMessage, res: ServerResponse, opts: ForwardOptions): void {
  const upstream = http.request(
    { ...target(opts), method: req.method, path: opts.path, headers: forwardHeaders(req, opts, false) },
    up => {
      res.writeHead(up.statusCode ?? 502, responseHeaders(up.headers, opts));
      up.pipe(res);
      // An answer cut off upstream must not leave the browser waiting for the rest.
      up.on('error', err => res.destroy(err));
      up.on('close', () => {
        if (!up.complete) res.destroy();
      });
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

/** Connects to the upstream: a tunnel connection or TCP. */
function connectUpstream(opts: ForwardOptions): Promise<net.Socket> {
  if (opts.tunnel) return opts.tunnel.take();
  return new Promise((resolve, reject) => {
    const s = net.connect(opts.port!, opts.host);
    s.once('connect', () => {
      s.off('error', reject);
      resolve(s);
    });
    s.once('error', reject);
  });
}

const MAX_HEAD = 64 * 1024;

/** Re-serialises the upstream's answer head (status line and headers), filtered like an HTTP answer. */
function filterHead(head: string, opts: ForwardOptions): string | undefined {
  const lines = head.split('\r\n');
  const status = lines.shift();
  if (!status || !/^HTTP\/1\.[01] \d{3}/.test(status)) return undefined;
  const raw: http.IncomingHttpHeaders = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const k = line.slice(0, colon).trim().toLowerCase();
    const v = line.slice(colon + 1).trim();
    if (k === 'set-cookie') (raw['set-cookie'] ??= []).push(v);
    else raw[k] = raw[k] === undefined ? v : `${String(raw[k])}, ${v}`;
  }
  let out = `${status}\r\n`;
  for (const [k, v] of Object.entries(responseHeaders(raw, opts, true))) {
    for (const value of Array.isArray(v) ? v : [v]) out += `${k}: ${String(value)}\r\n`;
  }
  return `${out}\r\n`;
}

/**
 * Proxies a WebSocket upgrade: replays the request upstream, filters the answer's head (Theia
 * answers the 101 itself) and then pipes raw bytes both ways. `onClose` fires once when either
 * side closes — use it to release the runner's connection count.
 */
export function forwardUpgrade(
  req: IncomingMessage,
  socket: Duplex,
  head: Buffer,
  opts: ForwardOptions & { onClose?: () => void },
): void {
  let upstream: net.Socket | undefined;
  let closed = false;
  const close = () => {
    if (closed) return;
    closed = true;
    upstream?.destroy();
    socket.destroy();
    opts.onClose?.();
  };
  const fail = (err: Error) => {
    opts.onError?.(err);
    if (closed) return;
    closed = true;
    upstream?.destroy();
    // Nothing was forwarded yet: answer 502 and let it flush before closing.
    if (socket.writable) socket.end('HTTP/1.1 502 Bad Gateway\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
    else socket.destroy();
    opts.onClose?.();
  };
  socket.on('error', close);
  socket.on('close', close);
  connectUpstream(opts).then(up => {
    upstream = up;
    if (closed) return void up.destroy();
    const headers = forwardHeaders(req, opts, true);
    let raw = `${req.method ?? 'GET'} ${opts.path} HTTP/1.1\r\n`;
    for (const [k, v] of Object.entries(headers)) {
      for (const value of Array.isArray(v) ? v : [v]) raw += `${k}: ${String(value)}\r\n`;
    }
    up.write(`${raw}\r\n`);
    if (head.length) up.write(head);
    // Read the answer's head, filter it, then pass everything after it through untouched.
    let buffered = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      const end = buffered.indexOf('\r\n\r\n');
      if (end < 0) {
        if (buffered.length > MAX_HEAD) fail(new Error('upstream answer head too large'));
        return;
      }
      up.off('data', onData);
      up.pause();
      const filtered = filterHead(buffered.subarray(0, end).toString('latin1'), opts);
      if (!filtered) return fail(new Error('upstream answered no HTTP'));
      socket.write(filtered);
      const rest = buffered.subarray(end + 4);
      if (rest.length) socket.write(rest);
      up.pipe(socket);
      socket.pipe(up);
    };
    up.on('data', onData);
    up.on('error', close);
    up.on('close', close);
  }, fail);
}
