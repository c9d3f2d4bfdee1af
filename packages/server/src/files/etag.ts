import type { BigIntStats } from 'node:fs';

/**
 * A strong validator from inode, size and nanosecond mtime. Every write goes
 * through a rename (a new inode), so two versions of a file never share one.
 */
export const etagOf = (st: BigIntStats): string =>
  `"${st.ino.toString(36)}-${st.size.toString(36)}-${st.mtimeNs.toString(36)}"`;

/** Whether a current ETag satisfies an `If-Match`/`If-None-Match` list (`*` matches any existing file). */
export function etagMatches(header: string, current: string | undefined): boolean {
  if (current === undefined) return false;
  if (header.trim() === '*') return true;
  // Strong comparison: weak tags (W/"…") never match.
  return header.split(',').map((s) => s.trim()).some((t) => t === current);
}
