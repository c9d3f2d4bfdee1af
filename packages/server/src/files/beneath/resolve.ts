import { AppError } from '../../http/app-error.js';
import { HeldDir, NotBeneath, type FoundKind, type OpenedFile } from './held-dir.js';

/**
 * Walking a workspace path one descriptor at a time. Every step opens one
 * plain name below the directory held from the step before, so no string is
 * ever resolved twice and a symlink anywhere on the way is refused, not
 * followed. The root itself is a path the server made
 * (`{dataDir}/workspaces/{tenantId}/{sessionId}`) that workspace code cannot
 * rename: it is the sandbox's mount point.
 */

/** The public error for finding `found` where a folder (`role: 'parent' | 'folder'`) or a file was needed. */
export function notBeneathError(found: FoundKind, role: 'parent' | 'folder' | 'file'): AppError {
  switch (found) {
    case 'missing':
      return new AppError('not_found', role === 'parent' ? 'Parent folder not found' : 'No such file or folder');
    case 'symlink':
      return new AppError('symlink_not_followed',
        role === 'parent' ? 'A folder on the path is a symbolic link; the server does not follow links in a workspace'
          : 'This is a symbolic link; the server does not follow links in a workspace');
    case 'directory':
      return new AppError('conflict', 'Is a folder; list it or download an archive');
    case 'file':
      return new AppError('conflict', role === 'parent' ? 'A parent of the path is a file' : 'Not a folder');
    default:
      return new AppError('invalid_path', 'Not a regular file or folder');
  }
}

/** What a process changing the tree under an operation makes the operation's own calls fail with. */
const RACED = new Set(['ENOENT', 'EEXIST', 'ENOTDIR', 'EISDIR', 'ENOTEMPTY', 'ELOOP']);

/**
 * A call below a held folder failed because the tree changed under it (the
 * held folder removed, a file swapped for a folder…): a 409 to retry, not a
 * 500. Anything else passes through.
 */
export function changedMeanwhile(err: unknown): unknown {
  if (!(err instanceof NotBeneath) && !RACED.has((err as NodeJS.ErrnoException).code ?? '')) return err;
  return new AppError('conflict', 'The workspace changed during the operation (a process in it is moving files); try again', { cause: err });
}

/** Turns a `NotBeneath` into its public error; anything else passes through. */
export function publicError(err: unknown, role: 'parent' | 'folder' | 'file'): unknown {
  return err instanceof NotBeneath ? notBeneathError(err.found, role) : err;
}

/** Opens a workspace root for one operation. */
export async function openRoot(rootPath: string): Promise<HeldDir> {
  try {
    return await HeldDir.open(rootPath);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new AppError('not_found', 'The workspace has no files on this node');
    throw err;
  }
}

/** Runs `fn` with the workspace root held, closing it afterwards. */
export async function withRoot<T>(rootPath: string, fn: (root: HeldDir) => Promise<T>): Promise<T> {
  const root = await openRoot(rootPath);
  try {
    return await fn(root);
  } finally {
    await root.close();
  }
}

/**
 * Opens the folder at `segments` below `from` (which stays open and owned by
 * the caller); `[]` is `from` itself, reopened. With `create`, missing
 * folders are made on the way (an entry that appears meanwhile must be a real
 * folder). The caller closes the result.
 */
export async function openDirAt(
  from: HeldDir, segments: string[], { create = false, role = 'folder' as 'parent' | 'folder' } = {},
): Promise<HeldDir> {
  let dir = await from.reopen();
  try {
    for (const [i, name] of segments.entries()) {
      const last = i === segments.length - 1;
      let next: HeldDir;
      try {
        next = await dir.openDir(name);
      } catch (err) {
        if (!(err instanceof NotBeneath && err.found === 'missing' && create)) {
          throw publicError(err, last ? role : 'parent');
        }
        await dir.mkdir(name).catch((e: NodeJS.ErrnoException) => { if (e.code !== 'EEXIST') throw changedMeanwhile(e); });
        next = await dir.openDir(name).catch((e: unknown) => { throw publicError(e, last ? role : 'parent'); });
      }
      await dir.close();
      dir = next;
    }
    return dir;
  } catch (err) {
    await dir.close();
    throw err;
  }
}

/** The held parent folder of `segments` and the entry's own name (not looked at). The caller closes `dir`. */
export async function openParentAt(
  from: HeldDir, segments: string[], { create = false } = {},
): Promise<{ dir: HeldDir; name: string }> {
  const name = segments.at(-1);
  if (name === undefined) throw new AppError('invalid_path', 'Path must name a file or folder inside the workspace');
  return { dir: await openDirAt(from, segments.slice(0, -1), { create, role: 'parent' }), name };
}

/** Runs `fn` with the parent folder of `segments` held (below `from`), closing it afterwards. */
export async function withParent<T>(
  from: HeldDir, segments: string[], options: { create?: boolean }, fn: (dir: HeldDir, name: string) => Promise<T>,
): Promise<T> {
  const { dir, name } = await openParentAt(from, segments, options);
  try {
    return await fn(dir, name);
  } finally {
    await dir.close();
  }
}

/** Opens the regular file at `segments` for reading: anything else (a link, a FIFO, a folder) is a public error. */
export async function openFileAt(from: HeldDir, segments: string[]): Promise<OpenedFile> {
  return withParent(from, segments, {}, (dir, name) =>
    dir.openFile(name).catch((err: unknown) => { throw publicError(err, 'file'); }));
}
