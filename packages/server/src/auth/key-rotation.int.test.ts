import { generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachEngine } from '../test-support/engines.js';
import { registerAccount } from '../test-support/factories.js';
import { startTestServer, type TestServer } from '../test-support/test-server.js';

const pair = () => {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return {
    private: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    public: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  };
};
const kidOf = (token: string) => JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString()).kid as string;

describeEachEngine('signing-key rotation and JWKS', (engine) => {
  const oldKey = pair();
  const newKey = pair();
  let before: TestServer;
  let after: TestServer;
  let retiredDropped: TestServer;
  beforeAll(async () => {
    before = await startTestServer(engine, { CODITECT_JWT_PRIVATE_KEY: oldKey.private });
    // The same deployment after rotation: a new signing key, the old one still verifying.
    after = await startTestServer(engine, { CODITECT_JWT_PRIVATE_KEY: newKey.private, CODITECT_JWT_RETIRED_PUBLIC_KEYS: oldKey.public }, {}, before.databaseUrl);
    retiredDropped = await startTestServer(engine, { CODITECT_JWT_PRIVATE_KEY: newKey.private }, {}, before.databaseUrl);
  });
  afterAll(async () => {
    await retiredDropped.close();
    await after.close();
    await before.close();
  });

  it('publishes the current and retired public keys, never a private part', async () => {
    const jwks = await after.api.get('/.well-known/jwks.json');
    expect(jwks.status).toBe(200);
    expect(jwks.body.keys).toHaveLength(2);
    for (const k of jwks.body.keys) {
      expect(k).toMatchObject({ kty: 'OKP', crv: 'Ed25519', alg: 'EdDSA', use: 'sig' });
      expect(k).not.toHaveProperty('d');
    }
    expect((await before.api.get('/.well-known/jwks.json')).body.keys).toHaveLength(1);
  });

  it('tokens signed before the rotation verify until the retired key is dropped; new ones carry the new kid', async () => {
    const account = await registerAccount(before.api);
    const oldKid = kidOf(account.accessToken);
    expect((await after.api.get('/users/me', { token: account.accessToken })).status).toBe(200);
    const refreshed = await after.api.post('/auth/refresh', { refreshToken: account.refreshToken });
    expect(refreshed.status).toBe(200);
    expect(kidOf(refreshed.body.accessToken)).not.toBe(oldKid);
    const jwks = (await after.api.get('/.well-known/jwks.json')).body.keys.map((k: { kid: string }) => k.kid);
    expect(jwks).toEqual(expect.arrayContaining([oldKid, kidOf(refreshed.body.accessToken)]));
    // Once the retired key is removed, its tokens stop working; the new ones still do.
    const gone = await retiredDropped.api.get('/users/me', { token: account.accessToken });
    expect(gone.status).toBe(401);
    expect(gone.body.error.code).toBe('invalid_token');
    expect((await retiredDropped.api.get('/users/me', { token: refreshed.body.accessToken })).status).toBe(200);
  });
});
