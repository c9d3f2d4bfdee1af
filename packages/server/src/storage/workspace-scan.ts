import { createHash, randomUUID } from 'node:crypto';
import { createWriteStream, type BigIntStats } from 'node:fs';
import fs, { type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { NotBeneath, type HeldDir, type OpenedFile } from '../files/beneath/held-dir.js';
import { walkTree } from '../files/beneath/walk.js';
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
 * Reads a file once, through the descriptor the walk opened: hashes it and
 * copies it (fsynced) to a staging file, so the blob stored later is exactly
 * the bytes that were hashed even if the workspace file changes meanwhile.
 * Closes `fh`.
 */
async function hashAndStage(fh: FileHandle, stagingDir: string, expectedSize: number): Promise<StagedBlob> {
  if (expectedSize <= SMALL_FILE) return hashAndStageSmall(fh, stagingDir);
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
    await pipeline(
      fh.createReadStream({ highWaterMark: 1 << 20 }),
      tap,
      createWriteStream(staged, { flush: true }),
    );
  } catch (err) {
    await fs.rm(staged, { force: true });
    throw err;
  } finally {
    await fh.close().catch(() => {});
  }
  return { hash: hash.digest('hex'), size, file: staged };
}

/** Files up to this size are read whole: one read, one write, no stream machinery (most files of a workspace). */
const SMALL_FILE = 1 << 20;

async function hashAndStageSmall(src: FileHandle, stagingDir: string): Promise<StagedBlob> {
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
 * Walks a held workspace folder into manifest entries, by descriptor: every
 * folder is entered and every file opened below its held parent with
 * `O_NOFOLLOW` (and `O_NONBLOCK`, fstat'ed before a byte is read, so a FIFO
 * or a link swapped in is never read). Files whose inode, size and mtime match
 * `previous` reuse its hash without being read; the rest are hashed and
 * staged, at most `concurrency` at a time while the walk goes on. Devices,
 * sockets and FIFOs are skipped.
 */
export async function scanWorkspace(
  root: HeldDir, previous: Map<string, ManifestEntry>, stagingDir: string, concurrency = 16,
): Promise<ScanResult> {
  await fs.mkdir(stagingDir, { recursive: true });
  const entries: ManifestEntry[] = [];
  const staged = new Map<string, StagedBlob>();
  const vanished = new Set<ManifestEntry>();
  const reading = new Set<Promise<void>>();
  let failure: unknown;
  const read = async (entry: ManifestEntry, fh: FileHandle) => {
    const blob = await hashAndStage(fh, stagingDir, entry.size ?? Infinity);
    entry.hash = blob.hash;
    entry.size = blob.size;
    if (staged.has(blob.hash)) await fs.rm(blob.file, { force: true });
    else staged.set(blob.hash, blob);
  };
  try {
    for await (const e of walkTree(root, [])) {
      if (failure) break;
      const mode = Number(e.stat.mode) & 0o7777;
      if (e.type === 'directory') entries.push({ path: e.path, type: 'dir', mode });
      else if (e.type === 'symlink') {
        const target = await e.dir.readlink(e.name).catch(() => undefined);
        if (target !== undefined) entries.push({ path: e.path, type: 'link', mode, target });
      } else if (e.type === 'file') {
        const prev = previous.get(e.path);
        const known = prev?.hash && prev.type === 'file' && prev.size === Number(e.stat.size)
          && prev.mtimeNs === e.stat.mtimeNs.toString() && prev.ino === e.stat.ino.toString();
        if (known) {
          entries.push({ ...fileEntry(e.path, mode, e.stat), hash: prev.hash });
          continue;
        }
        let opened: OpenedFile;
        try {
          opened = await e.dir.openFile(e.name);
        } catch (err) {
          if (err instanceof NotBeneath) continue; // swapped for a link, FIFO or folder since the lstat: left out
          throw err;
        }
        // What is read is what is described: the opened inode's own stat.
        const entry = fileEntry(e.path, Number(opened.stat.mode) & 0o7777, opened.stat);
        entries.push(entry);
        const job = read(entry, opened.handle).catch((err: unknown) => {
          const code = (err as NodeJS.ErrnoException).code;
          if (code === 'ENOENT') vanished.add(entry);
          else failure ??= err;
        }).finally(() => { reading.delete(job); });
        reading.add(job);
        if (reading.size >= concurrency) await Promise.race(reading);
      }
    }
    await Promise.all(reading);
    if (failure) throw failure;
  } catch (err) {
    await Promise.all(reading);
    await Promise.all([...staged.values()].map((b) => fs.rm(b.file, { force: true })));
    throw err;
  }
  const kept = entries.filter((e) => !vanished.has(e));
  let totalBytes = 0;
  for (const e of kept) if (e.type === 'file') totalBytes += e.size ?? 0;
  return { entries: kept, staged, totalBytes };
}

const fileEntry = (p: string, mode: number, st: BigIntStats): ManifestEntry => ({
  path: p, type: 'file', mode, size: Number(st.size), mtimeNs: st.mtimeNs.toString(), ino: st.ino.toString(),
});
