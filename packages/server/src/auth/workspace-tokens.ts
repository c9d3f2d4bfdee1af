import { jwtVerify, SignJWT } from 'jose';
import { AppError } from '../http/app-error.js';

/** What the workspace cookie says: this user, in this login, may use this session's IDE. */
export interface WorkspaceClaims {
  userId: string;
  tenantId: string;
  /** The auth session (login) that opened the IDE: its revocation ends IDE access too. */
  sessionId: string;
  workspaceId: string;
  issuedAtMs: number;
}

/**
 * Short-lived JWTs for the path-scoped IDE cookie. Signed with the API's key but
 * for a different audience and type, so neither token can stand in for the other.
 */
export class WorkspaceTokens {
  private readonly audience: string;

  constructor(private readonly options: { secret: Uint8Array; issuer: string; audience: string; ttlSeconds: number }) {
    this.audience = `${options.audience}:workspace`;
  }

  get ttlSeconds(): number {
    return this.options.ttlSeconds;
  }

  sign(c: Omit<WorkspaceClaims, 'issuedAtMs'>): Promise<string> {
    return new SignJWT({ tid: c.tenantId, sid: c.sessionId, wid: c.workspaceId, typ: 'workspace' })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setSubject(c.userId)
      .setIssuer(this.options.issuer)
      .setAudience(this.audience)
      .setIssuedAt()
      .setExpirationTime(`${this.options.ttlSeconds}s`)
      .sign(this.options.secret);
  }

  async verify(token: string): Promise<WorkspaceClaims> {
    try {
      const { payload } = await jwtVerify(token, this.options.secret, {
        algorithms: ['HS256'], issuer: this.options.issuer, audience: this.audience, requiredClaims: ['sub', 'iat', 'exp'],
      });
      const { sub, tid, sid, wid, typ, iat } = payload;
      if (typ !== 'workspace' || typeof sub !== 'string' || typeof tid !== 'string' || typeof sid !== 'string' || typeof wid !== 'string') {
        throw new Error('wrong claims');
      }
      return { userId: sub, tenantId: tid, sessionId: sid, workspaceId: wid, issuedAtMs: iat! * 1000 };
    } catch (err) {
      throw new AppError('invalid_token', 'Invalid or expired workspace token; reopen the session', { cause: err });
    }
  }
}
