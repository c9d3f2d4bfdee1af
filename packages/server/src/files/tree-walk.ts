import type { BigIntStats } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';

/** One entry met while walking a workspace tree; symlinks are reported, never followed. */
export interface TreeEntry {
  /** Segments relative to the workspace root. */
  segments: string[];
  /** `/`-joined segments. */
  path: string;
  type: 'file' | 'directory' | 'symlink' | 'other';
  stat: BigIntStats;
}

/** Orders paths the way the walk visits them: segment by segment, by code unit. */
export function compareSegments(a: string[], b: string[]): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    if (a[i] !== b[i]) return a[i]! < b[i]! ? -1 : 1;
  }
  return a.length - b.length;
}

const typeOf = (st: BigIntStats): TreeEntry['type'] =>
  st.isFile() ? 'file' : st.isDirectory() ? 'directory' : st.isSymbolicLink() ? 'symlink' : 'other';

/**
 * Depth-first, name-ordered walk below `dir` (a real directory inside the
 * workspace whose segments are `base`). With `after`, entries up to and
 * including that path are skipped without descending into finished subtrees,
 * so a paginated listing resumes in O(depth) instead of re-walking.
 */
export async function* walkTree(
  dir: string, base: string[], options: { after?: string[]; recursive?: boolean } = {},
): AsyncGenerator<TreeEntry> {
  const { after, recursive = true } = options;
  let names: string[];
  try {
    names = (await fs.readdir(dir)).sort();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return;
    throw err;
  }
  const segs = names.map((n) => [...base, n]);
  // Skip whole subtrees that end before the cursor; keep the one that contains it.
  let start = 0;
  if (after) {
    while (start < segs.length) {
      const s = segs[start]!;
      const isAncestor = s.length < after.length && s.every((x, i) => x === after[i]);
      if (compareSegments(s, after) >= 0 || isAncestor) break;
      start++;
    }
  }
  // lstat a directory's entries together: the thread pool does them in parallel.
  const BATCH = 64;
  for (let i = start; i < names.length; i += BATCH) {
    const slice = names.slice(i, i + BATCH);
    const stats = await Promise.all(slice.map((n) =>
      fs.lstat(path.join(dir, n), { bigint: true }).catch(() => undefined)));
    for (let j = 0; j < slice.length; j++) {
      const st = stats[j];
      if (!st) continue; // vanished while walking
      const s = segs[i + j]!;
      // The cursor's ancestors and the cursor itself were returned already; only their insides remain.
      const isAncestor = after !== undefined && s.length < after.length && s.every((x, k) => x === after[k]);
      const isCursor = after !== undefined && compareSegments(s, after) === 0;
      const entry: TreeEntry = { segments: s, path: s.join('/'), type: typeOf(st), stat: st };
      if (!isAncestor && !isCursor) yield entry;
      if (recursive && entry.type === 'directory') {
        yield* walkTree(path.join(dir, slice[j]!), s, { after: isAncestor ? after : undefined, recursive });
      }
    }
  }
}
