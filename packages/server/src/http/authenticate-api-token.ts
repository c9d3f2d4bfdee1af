import type { FastifyRequest } from 'fastify';
import { API_TOKEN_PREFIX, hashApiToken, type TokenScope } from '../auth/api-token.js';
import type { Deps } from '../deps.js';
import { readBool, readJson } from '../store/database.js';
import { findApiTokenByHash, touchApiToken } from '../store/repositories/api-tokens.js';
import { findUser } from '../store/repositories/users.js';
import { WORKSPACE_TOKEN_PREFIX } from '../workspaces/workspace-host.js';
import { AppError } from './app-error.js';
import type { AuthContext } from './authenticate.js';

export { API_TOKEN_PREFIX, type TokenScope };

/** Scope entry `workspace:{sessionId}` marks a token minted for one running workspace. */
export const WORKSPACE_SCOPE_PREFIX = 'workspace:';

const TOUCH_INTERVAL_MS = 60_000;

/** The caller of a request made with a personal access token. */
export interface TokenCaller extends AuthContext {
  scopes: TokenScope[];
}

/**
 * Verifies a non-JWT token: a workspace's own token (`cdw_…`, valid only through
 * that workspace's API socket while it runs) or a personal access token (`cdt_…`).
 */
export async function authenticateToken(deps: Deps, request: FastifyRequest, token: string, scope: TokenScope): Promise<AuthContext> {
  if (token.startsWith(WORKSPACE_TOKEN_PREFIX)) {
    const caller = await deps.workspaces.verifyApiToken(request.raw, token);
    if (!caller) throw new AppError('invalid_token', 'Workspace token not valid here (the workspace stopped, or the request did not come from it)');
    return { tenantId: caller.tenantId, userId: caller.userId, sessionId: `workspace:${caller.workspaceId}`, workspaceSessionId: caller.workspaceId };
  }
  return authenticateApiToken(deps, token, scope);
}

/** Verifies a personal access token: known, not revoked, not expired, user active, scope granted. */
async function authenticateApiToken(deps: Deps, token: string, scope: TokenScope): Promise<TokenCaller> {
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
  if (!scopes.includes(scope)) throw new AppError('invalid_token', `This access token lacks the "${scope}" scope`);
  // A workspace's token (minted by the runner) is confined to its own session.
  const workspace = (scopes as string[]).find((x) => x.startsWith(WORKSPACE_SCOPE_PREFIX))?.slice(WORKSPACE_SCOPE_PREFIX.length);
  return { tenantId: row.tenant_id, userId: row.user_id, sessionId: `token:${row.id}`, scopes, ...(workspace ? { workspaceSessionId: workspace } : {}) };
}

/** The token a request presents: `Authorization: Bearer …`, or `x-api-key` (what Anthropic clients send). */
export function presentedToken(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  const bearer = header ? /^Bearer\s+(\S+)$/i.exec(header)?.[1] : undefined;
  const apiKey = request.headers['x-api-key'];
  return bearer ?? (typeof apiKey === 'string' ? apiKey : undefined);
}

