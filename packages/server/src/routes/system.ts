import { API_PREFIX, buildOpenApiDocument, endpoints } from '@coditect/contract';
import type { FastifyInstance } from 'fastify';
import type { Deps } from '../deps.js';
import { AppError } from '../http/app-error.js';
import { route } from '../http/route.js';

export const VERSION = '0.1.0';

export async function systemRoutes(app: FastifyInstance, deps: Deps): Promise<void> {
  route(app, deps, endpoints.health, async () => ({ status: 'ok' as const }));

  route(app, deps, endpoints.ready, async () => {
    try {
      await deps.store.ping();
    } catch (err) {
      throw new AppError('service_unavailable', 'Database unavailable', { cause: err, expected: true });
    }
    return { status: 'ready' as const };
  });

  route(app, deps, endpoints.jwks, async () => deps.tokens.jwks() as never);

  // Prometheus scrape target; keep it off the public edge (the nginx config denies it).
  app.get('/metrics', async (_request, reply) => {
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
