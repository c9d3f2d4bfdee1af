import { randomUUID } from 'node:crypto';
import type { TokenPair } from '@coditect/contract';
import { newRefreshToken } from '../auth/refresh-token.js';
import type { ClientInfo, Deps } from '../deps.js';
import type { Tx } from '../store/database.js';
import { insertAuthSession, insertRefreshToken } from '../store/repositories/auth-sessions.js';

/**
 * Starts a new auth session (one login = one refresh-token family) inside the
 * caller's transaction and returns its first token pair.
 */
export async function startAuthSession(
  deps: Deps, tx: Tx, user: { tenantId: string; userId: string }, client: ClientInfo,
): Promise<TokenPair> {
  const now = deps.now();
  const at = now.toISOString();
  const sessionId = randomUUID();
  await insertAuthSession(tx, {
    tenant_id: user.tenantId,
    id: sessionId,
    user_id: user.userId,
    is_active: 1,
    ip: client.ip,
    user_agent: client.userAgent?.slice(0, 512) ?? null,
    created_at: at,
    last_used_at: at,
    expires_at: new Date(now.getTime() + deps.config.refreshTtlMs).toISOString(),
    revoked_at: null,
    revoked_reason: null,
  });
  return issueTokenPair(deps, tx, { ...user, sessionId });
}

/** Stores a fresh refresh token for the session and signs an access token. */
export async function issueTokenPair(
  deps: Deps, tx: Tx, ids: { tenantId: string; userId: string; sessionId: string },
): Promise<TokenPair> {
  const refresh = newRefreshToken(ids.tenantId);
  await insertRefreshToken(tx, {
    tenant_id: ids.tenantId,
    token_hash: refresh.secretHash,
    session_id: ids.sessionId,
    created_at: deps.now().toISOString(),
    used_at: null,
  });
  const accessToken = await deps.tokens.sign(ids);
  return { accessToken, refreshToken: refresh.token, expiresIn: deps.tokens.ttlSeconds, tokenType: 'Bearer' };
}
