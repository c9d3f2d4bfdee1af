import { endpoints } from '@coditect/contract';
import type { FastifyInstance } from 'fastify';
import {
  changePassword, getCurrentUser, listDevices, revokeDevice, updateProfile,
} from '../commands/account.js';
import type { Deps } from '../deps.js';
import { route } from '../http/route.js';

export async function userRoutes(app: FastifyInstance, deps: Deps): Promise<void> {
  route(app, deps, endpoints.getMe, ({ auth }) => getCurrentUser(deps, auth));
  route(app, deps, endpoints.updateProfile, ({ auth, body }) => updateProfile(deps, auth, body));
  route(app, deps, endpoints.changePassword, ({ auth, body }) => changePassword(deps, auth, body));
  route(app, deps, endpoints.listDevices, async ({ auth }) => ({ items: await listDevices(deps, auth) }));
  route(app, deps, endpoints.revokeDevice, ({ auth, params }) => revokeDevice(deps, auth, params.id));
}
