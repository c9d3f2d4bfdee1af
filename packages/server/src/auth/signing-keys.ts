import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { calculateJwkThumbprint, exportJWK, type JWK } from 'jose';

/** One key that verifies access tokens; `kid` is its RFC 7638 thumbprint. */
export interface VerificationKey {
  kid: string;
  key: KeyObject;
  jwk: JWK;
}

/**
 * The Ed25519 keys of access tokens: the current signing key plus retired keys
 * that still verify (tokens they signed live at most one access-token TTL, so a
 * retired key can be dropped that long after rotation). Public halves are
 * published as a JWKS document.
 */
export interface SigningKeys {
  signing: { kid: string; key: KeyObject };
  verification: Map<string, VerificationKey>;
}

const PEM_BLOCK = /-----BEGIN PUBLIC KEY-----[\s\S]+?-----END PUBLIC KEY-----/g;

async function verificationKey(publicKey: KeyObject): Promise<VerificationKey> {
  const jwk = await exportJWK(publicKey);
  const kid = await calculateJwkThumbprint(jwk);
  return { kid, key: publicKey, jwk: { ...jwk, kid, alg: 'EdDSA', use: 'sig' } };
}

/** Reads the current key from the environment, or generates one into the data dir (embedded mode). */
function currentPrivateKey(fromEnv: string | undefined, dataDir: string): KeyObject {
  if (fromEnv) return createPrivateKey(fromEnv.replace(/\\n/g, '\n'));
  const file = path.join(dataDir, 'secrets', 'jwt-signing-key.pem');
  if (!fs.existsSync(file)) {
    fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    const { privateKey } = generateKeyPairSync('ed25519');
    try {
      fs.writeFileSync(file, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600, flag: 'wx' });
    } catch {
      // another process won the race: use its key
    }
  }
  return createPrivateKey(fs.readFileSync(file, 'utf8'));
}

export async function loadSigningKeys(env: { privateKey?: string; retiredPublicKeys?: string }, dataDir: string): Promise<SigningKeys> {
  const privateKey = currentPrivateKey(env.privateKey, dataDir);
  if (privateKey.asymmetricKeyType !== 'ed25519') throw new Error('CODITECT_JWT_PRIVATE_KEY must be an Ed25519 key (PKCS#8 PEM)');
  const current = await verificationKey(createPublicKey(privateKey));
  const verification = new Map([[current.kid, current]]);
  for (const pem of (env.retiredPublicKeys ?? '').replace(/\\n/g, '\n').match(PEM_BLOCK) ?? []) {
    const retired = await verificationKey(createPublicKey(pem));
    verification.set(retired.kid, retired);
  }
  return { signing: { kid: current.kid, key: privateKey }, verification };
}
