import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { SignJWT, base64url, calculateJwkThumbprint, exportJWK } from 'jose';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachEngine } from '../test-support/engines.js';
import { registerAccount, type Account } from '../test-support/factories.js';
import { startTestServer, type TestServer } from '../test-support/test-server.js';

const { privateKey, publicKey } = generateKeyPairSync('ed25519');
const PRIVATE_PEM = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
const PUBLIC_PEM = publicKey.export({ type: 'spki', format: 'pem' }).toString();
const kid = exportJWK(publicKey).then((jwk) => calculateJwkThumbprint(jwk));

/** Signs a token the way an attacker with (or without) the key would. */
async function forge(claims: Record<string, unknown>, opts: { key?: KeyObject | Uint8Array; alg?: string; exp?: number; kid?: string } = {}) {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ typ: 'access', iss: 'coditect', aud: 'coditect-api', iat: now, exp: opts.exp ?? now + 600, ...claims })
    .setProtectedHeader({ alg: opts.alg ?? 'EdDSA', kid: opts.kid ?? await kid })
    .sign(opts.key ?? privateKey);
}

describeEachEngine('access-token verification (attacker side)', (engine) => {
  let t: TestServer;
  let a: Account;
  let sid: string;
  beforeAll(async () => {
    t = await startTestServer(engine, { CODITECT_JWT_PRIVATE_KEY: PRIVATE_PEM });
    a = await registerAccount(t.api);
    sid = JSON.parse(Buffer.from(a.accessToken.split('.')[1]!, 'base64url').toString()).sid;
  });
  afterAll(async () => { await t.close(); });

  const me = (token: string) => t.api.get('/users/me', { token });
  const base = () => ({ sub: a.userId, tid: a.tenantId, sid });

  it('a correctly signed token for a live session works (control)', async () => {
    expect((await me(await forge(base()))).status).toBe(200);
  });

  it('alg none is rejected', async () => {
    const header = base64url.encode(JSON.stringify({ alg: 'none', typ: 'JWT' }));
    const now = Math.floor(Date.now() / 1000);
    const payload = base64url.encode(JSON.stringify({ ...base(), typ: 'access', iss: 'coditect', aud: 'coditect-api', iat: now, exp: now + 600 }));
    const res = await me(`${header}.${payload}.`);
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('invalid_token');
  });

  it.each([
    ['another Ed25519 key under our kid', { key: generateKeyPairSync('ed25519').privateKey }, {}],
    ['an unknown kid', { kid: 'not-one-of-ours' }, {}],
    ['HS256 keyed with our public key (algorithm confusion)', { alg: 'HS256', key: new TextEncoder().encode(PUBLIC_PEM) }, {}],
    ['wrong audience', {}, { aud: 'someone-else' }],
    ['wrong issuer', {}, { iss: 'evil' }],
    ['wrong type (a refresh-typed token)', {}, { typ: 'refresh' }],
    ['missing sid', {}, { sid: undefined }],
    ['another tenant id', {}, { tid: '00000000-0000-4000-8000-000000000000' }],
    ['another user in the same session', {}, { sub: '00000000-0000-4000-8000-000000000000' }],
  ])('%s → 401 invalid_token', async (_name, opts, claims) => {
    const res = await me(await forge({ ...base(), ...claims }, opts as never));
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('invalid_token');
  });

  it('a tampered payload (signature from the original) → 401', async () => {
    const victim = await registerAccount(t.api);
    const [h, , s] = a.accessToken.split('.');
    const claims = JSON.parse(Buffer.from(a.accessToken.split('.')[1]!, 'base64url').toString());
    const tampered = base64url.encode(JSON.stringify({ ...claims, tid: victim.tenantId, sub: victim.userId }));
    const res = await me(`${h}.${tampered}.${s}`);
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('invalid_token');
  });

  it('an expired token → 401 token_expired', async () => {
    const past = Math.floor(Date.now() / 1000) - 60;
    const res = await me(await forge(base(), { exp: past }));
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('token_expired');
  });

  it('malformed headers → 401', async () => {
    for (const authorization of ['Bearer', 'Basic abc', 'Bearer a b', 'Bearer not.a.jwt', 'Bearer ' + 'x'.repeat(5000)]) {
      const res = await t.api.get('/users/me', { headers: { authorization } });
      expect(res.status, authorization.slice(0, 20)).toBe(401);
      expect(['invalid_token', 'missing_token']).toContain(res.body.error.code);
    }
  });

  it('a valid JWT whose session was revoked → 401 session_revoked on the next request', async () => {
    const b = await registerAccount(t.api);
    expect((await me(b.accessToken)).status).toBe(200);
    await t.api.post('/auth/logout', undefined, { token: b.accessToken });
    const res = await me(b.accessToken);
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('session_revoked');
  });
});
