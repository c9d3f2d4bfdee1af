import path from 'node:path';
import { AppError } from '../../http/app-error.js';
import { HeldDir, NotBeneath } from './held-dir.js';
import { MAX_WALK_DEPTH, walkTree } from './walk.js';

const errno = (err: unknown) => (err as NodeJS.ErrnoException).code;

/** Attempts at removing one entry while something inside keeps changing it (e.g. a process writing into a folder). */
const ATTEMPTS = 5;

/**
 * Removes the entry `name` in the held folder `dir`, folders with their
 * contents, by descriptor: each folder is opened below its held parent with
 * `O_NOFOLLOW` and emptied through its own descriptor, so a folder swapped
 * for a symlink meanwhile is unlinked as a link and its target never
 * touched. A missing entry is fine.
 */
export async function removeEntry(dir: HeldDir, name: string, depth = 0): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    const st = await dir.lstat(name);
    if (!st) return;
    try {
      if (!st.isDirectory()) {
        await dir.unlink(name);
        return;
      }
      if (depth >= MAX_WALK_DEPTH) throw new AppError('conflict', 'Folder is nested too deeply to delete here; delete it from the terminal');
      let child: HeldDir | undefined;
      try {
        child = await dir.openDir(name);
      } catch (err) {
        if (!(err instanceof NotBeneath)) throw err;
      }
      if (child) {
        try {
          for (const n of await child.readdir()) await removeEntry(child, n, depth + 1);
        } finally {
          await child.close();
        }
      }
      await dir.rmdir(name);
      return;
    } catch (err) {
      // Swapped (file ↔ folder ↔ link) or refilled between our look and our call: look again.
      const retry = ['ENOENT', 'EISDIR', 'ENOTDIR', 'ENOTEMPTY', 'EEXIST', 'EPERM'].includes(errno(err) ?? '');
      if (!retry || attempt >= ATTEMPTS) throw err;
    }
  }
}

/** Bytes of the regular files at and below `name` in `dir` (symlinks not followed, not counted). */
export async function bytesAt(dir: HeldDir, name: string): Promise<number> {
  const st = await dir.lstat(name);
  if (!st?.isDirectory()) return st?.isFile() ? Number(st.size) : 0;
  let child: HeldDir;
  try {
    child = await dir.openDir(name);
  } catch (err) {
    if (err instanceof NotBeneath) return 0;
    throw err;
  }
  try {
    let total = 0;
    for await (const e of walkTree(child, [])) if (e.type === 'file') total += Number(e.stat.size);
    return total;
  } finally {
    await child.close();
  }
}

/**
 * Removes a whole workspace-like tree at a path the server made (a
 * workspace, an IDE home, a half-built restore): its parent is opened by
 * path, everything below by descriptor. Missing is fine.
 */
export async function removeTree(trustedPath: string): Promise<void> {
  let parent: HeldDir;
  try {
    parent = await HeldDir.open(path.dirname(trustedPath));
  } catch (err) {
    if (errno(err) === 'ENOENT') return;
    throw err;
  }
  try {
    await removeEntry(parent, path.basename(trustedPath));
  } finally {
    await parent.close();
  }
}
