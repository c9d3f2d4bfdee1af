import type { FastifyRequest } from 'fastify';
import type { Deps } from '../deps.js';
import { readBool } from '../store/database.js';
import { findAuthSession, touchAuthSession } from '../store/repositories/auth-sessions.js';
import type { TokenScope } from '../auth/api-token.js';
import { AppError } from './app-error.js';
import { WORKSPACE_TOKEN_PREFIX } from '../workspaces/workspace-host.js';
import { API_TOKEN_PREFIX, authenticateToken, presentedToken } from './authenticate-api-token.js';

/** The verified caller of an authenticated request. */
export interface AuthContext {
  userId: string;
  tenantId: string;
  sessionId: string;
  /** Set for a workspace's own token: it may reach only this workspace session. */
  workspaceSessionId?: string;
}

/** last_used_at is refreshed at most this often, so reads do not all become writes. */
const TOUCH_INTERVAL_MS = 60_000;

/**
 * Verifies the Bearer access token (or, where the endpoint allows `tokenScope`,
 * a personal access token), then checks its auth session row so that
 * logout, password change and refresh-token reuse take effect immediately.
 */
export async function authenticate(deps: Deps, request: FastifyRequest, tokenScope?: TokenScope): Promise<AuthContext> {
  if (tokenScope) {
    const token = presentedToken(request);
    if (token?.startsWith(API_TOKEN_PREFIX) || token?.startsWith(WORKSPACE_TOKEN_PREFIX)) {
      return authenticateToken(deps, request, token, tokenScope);
    }
  }
  const header = request.headers.authorization;
  if (!header) throw new AppError('missing_token', 'Authorization header with a Bearer token is required');
  const match = /^Bearer ([A-Za-z0-9._~+/=-]+)$/i.exec(header);
  if (!match) throw new AppError('invalid_token', 'Malformed Authorization header');
  const claims = await deps.tokens.verify(match[1]!);
  await assertLiveAuthSession(deps, claims);
  return claims;
}

/** Throws 401 unless the login behind these claims is still active (checked on every request). */
export async function assertLiveAuthSession(deps: Deps, claims: AuthContext): Promise<void> {
  const now = deps.now();
  const session = await deps.store.read(claims.tenantId, (db) => findAuthSession(db, claims.tenantId, claims.sessionId));
  if (!session || session.user_id !== claims.userId) throw new AppError('invalid_token', 'Unknown session');
  if (!readBool(session.is_active)) throw new AppError('session_revoked', 'This session has ended; sign in again');
  if (session.expires_at <= now.toISOString()) throw new AppError('token_expired', 'Session expired; sign in again');
  if (now.getTime() - Date.parse(session.last_used_at) > TOUCH_INTERVAL_MS) {
    await deps.store.tenant(claims.tenantId, (tx) => touchAuthSession(tx, claims.tenantId, session.id, now.toISOString()));
  }
}
