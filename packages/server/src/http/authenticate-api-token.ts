import type { FastifyRequest } from 'fastify';
import { API_TOKEN_PREFIX, hashApiToken, type TokenScope } from '../auth/api-token.js';
import type { Deps } from '../deps.js';
import { readBool, readJson } from '../store/database.js';
import { findApiTokenByHash, touchApiToken } from '../store/repositories/api-tokens.js';
import { findUser } from '../store/repositories/users.js';
import { AppError } from './app-error.js';
import { assertLiveAuthSession, type AuthContext } from './authenticate.js';

export { API_TOKEN_PREFIX, type TokenScope };

const TOUCH_INTERVAL_MS = 60_000;

/** The caller of a request made with a personal access token. */
export interface TokenCaller extends AuthContext {
  scopes: TokenScope[];
}

/**
 * Verifies a workspace's own token (`cdw_…`): valid only on requests that came
 * through that very instance's API socket while it runs, and only while a
 * login that opened it is still live (logout-all, a password change or a
 * reused refresh token end it on the next request).
 */
export async function authenticateWorkspaceToken(deps: Deps, request: FastifyRequest, token: string): Promise<AuthContext> {
  const caller = await deps.workspaces.verifyApiToken(request.raw, token);
  if (!caller) throw new AppError('invalid_token', 'Workspace token not valid here (the workspace stopped, or the request did not come from it)');
  let ended: unknown = new AppError('session_revoked', 'The sign-in that opened this workspace has ended; open it again');
  for (const sessionId of caller.openedBy) {
    try {
      await assertLiveAuthSession(deps, { tenantId: caller.tenantId, userId: caller.userId, sessionId });
      return { tenantId: caller.tenantId, userId: caller.userId, sessionId, workspaceSessionId: caller.workspaceId };
    } catch (err) {
      ended = err;
    }
  }
  throw ended;
}

/** Verifies a personal access token: known, not revoked, not expired, user active, scope granted. */
export async function authenticateApiToken(deps: Deps, token: string, scope: TokenScope): Promise<TokenCaller> {
  const now = deps.now();
  const row = await deps.store.system((tx) => findApiTokenByHash(tx, hashApiToken(token)));
  if (!row || row.revoked_at) throw new AppError('invalid_token', 'Unknown or revoked access token');
  if (row.expires_at && row.expires_at <= now.toISOString()) throw new AppError('token_expired', 'Access token expired; create a new one');
  const scopes = readJson<TokenScope[]>(row.scopes);
  const user = await deps.store.tenant(row.tenant_id, async (tx) => {
    if (!row.last_used_at || now.getTime() - Date.parse(row.last_used_at) > TOUCH_INTERVAL_MS) {
      await touchApiToken(tx, row.tenant_id, row.id, now.toISOString());
    }
    return findUser(tx, row.tenant_id, row.user_id);
  });
  if (!user || !readBool(user.is_active)) throw new AppError('account_disabled', 'This account is disabled');
  if (!scopes.includes(scope)) throw new AppError('insufficient_scope', `This access token lacks the "${scope}" scope`);
  return { tenantId: row.tenant_id, userId: row.user_id, sessionId: `token:${row.id}`, scopes };
}

/** The token a request presents: `Authorization: Bearer …`, or `x-api-key` (what Anthropic clients send). */
export function presentedToken(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  const bearer = header ? /^Bearer\s+(\S+)$/i.exec(header)?.[1] : undefined;
  const apiKey = request.headers['x-api-key'];
  return bearer ?? (typeof apiKey === 'string' ? apiKey : undefined);
}
