import type { TokenPair } from '@coditect/contract';
import { parseRefreshToken } from '../auth/refresh-token.js';
import type { ClientInfo, Deps } from '../deps.js';
import { AppError } from '../http/app-error.js';
import { readBool } from '../store/database.js';
import {
  consumeRefreshToken, findAuthSession, findRefreshToken, revokeAuthSession, touchAuthSession,
} from '../store/repositories/auth-sessions.js';
import { issueTokenPair } from './auth-session-issuer.js';

type Outcome = { ok: TokenPair } | { fail: AppError };

/**
 * Rotates a refresh token. A token can be used once: presenting a used one
 * (a replay, or the loser of two concurrent refreshes) revokes the whole
 * session, so every token descended from it dies too.
 */
export async function refreshSession(deps: Deps, refreshToken: string, client: ClientInfo): Promise<TokenPair> {
  await deps.limiter.consume(`refresh:ip:${client.ip}`, deps.config.rateLimits.refreshIp);
  const parsed = parseRefreshToken(refreshToken);
  if (!parsed) throw new AppError('invalid_token', 'Invalid refresh token');
  const { tenantId, secretHash } = parsed;
  const now = deps.now().toISOString();

  // The revocation must commit, so failures are returned from the transaction and thrown after it.
  const outcome = await deps.store.tenant(tenantId, async (tx): Promise<Outcome> => {
    const token = await findRefreshToken(tx, tenantId, secretHash);
    if (!token) return { fail: new AppError('invalid_token', 'Invalid refresh token') };
    const session = await findAuthSession(tx, tenantId, token.session_id);
    if (!session || !readBool(session.is_active)) {
      return { fail: new AppError('session_revoked', 'This session has ended; sign in again') };
    }
    if (session.expires_at <= now) return { fail: new AppError('token_expired', 'Session expired; sign in again') };

    if (token.used_at !== null || !(await consumeRefreshToken(tx, tenantId, secretHash, now))) {
      await revokeAuthSession(tx, tenantId, session.user_id, session.id, now, 'refresh_token_reused');
      deps.log.warn({ tenantId, sessionId: session.id, ip: client.ip }, 'refresh token reuse: session revoked');
      return { fail: new AppError('refresh_token_reused', 'Refresh token already used; session revoked') };
    }
    await touchAuthSession(tx, tenantId, session.id, now);
    return { ok: await issueTokenPair(deps, tx, { tenantId, userId: session.user_id, sessionId: session.id }) };
  });
  if ('fail' in outcome) throw outcome.fail;
  return outcome.ok;
}
