import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import type { WorkspaceClaims } from '../auth/workspace-tokens.js';
import type { Deps } from '../deps.js';
import { findWorkspaceSession } from '../store/repositories/workspace-sessions.js';
import { forwardHttp, forwardUpgrade, parseWorkspacePath } from '../workspaces/ide-proxy.js';
import { AppError } from './app-error.js';
import { FORWARDED_HEADER, wasForwarded } from './node-forward.js';
import { assertLiveAuthSession } from './authenticate.js';
import { readWorkspaceCookie, WORKSPACE_COOKIE, workspaceCookie } from './workspace-cookie.js';

type Target = { claims: WorkspaceClaims; socketPath: string } | { claims: WorkspaceClaims; node: URL };

/**
 * `/ws/{id}/…` → that session's IDE backend, over HTTP and WebSocket, streamed.
 * Every request and upgrade is checked first: the path-scoped cookie must hold a
 * valid workspace token for this very session, its login must still be active,
 * and the session must still exist in the token's tenant. The cookie is removed
 * before forwarding, so the sandbox never sees it.
 */
async function authorize(deps: Deps, req: IncomingMessage, workspaceId: string): Promise<Target> {
  const token = readWorkspaceCookie(req);
  if (!token) throw new AppError('missing_token', 'Open this workspace from Coditect (no workspace cookie)');
  const claims = await deps.workspaces.cookieTokens.verify(token);
  if (claims.workspaceId !== workspaceId) throw new AppError('not_found', 'Workspace not found');
  await assertLiveAuthSession(deps, claims);
  const session = await deps.store.read(claims.tenantId, (db) => findWorkspaceSession(db, claims.tenantId, workspaceId));
  if (!session) throw new AppError('not_found', 'Workspace not found');
  const proc = deps.workspaces.runner.get(workspaceId);
  if (proc?.running) return { claims, socketPath: proc.socketPath };
  // Running on another node: send the traffic there (its owner checks the cookie again).
  const owner = wasForwarded(req) ? undefined : await deps.workspaces.placements.ownerElsewhere(claims.tenantId, workspaceId);
  if (owner) return { claims, node: new URL(owner) };
  throw new AppError('workspace_unavailable', 'This workspace is not running; reopen it from Coditect');
}

/** Where to forward: the local IDE's socket (prefix stripped, our cookie removed) or the owner node (as received). */
function forwardOptions(deps: Deps, target: Target, req: IncomingMessage, strippedPath: string) {
  if ('socketPath' in target) return { socketPath: target.socketPath, path: strippedPath, stripCookies: [WORKSPACE_COOKIE] };
  req.headers[FORWARDED_HEADER] = deps.workspaces.placements.nodeId;
  return { host: target.node.hostname, port: Number(target.node.port || 80), path: req.url ?? '/' };
}

export async function workspaceProxy(app: FastifyInstance, deps: Deps): Promise<void> {
  await app.register(async (scope) => {
    // Bodies stay unread: they are streamed to the IDE as they arrive.
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', (_req, _payload, done) => done(null));
    scope.route({
      method: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'],
      url: '/ws/*',
      handler: async (request, reply) => {
        const target = parseWorkspacePath(request.url);
        if (!target) throw new AppError('route_not_found', 'No such workspace path');
        if (target.needsSlash) return reply.redirect(`/ws/${target.sessionId}/${request.url.includes('?') ? request.url.slice(request.url.indexOf('?')) : ''}`, 308);
        const resolved = await authorize(deps, request.raw, target.sessionId);
        const { claims } = resolved;
        deps.workspaces.runner.touch(target.sessionId);
        // The cookie slides: past half its life, a fresh one rides on the response.
        if (Date.now() - claims.issuedAtMs > (deps.workspaces.cookieTokens.ttlSeconds * 1000) / 2) {
          const fresh = await deps.workspaces.cookieTokens.sign(claims);
          reply.raw.setHeader('set-cookie', workspaceCookie(deps, fresh, target.sessionId));
        }
        reply.hijack();
        forwardHttp(request.raw, reply.raw, {
          ...forwardOptions(deps, resolved, request.raw, target.path),
          onError: (err) => request.log.warn({ err: err.message, workspaceId: target.sessionId }, 'IDE proxy error'),
        });
      },
    });
  });

  app.server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const target = parseWorkspacePath(req.url ?? '');
    const refuse = (status: number, reason: string) => {
      socket.end(`HTTP/1.1 ${status} ${reason}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`);
    };
    if (!target || target.needsSlash) return refuse(404, 'Not Found');
    authorize(deps, req, target.sessionId).then(
      (resolved) => forwardUpgrade(req, socket, head, {
        ...forwardOptions(deps, resolved, req, target.path),
        ...('socketPath' in resolved ? { onClose: deps.workspaces.runner.acquire(target.sessionId) } : {}),
      }),
      (err: unknown) => {
        const status = err instanceof AppError ? err.status : 500;
        if (!(err instanceof AppError)) deps.log.error({ err }, 'workspace upgrade failed');
        refuse(status, status === 401 ? 'Unauthorized' : status === 404 ? 'Not Found' : 'Service Unavailable');
      },
    );
  });
}

