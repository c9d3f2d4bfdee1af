import { randomBytes, randomUUID } from 'node:crypto';
import type { ApiToken, CreateApiTokenRequest, CreatedApiToken } from '@coditect/contract';
import type { Deps } from '../deps.js';
import { API_TOKEN_PREFIX, hashApiToken } from '../auth/api-token.js';
import { notFound } from '../http/app-error.js';
import type { AuthContext } from '../http/authenticate.js';
import { presentApiToken } from '../presenters/llm.js';
import { json } from '../store/database.js';
import { insertApiToken, listApiTokens, revokeApiToken } from '../store/repositories/api-tokens.js';


export async function createApiToken(deps: Deps, auth: AuthContext, input: CreateApiTokenRequest): Promise<CreatedApiToken> {
  const token = API_TOKEN_PREFIX + randomBytes(32).toString('base64url');
  const now = deps.now();
  const row = {
    tenant_id: auth.tenantId,
    id: randomUUID(),
    user_id: auth.userId,
    name: input.name,
    token_hash: hashApiToken(token),
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

