import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { ApiToken, CreateApiTokenRequest, CreatedApiToken } from '@coditect/contract';
import type { FastifyRequest } from 'fastify';
import type { Deps } from '../deps.js';
import { AppError, notFound } from '../http/app-error.js';
import { authenticate, type AuthContext } from '../http/authenticate.js';
import { presentApiToken } from '../presenters/llm.js';
import { json, readBool, readJson } from '../store/database.js';
import {
  findApiTokenByHash, insertApiToken, listApiTokens, revokeApiToken, touchApiToken,
} from '../store/repositories/api-tokens.js';
import { findUser } from '../store/repositories/users.js';

/** Every personal access token starts with this, so it is recognisable (and secret scanners can match it). */
export const API_TOKEN_PREFIX = 'cdt_';
const TOUCH_INTERVAL_MS = 60_000;

export type TokenScope = 'llm' | 'sessions';

const hashToken = (token: string) => createHash('sha256').update(token).digest('hex');

export async function createApiToken(deps: Deps, auth: AuthContext, input: CreateApiTokenRequest): Promise<CreatedApiToken> {
  const token = API_TOKEN_PREFIX + randomBytes(32).toString('base64url');
  const now = deps.now();
  const row = {
    tenant_id: auth.tenantId,
    id: randomUUID(),
    user_id: auth.userId,
    name: input.name,
    token_hash: hashToken(token),
    prefix: token.slice(0, 12),
    scopes: json([...new Set(input.scopes)]),
    created_at: now.toISOString(),
    expires_at: input.expiresInDays ? new Date(now.getTime() + input.expiresInDays * 86_400_000).toISOString() : null,
    last_used_at: null,
    revoked_at: null,
  };
  await deps.store.tenant(auth.tenantId, (tx) => insertApiToken(tx, row));
  return { ...presentApiToken(row), token };
}

export async function listUserApiTokens(deps: Deps, auth: AuthContext): Promise<ApiToken[]> {
  const rows = await deps.store.tenant(auth.tenantId, (tx) => listApiTokens(tx, auth.tenantId, auth.userId));
  return rows.map(presentApiToken);
}

export async function revokeUserApiToken(deps: Deps, auth: AuthContext, id: string): Promise<void> {
  const ok = await deps.store.tenant(auth.tenantId, (tx) =>
    revokeApiToken(tx, auth.tenantId, auth.userId, id, deps.now().toISOString()));
  if (!ok) throw notFound('Token');
}

/** The caller of a request made with a personal access token. */
export interface TokenCaller extends AuthContext {
  scopes: TokenScope[];
}

/** Verifies a personal access token: known, not revoked, not expired, user active, scope granted. */
export async function authenticateApiToken(deps: Deps, token: string, scope: TokenScope): Promise<TokenCaller> {
  const now = deps.now();
  const row = await deps.store.system((tx) => findApiTokenByHash(tx, hashToken(token)));
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
  return { tenantId: row.tenant_id, userId: row.user_id, sessionId: `token:${row.id}`, scopes };
}

/** The token a request presents: `Authorization: Bearer …`, or `x-api-key` (what Anthropic clients send). */
export function presentedToken(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  const bearer = header ? /^Bearer\s+(\S+)$/i.exec(header)?.[1] : undefined;
  const apiKey = request.headers['x-api-key'];
  return bearer ?? (typeof apiKey === 'string' ? apiKey : undefined);
}

/** Accepts a personal access token (with `scope`) or a signed-in user's access JWT. */
export async function authenticateAny(deps: Deps, request: FastifyRequest, scope: TokenScope): Promise<AuthContext> {
  const token = presentedToken(request);
  if (token?.startsWith(API_TOKEN_PREFIX)) return authenticateApiToken(deps, token, scope);
  return authenticate(deps, request);
}
