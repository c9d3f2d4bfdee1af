import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { WorkspaceClaims } from '../auth/workspace-tokens.js';
import { TICKET_PATH } from '../commands/workspaces.js';
import type { Deps } from '../deps.js';
import { findWorkspaceSession } from '../store/repositories/workspace-sessions.js';
import { redeemTicketOnce } from '../store/repositories/workspace-tickets.js';
import { forwardHttp, forwardUpgrade, type ForwardOptions } from '../workspaces/ide-proxy.js';
import type { IdeTunnel } from '../workspaces/ide-tunnel.js';
import { AppError } from './app-error.js';
import { assertLiveAuthSession } from './authenticate.js';
import { FORWARDED_HEADER, wasForwarded } from './node-forward.js';
import { readWorkspaceCookie, WORKSPACE_COOKIE, workspaceCookie, workspaceCookieAttributes } from './workspace-cookie.js';
import { refusalPage } from './workspace-refusal-page.js';

/** Theia's own cookie (its WebSocket checks it): the one cookie a workspace may set, re-scoped by us. */
const THEIA_COOKIE = 'theia-connection-token';

type Target = { claims: WorkspaceClaims; tunnel: IdeTunnel } | { claims: WorkspaceClaims; node: URL };

/**
 * Browsers' fetch metadata and Origin: a workspace origin answers only its own pages, and
 * navigations to it (the app's iframe). Another origin — another workspace included — cannot
 * fetch from it, post to it or open its WebSocket with the user's cookie.
 */
function crossOriginRefused(req: IncomingMessage, ownOrigin: string): boolean {
  const origin = req.headers.origin;
  const site = req.headers['sec-fetch-site'];
  const navigation = req.headers['sec-fetch-mode'] === 'navigate' && (req.method === 'GET' || req.method === 'HEAD');
  const foreign = (origin !== undefined && origin !== ownOrigin) || site === 'cross-site' || site === 'same-site';
  return foreign && !navigation;
}

/**
 * Checks a request to workspace `id`'s origin: the host-only cookie must hold a valid workspace
 * token for this very session, its login must still be active, and the session must still exist
 * in the token's tenant. Answers where to send it: this node's IDE tunnel or the owner node.
 */
async function authorize(deps: Deps, req: IncomingMessage, workspaceId: string): Promise<Target> {
  const token = readWorkspaceCookie(req);
  if (!token) throw new AppError('missing_token', 'Open this workspace from Coditect (no workspace cookie)');
  const claims = await deps.workspaces.cookieTokens.verify(token);
  if (claims.workspaceId !== workspaceId) throw new AppError('not_found', 'Workspace not found');
  await assertLiveAuthSession(deps, claims);
  const session = await deps.store.read(claims.tenantId, (db) => findWorkspaceSession(db, claims.tenantId, workspaceId));
  if (!session) throw new AppError('not_found', 'Workspace not found');
  const tunnel = deps.workspaces.runner.tunnel(workspaceId);
  if (tunnel) return { claims, tunnel };
  // Running on another node: send the traffic there (its owner checks the cookie again).
  const owner = wasForwarded(req) ? undefined : await deps.workspaces.placements.ownerElsewhere(claims.tenantId, workspaceId);
  if (owner) return { claims, node: new URL(owner) };
  throw new AppError('workspace_unavailable', 'This workspace is not running; reopen it from Coditect');
}

/** Where to forward: the local IDE's tunnel (answer filtered, our cookie removed) or the owner node (as received). */
function forwardOptions(deps: Deps, target: Target, req: IncomingMessage): ForwardOptions {
  const path = req.url ?? '/';
  if ('tunnel' in target) {
    const attrs = workspaceCookieAttributes(deps);
    return { tunnel: target.tunnel, path, stripCookies: [WORKSPACE_COOKIE],
      untrustedResponse: { keepCookies: [THEIA_COOKIE], rescopeCookie: (nameValue) => `${nameValue}; ${attrs}` } };
  }
  req.headers[FORWARDED_HEADER] = deps.workspaces.placements.nodeId;
  return { host: target.node.hostname, port: Number(target.node.port || 80), path };
}

/** `GET /__coditect/ticket?t=…`: redeems the one-time ticket (once, on any node) for this origin's cookie. */
async function redeemTicket(deps: Deps, workspaceId: string, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const query = new URLSearchParams(request.url.slice(request.url.indexOf('?') + 1));
  const now = deps.now();
  const ticket = await deps.workspaces.tickets.verify(query.get('t') ?? '', now);
  if (ticket.workspaceId !== workspaceId) throw new AppError('invalid_token', 'This link is for another workspace');
  const fresh = await deps.store.tenant(ticket.tenantId, (tx) =>
    redeemTicketOnce(tx, ticket.tenantId, ticket.jti, ticket.expiresAt.toISOString(), now.toISOString()));
  if (!fresh) throw new AppError('invalid_token', 'This workspace link was already used; open the workspace from Coditect again');
  await assertLiveAuthSession(deps, ticket);
  const session = await deps.store.read(ticket.tenantId, (db) => findWorkspaceSession(db, ticket.tenantId, workspaceId));
  if (!session) throw new AppError('not_found', 'Workspace not found');
  const { jti: _jti, expiresAt: _exp, ...claims } = ticket;
  query.delete('t');
  const rest = query.toString();
  return reply.code(303).header('set-cookie', workspaceCookie(deps, await deps.workspaces.cookieTokens.sign(claims)))
    .header('cache-control', 'no-store').header('referrer-policy', 'no-referrer')
    .header('location', rest ? `/?${rest}` : '/').send();
}

/** Every request on a workspace origin, whatever its path: the API, the SPA and the app's cookies are never here. */
async function serveWorkspace(deps: Deps, workspaceId: string, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const ownOrigin = deps.workspaces.origins.origin(workspaceId);
  // The ticket is the credential here (single use): the app may redeem it from a frame or a fetch.
  if (request.url.split('?')[0] === TICKET_PATH && request.method === 'GET') return redeemTicket(deps, workspaceId, request, reply);
  if (crossOriginRefused(request.raw, ownOrigin)) {
    throw new AppError('cross_origin_refused', 'Another site cannot call this workspace');
  }
  let target: Target;
  try {
    target = await authorize(deps, request.raw, workspaceId);
  } catch (err) {
    // A page load (the app's iframe) gets a page that tells the app why, so it can re-open.
    if (err instanceof AppError && request.headers['sec-fetch-mode'] === 'navigate') {
      return reply.code(err.status).header('content-type', 'text/html; charset=utf-8').header('cache-control', 'no-store')
        .send(refusalPage(err.code, err.message));
    }
    throw err;
  }
  const { claims } = target;
  deps.workspaces.runner.touch(workspaceId);
  const addSetCookie: string[] = [];
  // The cookie slides: past half its life, a fresh one rides on the answer.
  if ('tunnel' in target && Date.now() - claims.issuedAtMs > (deps.workspaces.cookieTokens.ttlSeconds * 1000) / 2) {
    addSetCookie.push(workspaceCookie(deps, await deps.workspaces.cookieTokens.sign(claims)));
  }
  reply.hijack();
  forwardHttp(request.raw, reply.raw, {
    ...forwardOptions(deps, target, request.raw),
    addSetCookie,
    onError: (err) => request.log.warn({ err: err.message, workspaceId }, 'IDE proxy error'),
  });
  return reply;
}

/**
 * Routes by Host: a request whose Host is a workspace origin (`{id}.ws.…`) goes to that
 * workspace, for every path and method, over HTTP and WebSocket; nothing of the app is served
 * there. Install before any other hook or route.
 */
export function installWorkspaceOrigins(app: FastifyInstance, deps: Deps): void {
  const { origins } = deps.workspaces;
  app.addHook('onRequest', async (request, reply) => {
    const workspaceId = origins.idForHost(request.headers.host);
    if (workspaceId) return serveWorkspace(deps, workspaceId, request, reply);
  });

  app.server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const refuse = (status: number, reason: string) => {
      socket.end(`HTTP/1.1 ${status} ${reason}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`);
    };
    const workspaceId = origins.idForHost(req.headers.host);
    if (!workspaceId) return refuse(404, 'Not Found');
    if (crossOriginRefused(req, origins.origin(workspaceId))) return refuse(403, 'Forbidden');
    authorize(deps, req, workspaceId).then(
      (resolved) => forwardUpgrade(req, socket, head, {
        ...forwardOptions(deps, resolved, req),
        ...('tunnel' in resolved ? { onClose: deps.workspaces.runner.acquire(workspaceId) } : {}),
        onError: (err) => deps.log.warn({ err: err.message, workspaceId }, 'IDE WebSocket proxy error'),
      }),
      (err: unknown) => {
        const status = err instanceof AppError ? err.status : 500;
        if (!(err instanceof AppError)) deps.log.error({ err }, 'workspace upgrade failed');
        refuse(status, status === 401 ? 'Unauthorized' : status === 404 ? 'Not Found' : 'Service Unavailable');
      },
    );
  });
}
