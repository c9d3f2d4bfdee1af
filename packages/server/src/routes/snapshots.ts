import { endpoints } from '@coditect/contract';
import type { FastifyInstance } from 'fastify';
import type { Deps } from '../deps.js';
import { route } from '../http/route.js';
import { createSnapshot, listSessionSnapshots, restoreSnapshot } from '../storage/snapshot-commands.js';

export async function snapshotRoutes(app: FastifyInstance, deps: Deps): Promise<void> {
  route(app, deps, endpoints.createSnapshot, ({ auth, params, body }) => createSnapshot(deps, auth, params.id, body));
  route(app, deps, endpoints.listSnapshots, ({ auth, params }) => listSessionSnapshots(deps, auth, params.id));
  route(app, deps, endpoints.restoreSnapshot, ({ auth, params }) =>
    restoreSnapshot(deps, auth, params.id, params.snapshotId));
}
