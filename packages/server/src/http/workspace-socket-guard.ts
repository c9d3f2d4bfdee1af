import { API_PREFIX, compatEndpoints, endpoints, fileStreamEndpoints } from '@coditect/contract';
import type { FastifyInstance } from 'fastify';
import { arrivedViaWorkspace } from '../workspaces/workspace-host.js';
import { AppError } from './app-error.js';

/** `METHOD /api/v5/path` of every endpoint the contract lists (JSON, streaming, compatible). */
export const contractRoutes: ReadonlySet<string> = new Set(
  [...Object.values(endpoints), ...Object.values(fileStreamEndpoints), ...Object.values(compatEndpoints)]
    .map((e) => `${e.method} ${API_PREFIX}${e.path}`),
);

/**
 * A workspace's API socket reaches the contract's endpoints only (each then
 * checks its own `callers`): not the IDE proxy, the web app, `/metrics`, the
 * OpenAPI document or anything registered later outside the contract.
 */
export function installWorkspaceSocketGuard(app: FastifyInstance): void {
  app.addHook('onRequest', async (request) => {
    if (arrivedViaWorkspace(request.raw) === undefined) return;
    const method = request.method === 'HEAD' ? 'GET' : request.method;
    if (!contractRoutes.has(`${method} ${request.routeOptions.url ?? ''}`)) {
      throw new AppError('insufficient_scope', 'The workspace token cannot call this endpoint');
    }
  });
}

const registered = new WeakMap<FastifyInstance, string[]>();

/** Records every route `app` registers from now on (`METHOD url`), for the contract's completeness test. */
export function recordRoutes(app: FastifyInstance): void {
  const list: string[] = [];
  registered.set(app, list);
  app.addHook('onRoute', (r) => {
    for (const method of [r.method].flat()) list.push(`${method} ${r.url}`);
  });
}

/** The routes `app` registered (`METHOD url`), as recorded by recordRoutes. */
export const registeredRoutes = (app: FastifyInstance): readonly string[] => registered.get(app) ?? [];
