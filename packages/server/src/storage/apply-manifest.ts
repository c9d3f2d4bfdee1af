import { createHash, randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { isPlainName, kindOf, NotBeneath, type HeldDir } from '../files/beneath/held-dir.js';
import { removeEntry } from '../files/beneath/remove.js';
import { changedMeanwhile, openRoot } from '../files/beneath/resolve.js';
import { blobKey, type BlobStore } from './blob-store.js';
import type { Manifest, ManifestEntry } from './manifest.js';
import { forEachLimit } from './workspace-scan.js';

/** What each manifest kind is on disk. */
const KIND = { file: 'file', dir: 'directory', link: 'symlink' } as const;

const errno = (err: unknown) => (err as NodeJS.ErrnoException).code;

interface Apply {
  blobs: BlobStore;
  tenantId: string;
  stagingDir: string;
  /** Manifest entries by the path of the folder they are in ('' for the root). */
  children: Map<string, ManifestEntry[]>;
  written: number;
  removed: number;
}

const nameOf = (p: string) => p.slice(p.lastIndexOf('/') + 1);
const parentOf = (p: string) => (p.includes('/') ? p.slice(0, p.lastIndexOf('/')) : '');

/**
 * Makes the directory `root` hold exactly the manifest's tree, touching only
 * what differs: extra entries are removed, missing or changed files are
 * fetched from the blob store into staging and renamed into place, modes and
 * mtimes are set. The tree is synced folder by folder through descriptors:
 * each folder is opened below its held parent with `O_NOFOLLOW` and changed
 * only through that descriptor, so neither a bad manifest nor a symlink
 * planted (or swapped in while this runs) can make a restore read, write or
 * remove anything outside `root`.
 */
export async function applyManifest(
  blobs: BlobStore, tenantId: string, root: string, manifest: Manifest, stagingDir: string,
): Promise<{ written: number; removed: number }> {
  await fs.mkdir(stagingDir, { recursive: true });
  const children = new Map<string, ManifestEntry[]>();
  for (const e of manifest.entries) {
    if (!e.path.split('/').every(isPlainName)) throw new Error(`bad manifest path: ${JSON.stringify(e.path)}`);
    const siblings = children.get(parentOf(e.path)) ?? [];
    siblings.push(e);
    children.set(parentOf(e.path), siblings);
  }
  const ctx: Apply = { blobs, tenantId, stagingDir, children, written: 0, removed: 0 };
  const dir = await openRoot(root);
  try {
    await syncDir(ctx, dir, '');
  } catch (err) {
    throw changedMeanwhile(err);
  } finally {
    await dir.close();
  }
  return { written: ctx.written, removed: ctx.removed };
}

/** Makes the held folder `dir` (at manifest path `at`) match the manifest, then its sub-folders, recursively. */
async function syncDir(ctx: Apply, dir: HeldDir, at: string): Promise<void> {
  const want = new Map((ctx.children.get(at) ?? []).map((e) => [nameOf(e.path), e]));
  // 1. Remove what the snapshot does not have here, or has as another kind.
  for (const name of (await dir.readdir()).sort()) {
    const d = want.get(name);
    if (d && KIND[d.type] === kindOf(await dir.lstat(name))) continue;
    await removeEntry(dir, name);
    ctx.removed++;
  }
  const entries = [...want.entries()];
  // 2. Files that are missing or differ, then links.
  await forEachLimit(entries.filter(([, d]) => d.type === 'file'), 8, ([name, d]) => syncFile(ctx, dir, name, d));
  for (const [name, d] of entries) if (d.type === 'link') await syncLink(ctx, dir, name, d);
  // 3. Folders, each through its own descriptor; its mode last (a read-only folder would refuse its children).
  for (const [name, d] of entries) {
    if (d.type !== 'dir') continue;
    await dir.mkdir(name, 0o700).catch((err: unknown) => { if (errno(err) !== 'EEXIST') throw err; });
    const child = await dir.openDir(name);
    try {
      await syncDir(ctx, child, d.path);
      await child.chmod(d.mode);
    } finally {
      await child.close();
    }
  }
}

async function sha256Of(dir: HeldDir, name: string): Promise<string | undefined> {
  const opened = await dir.openFile(name).catch((err: unknown) => {
    if (err instanceof NotBeneath) return undefined;
    throw err;
  });
  if (!opened) return undefined;
  const h = createHash('sha256');
  await pipeline(opened.handle.createReadStream({ highWaterMark: 1 << 20 }), h);
  return h.digest('hex');
}

async function syncFile(ctx: Apply, dir: HeldDir, name: string, d: ManifestEntry): Promise<void> {
  const c = await dir.lstat(name);
  if (c?.isFile() && Number(c.size) === d.size) {
    // Same inode, size and mtime as when snapshotted: unchanged without reading it.
    const untouched = c.ino.toString() === d.ino && c.mtimeNs.toString() === d.mtimeNs;
    if (untouched || (await sha256Of(dir, name)) === d.hash) {
      if ((Number(c.mode) & 0o7777) !== d.mode) await dir.chmodEntry(name, d.mode);
      return;
    }
  }
  const staged = path.join(ctx.stagingDir, randomUUID());
  try {
    await ctx.blobs.readToFile(blobKey(ctx.tenantId, d.hash!), staged);
    await fs.chmod(staged, d.mode);
    if (d.mtimeNs) {
      const t = Number(BigInt(d.mtimeNs) / 1000n) / 1e6;
      await fs.utimes(staged, t, t);
    }
    await dir.adopt(staged, name);
    ctx.written++;
  } finally {
    await fs.rm(staged, { force: true });
  }
}

async function syncLink(ctx: Apply, dir: HeldDir, name: string, d: ManifestEntry): Promise<void> {
  if ((await dir.readlink(name).catch(() => undefined)) === d.target) return;
  await removeEntry(dir, name);
  await dir.symlink(d.target!, name);
  ctx.written++;
}
