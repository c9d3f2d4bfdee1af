import { randomUUID } from 'node:crypto';
import Fastify, { LogController, type FastifyInstance } from 'fastify';
import { API_PREFIX } from '@coditect/contract';
import type { Deps } from './deps.js';
import { installCors } from './http/cors.js';
import { installErrorHandling } from './http/error-handler.js';
import { contractRoutes, installWorkspaceSocketGuard, recordRoutes } from './http/workspace-socket-guard.js';
import { installWorkspaceOrigins } from './http/workspace-proxy.js';
import { authRoutes } from './routes/auth.js';
import { fileRoutes } from './routes/files.js';
import { snapshotRoutes } from './routes/snapshots.js';
import { sessionRoutes } from './routes/sessions.js';
import { systemRoutes } from './routes/system.js';
import { userRoutes } from './routes/users.js';
import { llmRoutes } from './routes/llm.js';
import { workspaceRoutes } from './routes/workspaces.js';
import { webAppRoutes } from './routes/web-app.js';

/** 1 MiB: larger JSON bodies answer 413 `payload_too_large`. */
export const BODY_LIMIT = 1024 * 1024;

/** Builds the HTTP application over already-open dependencies (no listening). */
export async function buildApp(deps: Deps): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: deps.log,
    // One line per request from our onResponse hook instead of Fastify's two.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: BODY_LIMIT,
    // A number means "trust that many hops"; Fastify accepts it though its types do not say so.
    trustProxy: deps.config.trustProxy as boolean | string[],
    genReqId: () => randomUUID(),
    routerOptions: { maxParamLength: 200 },
  }) as unknown as FastifyInstance;
  recordRoutes(app);

  app.addHook('onSend', async (request, reply) => {
    reply.header('x-request-id', request.id);
    if (request.url.startsWith(API_PREFIX)) {
      reply.header('cache-control', 'no-store');
      reply.header('x-content-type-options', 'nosniff');
    }
  });
  app.addHook('onResponse', async (request, reply) => {
    // Route templates of the contract (never raw URLs) keep label cardinality bounded.
    deps.metrics.observeHttp(contractRoutes, request.method, request.routeOptions.url, reply.statusCode, reply.elapsedTime / 1000);
    request.log.info({ method: request.method, url: request.routeOptions.url ?? request.url.split('?')[0],
      status: reply.statusCode, ms: Math.round(reply.elapsedTime) }, 'request');
  });

  // JSON only: anything else answers 415 instead of reaching a handler as a string.
  app.removeContentTypeParser('text/plain');
  installErrorHandling(app, deps.health);
  // A workspace's API socket reaches contract endpoints only, whatever Host it names.
  installWorkspaceSocketGuard(app);
  // Then: a workspace origin's requests all go to that workspace, nothing of the app answers them.
  installWorkspaceOrigins(app, deps);
  installCors(app, deps.config.corsOrigins, deps.workspaces.origins);
  await systemRoutes(app, deps);
  await authRoutes(app, deps);
  await userRoutes(app, deps);
  await sessionRoutes(app, deps);
  await llmRoutes(app, deps);
  await workspaceRoutes(app, deps);
  deps.workspaces.setRouter(app.routing);
  await webAppRoutes(app, deps);
  await fileRoutes(app, deps);
  await snapshotRoutes(app, deps);
  return app;
}
