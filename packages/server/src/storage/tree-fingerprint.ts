import { createHash } from 'node:crypto';
import type { HeldDir } from '../files/beneath/held-dir.js';
import { walkTree } from '../files/beneath/walk.js';

/**
 * A digest of a workspace tree's metadata (path, type, mode, size, inode,
 * mtime and ctime of every entry), from an lstat-only walk by descriptor —
 * no file is opened and no symlink followed. Equal digests mean a snapshot
 * would find nothing to read and write the same manifest, so the continuous
 * sync can skip the scan (ctime also catches a write that put mtime back).
 */
export async function treeFingerprint(root: HeldDir): Promise<string> {
  const h = createHash('sha256');
  for await (const e of walkTree(root, [])) {
    const s = e.stat;
    h.update(`${e.path}\0${e.type}\0${s.mode}\0${s.size}\0${s.ino}\0${s.mtimeNs}\0${s.ctimeNs}\n`);
  }
  return h.digest('hex');
}
