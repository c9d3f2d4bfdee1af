import type { Readable } from 'node:stream';

/**
 * Where snapshot contents go: immutable objects named by key. Keys are built
 * by `blobKey` (per tenant, content-addressed), so the same bytes of two
 * tenants are two objects and no tenant can probe for another's content.
 * Two backends: `LocalBlobStore` (default) and `S3BlobStore`.
 */
export interface BlobStore {
  /** Human-readable location for logs and the README (`file:///…`, `s3://…`). */
  readonly url: string;
  /** Stores a local file's bytes under `key` (atomically: readers never see a partial object). */
  putFile(key: string, file: string, size: number): Promise<void>;
  /** Like putFile, but the store may take the (already fsynced) file itself; it is gone afterwards. */
  moveFile(key: string, file: string, size: number): Promise<void>;
  putBuffer(key: string, data: Buffer): Promise<void>;
  /** Streams an object; rejects with `BlobNotFoundError` when missing. */
  read(key: string): Promise<Readable>;
  /** Writes an object to a local file (created or truncated). */
  readToFile(key: string, file: string): Promise<void>;
  has(key: string): Promise<boolean>;
  delete(key: string): Promise<void>;
  /** Every key under `prefix` with its size (order unspecified). */
  list(prefix: string): AsyncIterable<{ key: string; size: number }>;
  close(): Promise<void>;
}

export class BlobNotFoundError extends Error {
  constructor(readonly key: string) {
    super(`blob not found: ${key}`);
  }
}

const SHA256 = /^[0-9a-f]{64}$/;

/** The key of a tenant's blob with this sha256: `tenants/{tenantId}/{ab}/{hash}`. */
export function blobKey(tenantId: string, hash: string): string {
  if (!SHA256.test(hash)) throw new Error('blob hash must be a sha256 hex digest');
  return `tenants/${tenantId}/${hash.slice(0, 2)}/${hash}`;
}
