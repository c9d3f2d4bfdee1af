import { createHash, randomUUID } from 'node:crypto';
import { constants, createWriteStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { walkTree } from '../files/tree-walk.js';
import type { ManifestEntry } from './manifest.js';

/** A file read during a scan whose bytes were copied to staging (blob candidate). */
export interface StagedBlob {
  hash: string;
  size: number;
  file: string;
}

export interface ScanResult {
  entries: ManifestEntry[];
  /** Content read this time (not known from the previous manifest), by hash. */
  staged: Map<string, StagedBlob>;
  totalBytes: number;
}

/** Runs `fn` over `items` with at most `limit` at a time. */
export async function forEachLimit<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await fn(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

/**
 * Reads a file once: hashes it and copies it (fsynced) to a staging file, so
 * the blob stored later is exactly the bytes that were hashed even if the
 * workspace file changes meanwhile.
 */
async function hashAndStage(file: string, stagingDir: string, expectedSize: number): Promise<StagedBlob> {
  if (expectedSize <= SMALL_FILE) return hashAndStageSmall(file, stagingDir);
  const hash = createHash('sha256');
  let size = 0;
  const tap = new Transform({
    transform(chunk: Buffer, _enc, done) {
      hash.update(chunk);
      size += chunk.length;
      done(null, chunk);
    },
  });
  const staged = path.join(stagingDir, randomUUID());
  try {
    const fh = await fs.open(file, constants.O_RDONLY | constants.O_NOFOLLOW);
    await pipeline(
      fh.createReadStream({ highWaterMark: 1 << 20 }),
      tap,
      createWriteStream(staged, { flush: true }),
    );
  } catch (err) {
    await fs.rm(staged, { force: true });
    throw err;
  }
  return { hash: hash.digest('hex'), size, file: staged };
}

/** Files up to this size are read whole: one read, one write, no stream machinery (most files of a workspace). */
const SMALL_FILE = 1 << 20;

async function hashAndStageSmall(file: string, stagingDir: string): Promise<StagedBlob> {
  const src = await fs.open(file, constants.O_RDONLY | constants.O_NOFOLLOW);
  let data: Buffer;
  try { data = await src.readFile(); } finally { await src.close(); }
  const staged = path.join(stagingDir, randomUUID());
  try {
    const out = await fs.open(staged, 'wx');
    try {
      await out.writeFile(data);
      await out.sync();
    } finally {
      await out.close();
    }
  } catch (err) {
    await fs.rm(staged, { force: true });
    throw err;
  }
  return { hash: createHash('sha256').update(data).digest('hex'), size: data.length, file: staged };
}

/**
 * Walks a workspace into manifest entries. Files whose inode, size and mtime
 * match `previous` reuse its hash without being read; the rest are hashed and
 * staged. Devices, sockets and FIFOs are skipped.
 */
export async function scanWorkspace(
  root: string, previous: Map<string, ManifestEntry>, stagingDir: string, concurrency = 16,
): Promise<ScanResult> {
  await fs.mkdir(stagingDir, { recursive: true });
  const entries: ManifestEntry[] = [];
  const toRead: ManifestEntry[] = [];
  let totalBytes = 0;
  for await (const e of walkTree(root, [])) {
    const mode = Number(e.stat.mode) & 0o7777;
    if (e.type === 'directory') entries.push({ path: e.path, type: 'dir', mode });
    else if (e.type === 'symlink') {
      const target = await fs.readlink(path.join(root, e.path)).catch(() => undefined);
      if (target !== undefined) entries.push({ path: e.path, type: 'link', mode, target });
    } else if (e.type === 'file') {
      const entry: ManifestEntry = {
        path: e.path, type: 'file', mode, size: Number(e.stat.size), mtimeNs: e.stat.mtimeNs.toString(), ino: e.stat.ino.toString(),
      };
      const prev = previous.get(e.path);
      if (prev?.hash && prev.type === 'file' && prev.size === entry.size && prev.mtimeNs === entry.mtimeNs && prev.ino === entry.ino) {
        entry.hash = prev.hash;
      } else {
        toRead.push(entry);
      }
      entries.push(entry);
    }
  }
  const staged = new Map<string, StagedBlob>();
  const vanished = new Set<ManifestEntry>();
  try {
    await forEachLimit(toRead, concurrency, async (entry) => {
      let blob: StagedBlob;
      try {
        blob = await hashAndStage(path.join(root, entry.path), stagingDir, entry.size ?? Infinity);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'ENOENT' || code === 'ELOOP') { vanished.add(entry); return; } // changed under us: left out
        throw err;
      }
      entry.hash = blob.hash;
      entry.size = blob.size;
      if (staged.has(blob.hash)) await fs.rm(blob.file, { force: true });
      else staged.set(blob.hash, blob);
    });
  } catch (err) {
    await Promise.all([...staged.values()].map((b) => fs.rm(b.file, { force: true })));
    throw err;
  }
  const kept = entries.filter((e) => !vanished.has(e));
  for (const e of kept) if (e.type === 'file') totalBytes += e.size ?? 0;
  return { entries: kept, staged, totalBytes };
}
