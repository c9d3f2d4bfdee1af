import type { BigIntStats } from 'node:fs';
import { HeldDir, NotBeneath } from './held-dir.js';

/** One entry met while walking a workspace tree; symlinks are reported, never followed. */
export interface TreeEntry {
  /** Segments relative to the workspace root. */
  segments: string[];
  /** `/`-joined segments. */
  path: string;
  type: 'file' | 'directory' | 'symlink' | 'other';
  stat: BigIntStats;
  /** The held folder the entry is in: valid only until the walk moves on (open the entry through it). */
  dir: HeldDir;
  /** The entry's name in `dir`. */
  name: string;
}

/**
 * Deepest folder a walk descends into. A workspace can nest folders far
 * deeper than any path the API accepts (1024 bytes: at most 512 names), and
 * each level holds one descriptor while the walk is below it.
 */
export const MAX_WALK_DEPTH = 512;

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

const isPrefix = (s: string[], of: string[]) => s.length < of.length && s.every((x, i) => x === of[i]);

/**
 * Depth-first, name-ordered walk below the held folder `dir` (whose segments
 * are `base`; the caller keeps owning it). Each sub-folder is entered by
 * opening its name below the held parent with `O_NOFOLLOW`: a folder swapped
 * for a symlink meanwhile is not entered. With `after`, entries up to and
 * including that path are skipped without descending into finished subtrees,
 * so a paginated listing resumes in O(depth) instead of re-walking.
 */
export async function* walkTree(
  dir: HeldDir, base: string[], options: { after?: string[]; recursive?: boolean } = {},
): AsyncGenerator<TreeEntry> {
  const { after, recursive = true } = options;
  let names: string[];
  try {
    names = (await dir.readdir()).sort();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return; // removed while we were below it
    throw err;
  }
  const segs = names.map((n) => [...base, n]);
  // Skip whole subtrees that end before the cursor; keep the one that contains it.
  let start = 0;
  if (after) {
    while (start < segs.length && compareSegments(segs[start]!, after) < 0 && !isPrefix(segs[start]!, after)) start++;
  }
  // lstat a directory's entries together: the thread pool does them in parallel.
  const BATCH = 64;
  for (let i = start; i < names.length; i += BATCH) {
    const slice = names.slice(i, i + BATCH);
    const stats = await Promise.all(slice.map((n) => dir.lstat(n)));
    for (let j = 0; j < slice.length; j++) {
      const st = stats[j];
      if (!st) continue; // vanished while walking
      const s = segs[i + j]!;
      // The cursor's ancestors and the cursor itself were returned already; only their insides remain.
      const isAncestor = after !== undefined && isPrefix(s, after);
      const isCursor = after !== undefined && compareSegments(s, after) === 0;
      const entry: TreeEntry = { segments: s, path: s.join('/'), type: typeOf(st), stat: st, dir, name: slice[j]! };
      if (!isAncestor && !isCursor) yield entry;
      if (!recursive || entry.type !== 'directory' || s.length >= MAX_WALK_DEPTH) continue;
      let child: HeldDir;
      try {
        child = await dir.openDir(entry.name);
      } catch (err) {
        if (err instanceof NotBeneath) continue; // swapped for something else since the lstat: not entered
        throw err;
      }
      try {
        yield* walkTree(child, s, { after: isAncestor ? after : undefined, recursive });
      } finally {
        await child.close();
      }
    }
  }
}
