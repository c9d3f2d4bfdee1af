import { endpoints } from '@coditect/contract';
import type { FastifyInstance } from 'fastify';
import { signOut, signOutEverywhere } from '../commands/account.js';
import { refreshSession } from '../commands/refresh-session.js';
import { registerUser } from '../commands/register-user.js';
import { signIn } from '../commands/sign-in.js';
import type { Deps } from '../deps.js';
import { route } from '../http/route.js';

export async function authRoutes(app: FastifyInstance, deps: Deps): Promise<void> {
  route(app, deps, endpoints.register, ({ body, client }) => registerUser(deps, body, client));
  route(app, deps, endpoints.login, ({ body, client }) => signIn(deps, body, client));
  route(app, deps, endpoints.refresh, ({ body, client }) => refreshSession(deps, body.refreshToken, client));
  route(app, deps, endpoints.logout, ({ auth }) => signOut(deps, auth));
  route(app, deps, endpoints.logoutAll, ({ auth }) => signOutEverywhere(deps, auth));
}
