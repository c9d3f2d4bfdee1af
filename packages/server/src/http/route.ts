import { API_PREFIX, type Endpoint, type FieldIssue, type OutputOf, type PlainEndpoint } from '@coditect/contract';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import type { ClientInfo, Deps } from '../deps.js';
import { AppError } from './app-error.js';
import { authenticate, type AuthContext } from './authenticate.js';
import { arrivedViaWorkspace } from '../workspaces/workspace-host.js';

/** What a handler receives: validated input, the caller, and the raw request for the rare extra. */
export interface HandlerInput<E extends Endpoint> {
  body: OutputOf<E, 'body'>;
  query: OutputOf<E, 'query'>;
  params: OutputOf<E, 'params'>;
  auth: E extends { callers: { public: true } } ? undefined : AuthContext;
  client: ClientInfo;
  request: FastifyRequest;
  reply: FastifyReply;
}

type Result<E extends Endpoint> = E extends { response: z.ZodType } ? OutputOf<E, 'response'> : void;

/** Parses one part of a request with its schema; a failure is a `validation_failed` listing each field. */
export function validate(schema: z.ZodType | undefined, value: unknown, where: string): unknown {
  if (!schema) return undefined;
  const result = schema.safeParse(value ?? (where === 'body' ? undefined : {}));
  if (result.success) return result.data;
  const details: FieldIssue[] = result.error.issues.map((i) => ({
    path: i.path.join('.'),
    message: i.message,
    code: i.code === 'invalid_format' || i.code === 'custom' ? 'invalid_format' : i.code,
  }));
  throw new AppError('validation_failed', `Invalid request ${where}`, { details });
}

/**
 * The first step of every endpoint's pipeline, JSON or plain: who is calling
 * (checked against the endpoint's `callers`), then the caller's rate limit.
 * Public endpoints are refused on a workspace's API socket (it reaches only
 * what the workspace token may).
 */
export async function admit(deps: Deps, request: FastifyRequest, endpoint: Pick<PlainEndpoint, 'callers' | 'rateLimit'>): Promise<AuthContext | undefined> {
  if (endpoint.callers.public) {
    if (arrivedViaWorkspace(request.raw) !== undefined) throw new AppError('insufficient_scope', 'The workspace token cannot call this endpoint');
    return undefined;
  }
  const auth = await authenticate(deps, request, endpoint.callers);
  if (endpoint.rateLimit) {
    await deps.limiter.consume(`${endpoint.rateLimit}:${auth.tenantId}:${auth.userId}`, deps.config.rateLimits[endpoint.rateLimit]);
  }
  return auth;
}

/**
 * Registers an endpoint of the contract. The pipeline is always the same:
 * authenticate → validate → handler (a command) → status + presented body.
 */
export function route<E extends Endpoint>(
  app: FastifyInstance, deps: Deps, endpoint: E, handler: (input: HandlerInput<E>) => Promise<Result<E>>,
): void {
  app.route({
    method: endpoint.method,
    url: API_PREFIX + endpoint.path,
    handler: async (request, reply) => {
      const auth = await admit(deps, request, endpoint);
      const input = {
        body: validate(endpoint.body, request.body, 'body'),
        query: validate(endpoint.query, request.query, 'query'),
        params: validate(endpoint.params, request.params, 'path'),
        auth,
        // Requests through a workspace's Unix socket have no IP.
        client: { ip: request.ip ?? 'workspace-socket', userAgent: request.headers['user-agent'] ?? null },
        request,
        reply,
      } as HandlerInput<E>;
      const result = await handler(input);
      if (reply.sent) return reply; // hijacked: answered by a forward to another node
      reply.status(endpoint.status);
      if (endpoint.status === 204) return reply.send();
      // In tests every response is checked against the contract, so drift fails loudly.
      if (deps.config.env === 'test' && endpoint.response) endpoint.response.parse(result);
      return result;
    },
  });
}
