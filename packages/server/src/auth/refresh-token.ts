import { createHash, randomBytes } from 'node:crypto';

/**
 * Refresh tokens are opaque to clients: `{tenantId}.{secret}` with a 256-bit
 * random secret. The tenant id lets the lookup stay tenant-scoped; only the
 * SHA-256 of the secret is stored.
 */
export interface RefreshToken {
  tenantId: string;
  secretHash: string;
}

export function newRefreshToken(tenantId: string): { token: string; secretHash: string } {
  const secret = randomBytes(32).toString('base64url');
  return { token: `${tenantId}.${secret}`, secretHash: hashSecret(secret) };
}

/** Parses a presented token; undefined when it cannot be one of ours. */
export function parseRefreshToken(token: string): RefreshToken | undefined {
  const match = /^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\.([A-Za-z0-9_-]{43})$/.exec(token);
  if (!match) return undefined;
  return { tenantId: match[1]!, secretHash: hashSecret(match[2]!) };
}

const hashSecret = (secret: string) => createHash('sha256').update(secret).digest('hex');
