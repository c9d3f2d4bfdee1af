import type { FastifyInstance } from 'fastify';
import { API_PREFIX } from '@coditect/contract';
import type { WorkspaceOrigins } from '../workspaces/workspace-origins.js';

/**
 * CORS locked to the configured origins: any other origin gets no
 * `Access-Control-Allow-*` header, so browsers keep other sites out of the API.
 * Credentials (cookies) are never allowed cross-origin; clients send Bearer tokens.
 * A workspace origin is never admitted, even if configured: its pages are the workspace's own code.
 */
export function installCors(app: FastifyInstance, allowed: string[], workspaces: WorkspaceOrigins): void {
  const origins = new Set(allowed);
  app.addHook('onRequest', async (request, reply) => {
    const origin = request.headers.origin;
    if (!origin || !request.url.startsWith(API_PREFIX) || !origins.has(origin) || workspaces.isWorkspaceOrigin(origin)) return;
    reply.header('access-control-allow-origin', origin);
    reply.header('vary', 'Origin');
    if (request.method === 'OPTIONS' && request.headers['access-control-request-method']) {
      reply.header('access-control-allow-methods', 'GET, POST, PUT, PATCH, DELETE');
      reply.header('access-control-allow-headers', 'authorization, content-type, if-match, if-none-match, range');
      reply.header('access-control-max-age', '600');
      return reply.status(204).send();
    }
  });
}
