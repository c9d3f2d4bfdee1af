import { z } from 'zod';
import { API_PREFIX, endpoints, type Endpoint } from './endpoints.js';
import type { Callers } from './callers.js';
import { ErrorBody } from './errors.js';

type JsonSchema = Record<string, unknown>;

const toSchema = (schema: z.ZodType, io: 'input' | 'output'): JsonSchema => {
  const { $schema: _ignored, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as JsonSchema;
  return rest;
};

const parametersOf = (schema: z.ZodType | undefined, where: 'query' | 'path') => {
  if (!schema) return [];
  const json = toSchema(schema, 'input') as { properties?: Record<string, JsonSchema>; required?: string[] };
  return Object.entries(json.properties ?? {}).map(([name, s]) => ({
    name,
    in: where,
    required: where === 'path' || (json.required ?? []).includes(name),
    schema: s,
  }));
};

/** One security requirement per admitted caller; the personal token's scope and the workspace token's reach are its roles. */
function securityOf(c: Callers): Record<string, string[]>[] {
  if (c.public) return [];
  return [
    ...(c.user ? [{ bearer: [] }] : []),
    ...(c.personalToken ? [{ personalToken: [c.personalToken] }] : []),
    ...(c.workspace ? [{ workspaceToken: [c.workspace] }] : []),
  ];
}

const errorContent = { content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } };

const operationOf = (name: string, e: Endpoint) => ({
  operationId: name,
  summary: e.summary,
  tags: [e.tag],
  security: securityOf(e.callers),
  'x-coditect-callers': e.callers,
  ...(e.rateLimit ? { 'x-coditect-rate-limit': e.rateLimit } : {}),
  parameters: [...parametersOf(e.params, 'path'), ...parametersOf(e.query, 'query')],
  ...(e.body
    ? { requestBody: { required: true, content: { 'application/json': { schema: toSchema(e.body, 'input') } } } }
    : {}),
  responses: {
    [e.status]: e.response
      ? { description: 'Success', content: { 'application/json': { schema: toSchema(e.response, 'output') } } }
      : { description: 'Success, no content' },
    ...(e.callers.public ? {} : { 403: { description: 'insufficient_scope: this kind of token may not call it', ...errorContent } }),
    ...(e.rateLimit ? { 429: { description: `rate_limited (per-user limit "${e.rateLimit}"); wait Retry-After seconds`, ...errorContent } } : {}),
    default: { description: 'Error', ...errorContent },
  },
});

/** The OpenAPI 3.1 document of the whole API, generated from the endpoint table. */
export function buildOpenApiDocument(info: { version: string }): JsonSchema {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const [name, e] of Object.entries(endpoints) as [string, Endpoint][]) {
    const path = API_PREFIX + e.path.replace(/:(\w+)/g, '{$1}');
    paths[path] ??= {};
    paths[path][e.method.toLowerCase()] = operationOf(name, e);
  }
  return {
    openapi: '3.1.0',
    info: { title: 'Coditect API', version: info.version, description: 'Multi-tenant browser IDE control plane' },
    components: {
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: "A signed-in user's access token" },
        personalToken: { type: 'http', scheme: 'bearer', bearerFormat: 'cdt_…',
          description: 'A personal access token; the role is the scope it must hold' },
        workspaceToken: { type: 'http', scheme: 'bearer', bearerFormat: 'cdw_…',
          description: "A workspace's own token, only through its API socket: own-session (its own session) or gateway (the LLM gateway)" },
      },
      schemas: { Error: toSchema(ErrorBody, 'output') },
    },
    paths,
  };
}
