import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import { API_PREFIX } from '@coditect/contract';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Deps } from '../deps.js';
import { AppError } from '../http/app-error.js';

/**
 * The web app's server side:
 * 1. serves the built SPA at `/` (hashed assets cached forever, `index.html`
 *    never cached, unknown non-API paths fall back to `index.html`);
 * 2. the browser's refresh-token cookie: a browser client that sends
 *    `x-coditect-refresh-transport: cookie` gets its refresh token as an
 *    HttpOnly, SameSite=Strict cookie scoped to `/api/v5/auth` instead of in
 *    the JSON body, and `POST /auth/refresh` reads it from there. Page scripts
 *    never see the refresh token; non-browser clients keep using the body.
 *    Those cookie endpoints answer only the app's own pages: a browser request
 *    from another origin (a workspace origin above all) gets 403.
 * The app's pages carry a strict CSP: they may frame workspace origins only.
 */

/** Header a browser client sends to ask for cookie transport of the refresh token. */
export const REFRESH_TRANSPORT_HEADER = 'x-coditect-refresh-transport';
export const REFRESH_COOKIE = 'coditect_refresh';
const COOKIE_PATH = `${API_PREFIX}/auth`;
const ISSUING = new Set(['/auth/login', '/auth/register', '/auth/refresh'].map((p) => API_PREFIX + p));
const ENDING = new Set(['/auth/logout', '/auth/logout-all'].map((p) => API_PREFIX + p));

/** `packages/web/dist`, resolved from this file (same depth in `src/` and `dist/`). */
export const DEFAULT_WEB_DIR = fileURLToPath(new URL('../../../web/dist', import.meta.url));

/** Where the built web app is, or undefined when there is none. */
export function resolveWebDir(configured: string | undefined): string | undefined {
  const dir = configured ?? DEFAULT_WEB_DIR;
  return existsSync(path.join(dir, 'index.html')) ? dir : undefined;
}

export async function webAppRoutes(app: FastifyInstance, deps: Deps): Promise<void> {
  installRefreshCookie(app, deps);
  const root = resolveWebDir(deps.config.webDir);
  if (!root) {
    if (deps.config.webDir) throw new Error(`CODITECT_WEB_DIR has no index.html: ${deps.config.webDir}`);
    deps.log.info('web app not built (packages/web/dist missing): serving the API only');
    return;
  }
  await app.register(fastifyStatic, {
    root,
    prefix: '/',
    // Only files present at start-up get routes; everything else reaches the fallback below.
    wildcard: false,
    // The build writes .br/.gz beside each file; they are sent to clients that accept them.
    preCompressed: true,
    cacheControl: false,
    setHeaders(res, filePath) {
      const rel = path.relative(root, filePath).split(path.sep).join('/');
      if (rel.startsWith('assets/')) res.setHeader('cache-control', 'public, max-age=31536000, immutable');
      else res.setHeader('cache-control', 'no-cache');
      if (rel.endsWith('.html')) setDocumentHeaders(res, deps);
    },
  });
  const fallback = async (request: FastifyRequest, reply: FastifyReply) => {
    const pathname = request.url.split('?')[0] ?? '/';
    // API paths stay JSON errors; a missing file (`/x.js`) must not come back as HTML.
    // `/ws/…` (where IDEs once lived) stays a 404: workspaces are served on their own origins only.
    if (pathname.startsWith('/api/') || pathname === '/api' || pathname.startsWith('/ws/') || /\/[^/]*\.[A-Za-z0-9]+$/.test(pathname)) {
      throw new AppError('route_not_found', `No route for ${request.method} ${pathname}`);
    }
    reply.header('cache-control', 'no-cache');
    setDocumentHeaders(reply.raw, deps);
    return reply.sendFile('index.html', root, { cacheControl: false });
  };
  app.get('/*', fallback);
  deps.log.info({ root }, 'serving the web app');
}

function setDocumentHeaders(res: { setHeader(name: string, value: string): unknown }, deps: Deps): void {
  res.setHeader('x-content-type-options', 'nosniff');
  res.setHeader('referrer-policy', 'same-origin');
  // Workspace origins: framed (the IDE) and fetched (a ticket that renews the frame's cookie), nothing else.
  const ws = deps.workspaces.origins.cspSource();
  res.setHeader('content-security-policy', [
    "default-src 'self'", "script-src 'self'", "style-src 'self' 'unsafe-inline'", "img-src 'self' data:",
    "font-src 'self' data:", `connect-src 'self' ${ws}`, `frame-src ${ws}`,
    "frame-ancestors 'none'", "base-uri 'self'", "form-action 'self'", "object-src 'none'", "worker-src 'self'",
  ].join('; '));
}

/**
 * Whether a request to a cookie-authenticated endpoint comes from another origin: its `Origin`
 * is neither the app's own (as this request reached us) nor a configured CORS origin, or it is a
 * workspace origin, or the browser says the request is cross-site. Non-browser clients send none.
 */
function fromAnotherOrigin(request: FastifyRequest, deps: Deps): boolean {
  const site = request.headers['sec-fetch-site'];
  if (site === 'cross-site' || site === 'same-site') return true;
  const origin = request.headers.origin;
  if (origin === undefined) return false;
  if (deps.workspaces.origins.isWorkspaceOrigin(origin)) return true;
  return origin !== `${request.protocol}://${request.headers.host ?? ''}` && !deps.config.corsOrigins.includes(origin);
}

function wantsCookie(request: FastifyRequest): boolean {
  return request.headers[REFRESH_TRANSPORT_HEADER] === 'cookie';
}

function readCookie(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) {
      try {
        return decodeURIComponent(part.slice(eq + 1).trim());
      } catch {
        return undefined;
      }
    }
  }
  return undefined;
}

function refreshCookie(request: FastifyRequest, value: string, maxAgeSeconds: number): string {
  // Secure everywhere except plain-http loopback (local development and tests).
  const loopback = ['localhost', '127.0.0.1', '[::1]'].includes(request.hostname.replace(/:\d+$/, ''));
  const secure = request.protocol === 'https' || !loopback;
  return [`${REFRESH_COOKIE}=${encodeURIComponent(value)}`, `Path=${COOKIE_PATH}`, `Max-Age=${maxAgeSeconds}`,
    'HttpOnly', 'SameSite=Strict', ...(secure ? ['Secure'] : [])].join('; ');
}

function installRefreshCookie(app: FastifyInstance, deps: Deps): void {
  const refreshPath = `${API_PREFIX}/auth/refresh`;
  app.addHook('onRequest', async (request) => {
    const pathname = request.url.split('?')[0] ?? '';
    if (!ISSUING.has(pathname) && !ENDING.has(pathname)) return;
    if ((wantsCookie(request) || readCookie(request.headers.cookie, REFRESH_COOKIE)) && fromAnotherOrigin(request, deps)) {
      throw new AppError('cross_origin_refused', 'This endpoint answers only the Coditect app itself');
    }
  });
  app.addHook('preHandler', async (request) => {
    if (request.method !== 'POST' || request.url.split('?')[0] !== refreshPath || !wantsCookie(request)) return;
    const body = (request.body ?? {}) as Record<string, unknown>;
    if (typeof body.refreshToken === 'string') return;
    const token = readCookie(request.headers.cookie, REFRESH_COOKIE);
    if (!token) throw new AppError('missing_token', 'Not signed in');
    request.body = { ...body, refreshToken: token };
  });

  app.addHook('onSend', async (request, reply, payload) => {
    // A refused cross-origin call leaves the browser's cookie as it was (no forced sign-out either).
    if (!wantsCookie(request) || reply.statusCode === 403) return payload;
    const pathname = request.url.split('?')[0] ?? '';
    if (ENDING.has(pathname) || (pathname === refreshPath && reply.statusCode === 401)) {
      reply.header('set-cookie', refreshCookie(request, '', 0));
      return payload;
    }
    if (!ISSUING.has(pathname) || reply.statusCode >= 300 || typeof payload !== 'string') return payload;
    const body = JSON.parse(payload) as { refreshToken?: unknown };
    if (typeof body.refreshToken !== 'string') return payload;
    reply.header('set-cookie', refreshCookie(request, body.refreshToken, Math.floor(deps.config.refreshTtlMs / 1000)));
    delete body.refreshToken;
    return JSON.stringify(body);
  });
}
