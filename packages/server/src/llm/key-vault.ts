import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

const VERSION = 'v1';

/**
 * Encrypts provider API keys at rest with AES-256-GCM. The associated data
 * binds a ciphertext to its tenant and provider, so a ciphertext copied into
 * another tenant's row does not decrypt.
 */
export class KeyVault {
  private readonly key: Buffer;

  constructor(masterKey: Uint8Array) {
    if (masterKey.length !== 32) throw new Error('LLM master key must be 32 bytes');
    this.key = Buffer.from(masterKey);
  }

  /** `v1:<iv>:<tag>:<ciphertext>`, base64url parts. */
  encrypt(plaintext: string, context: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    cipher.setAAD(Buffer.from(context, 'utf8'));
    const ct = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return [VERSION, iv, cipher.getAuthTag(), ct].map((p) => (typeof p === 'string' ? p : p.toString('base64url'))).join(':');
  }

  /** Throws (without echoing anything secret) when the ciphertext, key or context do not match. */
  decrypt(sealed: string, context: string): string {
    const [version, iv, tag, ct] = sealed.split(':');
    if (version !== VERSION || !iv || !tag || ct === undefined) throw new Error('Unrecognised encrypted key format');
    const decipher = createDecipheriv('aes-256-gcm', this.key, Buffer.from(iv, 'base64url'));
    decipher.setAAD(Buffer.from(context, 'utf8'));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([decipher.update(Buffer.from(ct, 'base64url')), decipher.final()]).toString('utf8');
  }
}

/** Decodes a 32-byte key given as 64 hex characters or base64/base64url. */
export function parseMasterKey(text: string): Uint8Array {
  const trimmed = text.trim();
  const bytes = /^[0-9a-f]{64}$/i.test(trimmed) ? Buffer.from(trimmed, 'hex') : Buffer.from(trimmed, 'base64url');
  if (bytes.length !== 32) throw new Error('CODITECT_LLM_MASTER_KEY must decode to 32 bytes (64 hex chars or base64)');
  return bytes;
}

/**
 * The master key: from the environment when given, otherwise generated once
 * into the data dir (embedded mode), mode 0600, and reused across restarts.
 */
export function resolveMasterKey(fromEnv: string | undefined, dataDir: string): { key: Uint8Array; generated: boolean } {
  if (fromEnv) return { key: parseMasterKey(fromEnv), generated: false };
  const file = path.join(dataDir, 'secrets', 'llm-master-key');
  try {
    return { key: parseMasterKey(fs.readFileSync(file, 'utf8')), generated: true };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const key = randomBytes(32);
  try {
    // wx: if another process won the race, use its key.
    fs.writeFileSync(file, key.toString('base64url'), { mode: 0o600, flag: 'wx' });
    return { key, generated: true };
  } catch {
    return { key: parseMasterKey(fs.readFileSync(file, 'utf8')), generated: true };
  }
}

/** The last four characters of a key, the only part ever shown. */
export const keyHint = (key: string): string => (key.length > 8 ? key.slice(-4) : '****');
