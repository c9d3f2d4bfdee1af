import fs from 'node:fs/promises';
import type { DeleteFileQuery, FileEntry, MkdirRequest, MoveRequest } from '@coditect/contract';
import type { Deps } from '../deps.js';
import { AppError } from '../http/app-error.js';
import { addUsage } from '../store/repositories/workspace-storage.js';
import { presentEntry } from './list-files.js';
import { walkTree } from './tree-walk.js';
import type { Workspace } from './workspace-access.js';
import { isInside, parseWorkspacePath, resolveParent } from './workspace-path.js';


/** Creates a folder (and, with `parents`, the folders above it). An existing folder is fine. */
export async function makeDirectory(ws: Workspace, input: MkdirRequest): Promise<FileEntry> {
  const segments = parseWorkspacePath(input.path);
  const { full } = await resolveParent(ws.root, segments, { create: input.parents });
  try {
    await fs.mkdir(full);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  const st = await fs.lstat(full, { bigint: true });
  if (!st.isDirectory()) throw new AppError('conflict', 'A file exists at this path');
  return presentEntry({ segments, stat: st, type: 'directory' });
}

/**
 * Renames or moves an entry. A symlink moves as a link (never followed); a
 * folder cannot move into itself; an existing target needs `overwrite` and
 * is never a folder.
 */
export async function moveEntry(deps: Deps, ws: Workspace, input: MoveRequest): Promise<void> {
  const from = parseWorkspacePath(input.from);
  const to = parseWorkspacePath(input.to);
  const src = await resolveParent(ws.root, from);
  const srcStat = await fs.lstat(src.full).catch(() => undefined);
  if (!srcStat) throw new AppError('not_found', 'No such file or folder');
  const dst = await resolveParent(ws.root, to, { create: true });
  if (srcStat.isDirectory() && isInside(src.full, dst.full)) {
    throw new AppError('invalid_path', 'A folder cannot move into itself');
  }
  await deps.storage.locks.runAll([src.full, dst.full], async () => {
    const dstStat = await fs.lstat(dst.full).catch(() => undefined);
    if (dstStat && dst.full !== src.full) {
      if (!input.overwrite) throw new AppError('conflict', 'Something already exists at the target path');
      if (dstStat.isDirectory()) throw new AppError('conflict', 'A folder exists at the target path');
      if (srcStat.isDirectory()) throw new AppError('conflict', 'Cannot replace a file with a folder');
      // The replaced file's bytes leave the workspace.
      if (dstStat.isFile()) {
        await deps.store.tenant(ws.tenantId, (tx) =>
          addUsage(tx, ws.tenantId, ws.sessionId, -dstStat.size, Number.MAX_SAFE_INTEGER));
      }
    }
    await fs.rename(src.full, dst.full);
  });
}

/** Sum of file sizes below (and including) `full`, symlinks not followed. */
async function bytesUnder(full: string): Promise<number> {
  const st = await fs.lstat(full);
  if (!st.isDirectory()) return st.isFile() ? st.size : 0;
  let total = 0;
  for await (const e of walkTree(full, [])) if (e.type === 'file') total += Number(e.stat.size);
  return total;
}

/** Deletes a file, a symlink (not its target) or a folder (non-empty only with `recursive`). */
export async function deleteEntry(deps: Deps, ws: Workspace, query: DeleteFileQuery): Promise<void> {
  const segments = parseWorkspacePath(query.path);
  const { full } = await resolveParent(ws.root, segments);
  await deps.storage.locks.run(full, async () => {
    const st = await fs.lstat(full).catch(() => undefined);
    if (!st) throw new AppError('not_found', 'No such file or folder');
    const bytes = await bytesUnder(full);
    if (st.isDirectory()) {
      if (query.recursive) await fs.rm(full, { recursive: true, force: true });
      else {
        await fs.rmdir(full).catch((err: NodeJS.ErrnoException) => {
          if (err.code === 'ENOTEMPTY' || err.code === 'EEXIST') {
            throw new AppError('conflict', 'Folder is not empty; pass recursive=true to delete it with its contents');
          }
          throw err;
        });
      }
    } else {
      await fs.unlink(full);
    }
    await deps.store.tenant(ws.tenantId, (tx) => addUsage(tx, ws.tenantId, ws.sessionId, -bytes, Number.MAX_SAFE_INTEGER));
  });
}

