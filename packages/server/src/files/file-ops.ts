import type { DeleteFileQuery, FileEntry, MkdirRequest, MoveRequest } from '@coditect/contract';
import type { Deps } from '../deps.js';
import { AppError } from '../http/app-error.js';
import { addUsage } from '../store/repositories/workspace-storage.js';
import { bytesAt, removeEntry } from './beneath/remove.js';
import { changedMeanwhile, withParent, withRoot } from './beneath/resolve.js';
import { presentEntry } from './list-files.js';
import { entryLockKey, type Workspace } from './workspace-access.js';
import { parseWorkspacePath } from './workspace-path.js';

const errno = (err: unknown) => (err as NodeJS.ErrnoException).code;

/** Creates a folder (and, with `parents`, the folders above it). An existing folder is fine. */
export async function makeDirectory(ws: Workspace, input: MkdirRequest): Promise<FileEntry> {
  const segments = parseWorkspacePath(input.path);
  return withRoot(ws.root, (root) => withParent(root, segments, { create: input.parents }, async (dir, name) => {
    await dir.mkdir(name).catch((err: unknown) => { if (errno(err) !== 'EEXIST') throw changedMeanwhile(err); });
    const st = await dir.lstat(name);
    if (!st) throw new AppError('conflict', 'The folder was removed while it was being made');
    if (!st.isDirectory()) throw new AppError('conflict', 'A file exists at this path');
    return presentEntry({ segments, stat: st, type: 'directory' });
  }));
}

const startsWith = (s: string[], prefix: string[]) => s.length > prefix.length && prefix.every((x, i) => x === s[i]);

/**
 * Renames or moves an entry between two held folders. A symlink moves as a
 * link (never followed); a folder cannot move into itself; an existing
 * target needs `overwrite` and is never a folder.
 */
export async function moveEntry(deps: Deps, ws: Workspace, input: MoveRequest): Promise<void> {
  const from = parseWorkspacePath(input.from);
  const to = parseWorkspacePath(input.to);
  await withRoot(ws.root, (root) => withParent(root, from, {}, async (src, srcName) => {
    const first = await src.lstat(srcName);
    if (!first) throw new AppError('not_found', 'No such file or folder');
    if (first.isDirectory() && startsWith(to, from)) throw new AppError('invalid_path', 'A folder cannot move into itself');
    await withParent(root, to, { create: true }, (dst, dstName) =>
      deps.storage.locks.runAll([entryLockKey(ws, from), entryLockKey(ws, to)], async () => {
        const srcStat = await src.lstat(srcName);
        if (!srcStat) throw new AppError('not_found', 'No such file or folder');
        const dstStat = await dst.lstat(dstName);
        const same = from.join('/') === to.join('/');
        if (dstStat && !same) {
          if (!input.overwrite) throw new AppError('conflict', 'Something already exists at the target path');
          if (dstStat.isDirectory()) throw new AppError('conflict', 'A folder exists at the target path');
          if (srcStat.isDirectory()) throw new AppError('conflict', 'Cannot replace a file with a folder');
          // The replaced file's bytes leave the workspace.
          if (dstStat.isFile()) {
            await deps.store.tenant(ws.tenantId, (tx) =>
              addUsage(tx, ws.tenantId, ws.sessionId, -Number(dstStat.size), Number.MAX_SAFE_INTEGER));
          }
        }
        await src.rename(srcName, dst, dstName).catch((err: unknown) => {
          // The kernel's own check, for a target folder reached some other way than by its name.
          if (errno(err) === 'EINVAL') throw new AppError('invalid_path', 'A folder cannot move into itself');
          if (errno(err) === 'ENOENT') throw new AppError('not_found', 'No such file or folder');
          if (['EISDIR', 'ENOTDIR', 'ENOTEMPTY', 'EEXIST'].includes(errno(err) ?? '')) {
            throw new AppError('conflict', 'The target changed while moving; try again');
          }
          throw err;
        });
      }));
  }));
}

/** Deletes a file, a symlink (not its target) or a folder (non-empty only with `recursive`), by descriptor. */
export async function deleteEntry(deps: Deps, ws: Workspace, query: DeleteFileQuery): Promise<void> {
  const segments = parseWorkspacePath(query.path);
  await withRoot(ws.root, (root) => withParent(root, segments, {}, (dir, name) =>
    deps.storage.locks.run(entryLockKey(ws, segments), async () => {
      const st = await dir.lstat(name);
      if (!st) throw new AppError('not_found', 'No such file or folder');
      const bytes = await bytesAt(dir, name);
      if (st.isDirectory() && query.recursive) {
        await removeEntry(dir, name).catch((err: unknown) => { throw changedMeanwhile(err); });
      } else if (st.isDirectory()) {
        await dir.rmdir(name).catch((err: unknown) => {
          if (errno(err) === 'ENOTEMPTY' || errno(err) === 'EEXIST') {
            throw new AppError('conflict', 'Folder is not empty; pass recursive=true to delete it with its contents');
          }
          throw err;
        });
      } else {
        await dir.unlink(name).catch((err: unknown) => {
          if (errno(err) === 'ENOENT') throw new AppError('not_found', 'No such file or folder');
          if (errno(err) === 'EISDIR' || errno(err) === 'EPERM') throw new AppError('conflict', 'The entry changed while deleting; try again');
          throw err;
        });
      }
      await deps.store.tenant(ws.tenantId, (tx) => addUsage(tx, ws.tenantId, ws.sessionId, -bytes, Number.MAX_SAFE_INTEGER));
    })));
}
