import { errors, jwtVerify, SignJWT, type JWK } from 'jose';
import { AppError } from '../http/app-error.js';
import type { SigningKeys } from './signing-keys.js';

/** What an access token says about its bearer. */
export interface AccessClaims {
  userId: string;
  tenantId: string;
  sessionId: string;
}

export interface AccessTokenOptions {
  keys: SigningKeys;
  issuer: string;
  audience: string;
  ttlSeconds: number;
}

const ALGORITHM = 'EdDSA';

/** Verified tokens kept so a client's repeated requests skip the HMAC; bounded, cleared when full. */
const CACHE_LIMIT = 10_000;

/** Issues and verifies access JWTs; verification pins algorithm, issuer, audience and type. */
export class AccessTokens {
  // A token's signature and claims never change, so a verified one can be remembered
  // until it expires. Revocation is not affected: every request still checks its session row.
  private readonly verified = new Map<string, { claims: AccessClaims; expiresAtMs: number }>();

  constructor(private readonly options: AccessTokenOptions) {}

  get ttlSeconds(): number {
    return this.options.ttlSeconds;
  }

  /** The public keys as a JWKS document (`/.well-known/jwks.json`). */
  jwks(): { keys: JWK[] } {
    return { keys: [...this.options.keys.verification.values()].map((k) => k.jwk) };
  }

  sign(claims: AccessClaims): Promise<string> {
    const { keys, issuer, audience, ttlSeconds } = this.options;
    return new SignJWT({ tid: claims.tenantId, sid: claims.sessionId, typ: 'access' })
      .setProtectedHeader({ alg: ALGORITHM, typ: 'JWT', kid: keys.signing.kid })
      .setSubject(claims.userId)
      .setIssuer(issuer)
      .setAudience(audience)
      .setIssuedAt()
      .setExpirationTime(`${ttlSeconds}s`)
      .sign(keys.signing.key);
  }

  async verify(token: string): Promise<AccessClaims> {
    const hit = this.verified.get(token);
    if (hit) {
      if (hit.expiresAtMs > Date.now()) return hit.claims;
      this.verified.delete(token);
      throw new AppError('token_expired', 'Access token expired');
    }
    const { claims, expiresAtMs } = await this.verifySignature(token);
    if (this.verified.size >= CACHE_LIMIT) this.verified.clear();
    this.verified.set(token, { claims, expiresAtMs });
    return claims;
  }

  private async verifySignature(token: string): Promise<{ claims: AccessClaims; expiresAtMs: number }> {
    try {
      // The key is chosen by `kid` among ours only; an unknown kid fails before any signature check.
      const { payload } = await jwtVerify(token, (header) => {
        const key = header.kid ? this.options.keys.verification.get(header.kid) : undefined;
        if (!key) throw new AppError('invalid_token', 'Unknown signing key');
        return key.key;
      }, {
        algorithms: [ALGORITHM],
        issuer: this.options.issuer,
        audience: this.options.audience,
        requiredClaims: ['sub', 'iat', 'exp'],
      });
      const { sub, tid, sid, typ, exp } = payload;
      if (typ !== 'access' || typeof sub !== 'string' || typeof tid !== 'string' || typeof sid !== 'string') {
        throw new AppError('invalid_token', 'Invalid access token');
      }
      return { claims: { userId: sub, tenantId: tid, sessionId: sid }, expiresAtMs: exp! * 1000 };
    } catch (err) {
      if (err instanceof AppError) throw err;
      if (err instanceof errors.JWTExpired) throw new AppError('token_expired', 'Access token expired', { cause: err });
      throw new AppError('invalid_token', 'Invalid access token', { cause: err });
    }
  }
}
