import type { FileEntry, FileListing, ListFilesQuery } from '@coditect/contract';
import { AppError } from '../http/app-error.js';
import { openDirAt, withRoot } from './beneath/resolve.js';
import { walkTree, type TreeEntry } from './beneath/walk.js';
import type { Workspace } from './workspace-access.js';
import { parseWorkspacePath } from './workspace-path.js';

/** An entry as the API shows it; devices, sockets and FIFOs are left out of listings. */
export function presentEntry(e: Pick<TreeEntry, 'segments' | 'stat' | 'type'>): FileEntry {
  return {
    name: e.segments.at(-1) ?? '',
    path: e.segments.join('/'),
    type: e.type === 'other' ? 'file' : e.type,
    size: e.type === 'file' ? Number(e.stat.size) : 0,
    mtime: new Date(Number(e.stat.mtimeMs)).toISOString(),
  };
}

const encodeCursor = (segments: string[]) => Buffer.from(JSON.stringify(segments)).toString('base64url');

function decodeCursor(cursor: string, base: string[]): string[] {
  try {
    const segs = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
    if (Array.isArray(segs) && segs.length > base.length && segs.every((s) => typeof s === 'string')
      && base.every((b, i) => segs[i] === b)) return segs as string[];
  } catch {
    // fall through
  }
  throw new AppError('validation_failed', 'Invalid cursor', {
    details: [{ path: 'cursor', message: 'Not a cursor returned for this path', code: 'invalid_cursor' }],
  });
}

/** A folder's entries (or, recursively, its subtree) in name order, one page at a time. */
export async function listFiles(ws: Workspace, query: ListFilesQuery): Promise<FileListing> {
  const base = parseWorkspacePath(query.path, { allowRoot: true });
  const after = query.cursor ? decodeCursor(query.cursor, base) : undefined;
  return withRoot(ws.root, async (root) => {
    const dir = await openDirAt(root, base);
    const items: FileEntry[] = [];
    let last: string[] | undefined;
    let more = false;
    try {
      for await (const e of walkTree(dir, base, { after, recursive: Boolean(query.recursive) })) {
        if (e.type === 'other') continue;
        if (items.length === query.limit) { more = true; break; }
        items.push(presentEntry(e));
        last = e.segments;
      }
    } finally {
      await dir.close();
    }
    return { path: base.join('/'), items, nextCursor: more && last ? encodeCursor(last) : null };
  });
}
