import { createHash, timingSafeEqual } from 'node:crypto';
import { API_PREFIX, buildOpenApiDocument, endpoints } from '@coditect/contract';
import type { FastifyInstance } from 'fastify';
import type { Deps } from '../deps.js';
import { AppError } from '../http/app-error.js';
import { route } from '../http/route.js';
import { RETRY_AFTER_UNAVAILABLE_S } from '../faults/fault-errors.js';
import { presentedToken } from '../http/authenticate-api-token.js';

/** Constant-time comparison of a presented secret with the configured one. */
function sameSecret(presented: string | undefined, expected: string): boolean {
  const a = createHash('sha256').update(presented ?? '').digest();
  const b = createHash('sha256').update(expected).digest();
  return presented !== undefined && timingSafeEqual(a, b);
}

export const VERSION = '0.1.0';

export async function systemRoutes(app: FastifyInstance, deps: Deps): Promise<void> {
  route(app, deps, endpoints.health, async () => ({ status: 'ok' as const }));

  // Not ready (503) only when the database is gone: nothing works then. A full disk leaves reads
  // working, so the node stays in rotation and says why it is degraded.
  route(app, deps, endpoints.ready, async () => {
    const r = await deps.health.readiness();
    if (!r.ok) {
      throw new AppError('database_unavailable', 'Database unavailable', {
        expected: true, headers: { 'retry-after': String(RETRY_AFTER_UNAVAILABLE_S) } });
    }
    return r.reasons.length ? { status: 'degraded' as const, reasons: r.reasons } : { status: 'ready' as const };
  });

  route(app, deps, endpoints.jwks, async () => deps.tokens.jwks() as never);

  // Prometheus scrapes the metrics listener (CODITECT_METRICS_LISTEN). On the public port
  // /metrics is a 404 (not the web app's index.html), unless CODITECT_METRICS_TOKEN is set
  // and presented as a bearer token.
  const metricsToken = deps.config.metrics.token;
  app.get('/metrics', async (request, reply) => {
    if (!metricsToken || !sameSecret(presentedToken(request), metricsToken)) {
      throw new AppError('route_not_found', `No route for GET ${request.url.split('?')[0]}`);
    }
    reply.header('content-type', deps.metrics.registry.contentType);
    return deps.metrics.registry.metrics();
  });

  const document = buildOpenApiDocument({ version: VERSION });
  app.get(`${API_PREFIX}/openapi.json`, async () => document);

  if (deps.config.docs) {
    const swagger = (await import('@fastify/swagger')).default;
    const swaggerUi = (await import('@fastify/swagger-ui')).default;
    await app.register(swagger, { mode: 'static', specification: { document: document as never } });
    await app.register(swaggerUi, { routePrefix: `${API_PREFIX}/docs` });
  }
}
