import { createHash } from 'node:crypto';
import { gunzipSync, gzipSync } from 'node:zlib';
import type { BlobStore } from './blob-store.js';
import { blobKey } from './blob-store.js';

/**
 * A snapshot's content: every entry of the workspace in walk order. Files
 * name their blob by sha256; `ino`/`mtimeNs`/`size` let the next snapshot of
 * the same workspace skip re-reading files that did not change (like git's index).
 */
export interface ManifestEntry {
  path: string;
  type: 'file' | 'dir' | 'link';
  mode: number;
  size?: number;
  hash?: string;
  /** Symlink target, verbatim (never followed). */
  target?: string;
  mtimeNs?: string;
  ino?: string;
}

export interface Manifest {
  version: 1;
  entries: ManifestEntry[];
}

/** Serialised (gzipped JSON) bytes and their sha256: a manifest is itself a content-addressed blob. */
export function encodeManifest(m: Manifest): { data: Buffer; hash: string } {
  const data = gzipSync(JSON.stringify(m), { level: 6 });
  return { data, hash: createHash('sha256').update(data).digest('hex') };
}

export async function loadManifest(blobs: BlobStore, tenantId: string, hash: string): Promise<Manifest> {
  const stream = await blobs.read(blobKey(tenantId, hash));
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  const m = JSON.parse(gunzipSync(Buffer.concat(chunks)).toString('utf8')) as Manifest;
  if (m.version !== 1 || !Array.isArray(m.entries)) throw new Error('unsupported snapshot manifest');
  return m;
}

