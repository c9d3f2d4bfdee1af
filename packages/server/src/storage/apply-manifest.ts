import { createHash, randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { walkTree, type TreeEntry } from '../files/tree-walk.js';
import { parseWorkspacePath, resolveParent } from '../files/workspace-path.js';
import { blobKey, type BlobStore } from './blob-store.js';
import type { Manifest, ManifestEntry } from './manifest.js';
import { forEachLimit } from './workspace-scan.js';

const kindOf = (t: TreeEntry['type']): ManifestEntry['type'] | undefined =>
  t === 'file' ? 'file' : t === 'directory' ? 'dir' : t === 'symlink' ? 'link' : undefined;

async function sha256File(file: string): Promise<string> {
  const h = createHash('sha256');
  await pipeline(createReadStream(file, { highWaterMark: 1 << 20 }), h);
  return h.digest('hex');
}

/**
 * Makes the directory `root` hold exactly the manifest's tree, touching only
 * what differs: extra entries are removed, missing or changed files are
 * fetched from the blob store into staging and renamed into place, modes and
 * mtimes are set. Every path is re-validated and every parent re-resolved
 * inside the root, so neither a bad manifest nor a symlink planted in the
 * workspace can make a restore write outside it.
 */
export async function applyManifest(
  blobs: BlobStore, tenantId: string, root: string, manifest: Manifest, stagingDir: string,
): Promise<{ written: number; removed: number }> {
  const rootReal = await fs.realpath(root);
  await fs.mkdir(stagingDir, { recursive: true });
  const desired = new Map<string, ManifestEntry>();
  for (const e of manifest.entries) {
    if (parseWorkspacePath(e.path).join('/') !== e.path) throw new Error(`bad manifest path: ${e.path}`);
    desired.set(e.path, e);
  }
  const current = new Map<string, TreeEntry>();
  for await (const e of walkTree(rootReal, [])) current.set(e.path, e);

  // 1. Remove what the snapshot does not have, or has as another kind (deepest first).
  let removed = 0;
  const doomed = [...current.values()].filter((c) => {
    const d = desired.get(c.path);
    return !d || d.type !== kindOf(c.type);
  }).sort((a, b) => b.segments.length - a.segments.length);
  for (const c of doomed) {
    await fs.rm(path.join(rootReal, c.path), { recursive: true, force: true });
    current.delete(c.path);
    removed++;
  }
  const gone = new Set(doomed.map((c) => c.path));
  for (const p of current.keys()) {
    const segs = p.split('/');
    for (let i = 1; i < segs.length; i++) if (gone.has(segs.slice(0, i).join('/'))) { current.delete(p); break; }
  }

  // 2. Folders, parents first (the manifest is in walk order).
  for (const d of manifest.entries) {
    if (d.type !== 'dir' || current.has(d.path)) continue;
    const { full } = await resolveParent(rootReal, d.path.split('/'));
    await fs.mkdir(full, { mode: 0o700 });
  }

  // 3. Files and links that are missing or differ.
  let written = 0;
  const files = manifest.entries.filter((d) => d.type === 'file');
  await forEachLimit(files, 8, async (d) => {
    const c = current.get(d.path);
    const { full } = await resolveParent(rootReal, d.path.split('/'));
    // Same inode, size and mtime as when snapshotted: unchanged without reading it.
    const untouched = c && c.stat.ino.toString() === d.ino && c.stat.mtimeNs.toString() === d.mtimeNs;
    if (c && Number(c.stat.size) === d.size && (untouched || (await sha256File(full)) === d.hash)) {
      if ((Number(c.stat.mode) & 0o7777) !== d.mode) await fs.chmod(full, d.mode);
      return;
    }
    const staged = path.join(stagingDir, randomUUID());
    try {
      await blobs.readToFile(blobKey(tenantId, d.hash!), staged);
      await fs.chmod(staged, d.mode);
      if (d.mtimeNs) {
        const t = Number(BigInt(d.mtimeNs) / 1000n) / 1e6;
        await fs.utimes(staged, t, t);
      }
      await fs.rename(staged, full);
      written++;
    } finally {
      await fs.rm(staged, { force: true });
    }
  });
  for (const d of manifest.entries) {
    if (d.type !== 'link') continue;
    const { full } = await resolveParent(rootReal, d.path.split('/'));
    const c = current.get(d.path);
    if (c && (await fs.readlink(full).catch(() => undefined)) === d.target) continue;
    if (c) await fs.rm(full, { force: true });
    await fs.symlink(d.target!, full);
    written++;
  }

  // 4. Folder modes last (a read-only folder would have refused its children).
  for (const d of manifest.entries) {
    if (d.type === 'dir') await fs.chmod(path.join(rootReal, d.path), d.mode);
  }
  return { written, removed };
}
