import { endpoints } from '@coditect/contract';
import type { FastifyInstance } from 'fastify';
import { openWorkspace, stopWorkspace, workspaceStatus } from '../commands/workspaces.js';
import type { Deps } from '../deps.js';
import { route } from '../http/route.js';
import { workspaceProxy } from '../http/workspace-proxy.js';

export async function workspaceRoutes(app: FastifyInstance, deps: Deps): Promise<void> {
  route(app, deps, endpoints.openWorkspace, ({ auth, params, reply }) => openWorkspace(deps, auth, params.id, reply));
  route(app, deps, endpoints.workspaceStatus, ({ auth, params }) => workspaceStatus(deps, auth, params.id));
  route(app, deps, endpoints.stopWorkspace, ({ auth, params }) => stopWorkspace(deps, auth, params.id));
  await workspaceProxy(app, deps);
}
