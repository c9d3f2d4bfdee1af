import { endpoints } from '@coditect/contract';
import type { FastifyInstance } from 'fastify';
import {
  createWorkspaceSession, getWorkspaceSession, listSessions, removeSession, updateSession,
} from '../commands/workspace-sessions.js';
import type { Deps } from '../deps.js';
import { route } from '../http/route.js';

export async function sessionRoutes(app: FastifyInstance, deps: Deps): Promise<void> {
  route(app, deps, endpoints.createSession, ({ auth, body }) => createWorkspaceSession(deps, auth, body));
  route(app, deps, endpoints.listSessions, ({ auth, query }) => listSessions(deps, auth, query));
  route(app, deps, endpoints.getSession, ({ auth, params }) => getWorkspaceSession(deps, auth, params.id));
  route(app, deps, endpoints.updateSession, ({ auth, params, body }) => updateSession(deps, auth, params.id, body));
  route(app, deps, endpoints.deleteSession, ({ auth, params }) => removeSession(deps, auth, params.id));
}
