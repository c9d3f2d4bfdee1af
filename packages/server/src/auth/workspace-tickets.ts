import { randomUUID } from 'node:crypto';
import { jwtVerify, SignJWT } from 'jose';
import { AppError } from '../http/app-error.js';
import type { WorkspaceClaims } from './workspace-tokens.js';

/** A verified (not yet redeemed) ticket: who may open which workspace, and its id for single use. */
export interface WorkspaceTicket extends Omit<WorkspaceClaims, 'issuedAtMs'> {
  jti: string;
  expiresAt: Date;
}

/**
 * The one-time link `POST /sessions/{id}/open` answers: a short-lived JWT
 * (own audience and type, so it stands in for no other token) that the
 * workspace origin exchanges for its own cookie. Its `jti` is redeemed once in
 * the shared database (see redeemTicketOnce), so it works on any node, once.
 */
export class WorkspaceTickets {
  private readonly audience: string;

  constructor(private readonly options: { secret: Uint8Array; issuer: string; audience: string; ttlSeconds: number }) {
    this.audience = `${options.audience}:workspace-ticket`;
  }

  /** Lifetime of a ticket in seconds. */
  get ttlSeconds(): number {
    return this.options.ttlSeconds;
  }

  /** A fresh single-use ticket for `c`. */
  sign(c: Omit<WorkspaceClaims, 'issuedAtMs'>): Promise<string> {
    return new SignJWT({ tid: c.tenantId, sid: c.sessionId, wid: c.workspaceId, typ: 'workspace-ticket' })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setSubject(c.userId)
      .setIssuer(this.options.issuer)
      .setAudience(this.audience)
      .setJti(randomUUID())
      .setIssuedAt()
      .setExpirationTime(`${this.options.ttlSeconds}s`)
      .sign(this.options.secret);
  }

  /** Checks signature, lifetime and claims; throws invalid_token (the caller still has to redeem the jti). */
  async verify(token: string, now: Date): Promise<WorkspaceTicket> {
    try {
      const { payload } = await jwtVerify(token, this.options.secret, {
        currentDate: now, algorithms: ['HS256'], issuer: this.options.issuer, audience: this.audience, requiredClaims: ['sub', 'exp', 'jti'],
      });
      const { sub, tid, sid, wid, typ, jti, exp } = payload;
      if (typ !== 'workspace-ticket' || typeof sub !== 'string' || typeof tid !== 'string' || typeof sid !== 'string'
        || typeof wid !== 'string' || typeof jti !== 'string') throw new Error('wrong claims');
      return { userId: sub, tenantId: tid, sessionId: sid, workspaceId: wid, jti, expiresAt: new Date(exp! * 1000) };
    } catch (err) {
      throw new AppError('invalid_token', 'This workspace link has expired; open the workspace from Coditect again', { cause: err });
    }
  }
}
