import { endpoints } from '@coditect/contract';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { assertOwnSession, openWorkspace, stopWorkspace, workspaceStatus } from '../commands/workspaces.js';
import type { Deps } from '../deps.js';
import type { AuthContext } from '../http/authenticate.js';
import { forwardToNode, wasForwarded } from '../http/node-forward.js';
import { route } from '../http/route.js';

export async function workspaceRoutes(app: FastifyInstance, deps: Deps): Promise<void> {
  const { placements } = deps.workspaces;
  /** When another live node runs the workspace, the request is answered there (true: forwarded). */
  const handledElsewhere = async (auth: AuthContext, id: string, request: FastifyRequest, reply: FastifyReply, claim: boolean) => {
    if (wasForwarded(request)) return false;
    await assertOwnSession(deps, auth, id);
    const owner = claim
      ? await placements.claim(auth.tenantId, id).then((c) => (c.mine ? undefined : c.nodeUrl))
      : await placements.ownerElsewhere(auth.tenantId, id);
    if (!owner) return false;
    forwardToNode(request, reply, owner, placements.nodeId);
    return true;
  };

  route(app, deps, endpoints.openWorkspace, async ({ auth, params, request, reply }) =>
    (await handledElsewhere(auth, params.id, request, reply, true)) ? (undefined as never) : openWorkspace(deps, auth, params.id));
  route(app, deps, endpoints.workspaceStatus, async ({ auth, params, request, reply }) =>
    (await handledElsewhere(auth, params.id, request, reply, false)) ? (undefined as never) : workspaceStatus(deps, auth, params.id));
  route(app, deps, endpoints.stopWorkspace, async ({ auth, params, request, reply }) =>
    (await handledElsewhere(auth, params.id, request, reply, false)) ? (undefined as never) : stopWorkspace(deps, auth, params.id));
}
