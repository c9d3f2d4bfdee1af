import type { Callers } from '@coditect/contract';
import type { FastifyRequest } from 'fastify';
import type { Deps } from '../deps.js';
import { readBool } from '../store/database.js';
import { findAuthSession, touchAuthSession } from '../store/repositories/auth-sessions.js';
import { AppError, notFound } from './app-error.js';
import { arrivedViaWorkspace, WORKSPACE_TOKEN_PREFIX } from '../workspaces/workspace-host.js';
import { API_TOKEN_PREFIX, authenticateApiToken, authenticateWorkspaceToken, presentedToken } from './authenticate-api-token.js';

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

const notAdmitted = (who: string) => new AppError('insufficient_scope', `${who} cannot call this endpoint`);

/**
 * Verifies the caller against the endpoint's `callers`: a user's access JWT,
 * a personal access token with the named scope, or the workspace token
 * (only through its own API socket). Every kind checks the login or token
 * behind it on every request, so logout, password change and refresh-token
 * reuse take effect immediately. Anything the endpoint does not admit is 403
 * `insufficient_scope`; a workspace asking for another session gets 404.
 */
export async function authenticate(deps: Deps, request: FastifyRequest, callers: Callers): Promise<AuthContext> {
  if (callers.public) throw new Error('authenticate() called for a public endpoint');
  const token = presentedToken(request);
  if (arrivedViaWorkspace(request.raw) !== undefined) {
    // The socket is the workspace's: it reaches only what the workspace token may, and only with that token.
    if (!callers.workspace) throw notAdmitted('The workspace token');
    if (!token) throw new AppError('missing_token', 'Send the workspace token (CODITECT_API_TOKEN) as a Bearer token');
    if (!token.startsWith(WORKSPACE_TOKEN_PREFIX)) throw new AppError('invalid_token', 'Only the workspace token is accepted on the workspace socket');
    const caller = await authenticateWorkspaceToken(deps, request, token);
    if (callers.workspace === 'own-session') confineToOwnSession(request, caller.workspaceSessionId!);
    return caller;
  }
  if (!token) {
    if (request.headers.authorization) throw new AppError('invalid_token', 'Malformed Authorization header');
    throw new AppError('missing_token', 'Authorization header with a Bearer token is required');
  }
  if (token.startsWith(WORKSPACE_TOKEN_PREFIX)) {
    throw new AppError('invalid_token', 'Workspace token not valid here (the request did not come from its workspace)');
  }
  if (token.startsWith(API_TOKEN_PREFIX)) {
    if (!callers.personalToken) throw notAdmitted('A personal access token');
    return authenticateApiToken(deps, token, callers.personalToken);
  }
  if (!callers.user) throw new AppError('invalid_token', 'Send a personal access token (cdt_…), not a sign-in token');
  if (!/^[A-Za-z0-9._~+/=-]+$/.test(token)) throw new AppError('invalid_token', 'Malformed Authorization header');
  const claims = await deps.tokens.verify(token);
  await assertLiveAuthSession(deps, claims);
  return claims;
}

/** A path naming another session than the workspace's own answers 404, as if it did not exist. */
function confineToOwnSession(request: FastifyRequest, own: string): void {
  const id = (request.params as { id?: unknown } | undefined)?.id;
  if (id !== undefined && id !== own) throw notFound('Session');
}

/** Throws 401 unless the login behind these claims is still active (checked on every request). */
export async function assertLiveAuthSession(deps: Deps, claims: Pick<AuthContext, 'tenantId' | 'userId' | 'sessionId'>): Promise<void> {
  const now = deps.now();
  const session = await deps.store.read(claims.tenantId, (db) => findAuthSession(db, claims.tenantId, claims.sessionId));
  if (!session || session.user_id !== claims.userId) throw new AppError('invalid_token', 'Unknown session');
  if (!readBool(session.is_active)) throw new AppError('session_revoked', 'This session has ended; sign in again');
  if (session.expires_at <= now.toISOString()) throw new AppError('token_expired', 'Session expired; sign in again');
  if (now.getTime() - Date.parse(session.last_used_at) > TOUCH_INTERVAL_MS) {
    await deps.store.tenant(claims.tenantId, (tx) => touchAuthSession(tx, claims.tenantId, session.id, now.toISOString()));
  }
}
