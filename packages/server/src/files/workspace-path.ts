import fs from 'node:fs/promises';
import path from 'node:path';
import { AppError } from '../http/app-error.js';

/**
 * Path safety for everything that touches a workspace. A client path is
 * parsed into plain segments (no `..`, no absolute, no NUL or control
 * characters, no backslashes, bounded length), and every real location is
 * checked again after symlinks are resolved, so a link created inside the
 * workspace (e.g. from the IDE terminal) cannot lead a read or write outside.
 */

/** Longest accepted path, in UTF-8 bytes (Linux PATH_MAX is 4096; we keep room for the root). */
export const MAX_PATH_BYTES = 1024;
/** Longest accepted file or folder name, in UTF-8 bytes (NAME_MAX). */
export const MAX_NAME_BYTES = 255;

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

const invalid = (message: string) => new AppError('invalid_path', message);

/**
 * Splits a workspace-relative path into segments. `''`, `.` and `/`-only
 * inputs are the root (empty array) when `allowRoot`; `a//b/./c/` is `a/b/c`.
 */
export function parseWorkspacePath(input: string, { allowRoot = false } = {}): string[] {
  if (Buffer.byteLength(input, 'utf8') > MAX_PATH_BYTES) throw invalid(`Path is longer than ${MAX_PATH_BYTES} bytes`);
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(input)) throw invalid('Path contains a control character');
  if (input.includes('\\')) throw invalid('Use / as the path separator (backslashes are not allowed)');
  if (input.startsWith('/') || /^[A-Za-z]:/.test(input)) throw invalid('Path must be relative to the workspace');
  if (LONE_SURROGATE.test(input)) throw invalid('Path is not valid Unicode');
  const segments: string[] = [];
  for (const s of input.split('/')) {
    if (s === '' || s === '.') continue;
    if (s === '..') throw invalid('Path must not contain ".." segments');
    if (Buffer.byteLength(s, 'utf8') > MAX_NAME_BYTES) throw invalid(`A name is longer than ${MAX_NAME_BYTES} bytes`);
    segments.push(s);
  }
  if (!segments.length && !allowRoot) throw invalid('Path must name a file or folder inside the workspace');
  return segments;
}

/** Whether `p` (already real) is the root or below it. */
export function isInside(rootReal: string, p: string): boolean {
  return p === rootReal || p.startsWith(rootReal + path.sep);
}

const code = (err: unknown) => (err as NodeJS.ErrnoException).code;

/** realpath, with "missing" as `undefined`. */
async function realpathOrMissing(p: string): Promise<string | undefined> {
  try {
    return await fs.realpath(p);
  } catch (err) {
    if (code(err) === 'ENOENT' || code(err) === 'ENOTDIR') return undefined;
    if (code(err) === 'ELOOP') throw invalid('Path has a symlink loop');
    throw err;
  }
}

/**
 * The real location of an existing entry, following symlinks all the way.
 * Missing → 404; resolving outside the root → `invalid_path`.
 */
export async function resolveExisting(rootReal: string, segments: string[]): Promise<string> {
  const real = await realpathOrMissing(path.join(rootReal, ...segments));
  if (real === undefined) throw new AppError('not_found', 'No such file or folder');
  if (!isInside(rootReal, real)) throw invalid('Path leads outside the workspace');
  return real;
}

/**
 * The real location of an entry's parent folder plus the entry's own name, not
 * following the last segment (for delete, move and lstat). With `create`,
 * missing parent folders are made (only below a real ancestor that is inside).
 */
export async function resolveParent(
  rootReal: string, segments: string[], { create = false } = {},
): Promise<{ parent: string; name: string; full: string }> {
  const name = segments.at(-1);
  if (name === undefined) throw invalid('Path must name a file or folder inside the workspace');
  const parentSegs = segments.slice(0, -1);
  let parent = await realpathOrMissing(path.join(rootReal, ...parentSegs));
  if (parent === undefined) {
    if (!create) throw new AppError('not_found', 'Parent folder not found');
    // Find the deepest existing ancestor, check it, then make the rest below it.
    let i = parentSegs.length - 1;
    let base: string | undefined;
    for (; i >= 0; i--) {
      base = await realpathOrMissing(path.join(rootReal, ...parentSegs.slice(0, i)));
      if (base !== undefined) break;
    }
    if (base === undefined || !isInside(rootReal, base)) throw invalid('Path leads outside the workspace');
    parent = await makeFoldersBelow(rootReal, base, parentSegs.slice(i));
  }
  if (!isInside(rootReal, parent)) throw invalid('Path leads outside the workspace');
  const st = await fs.stat(parent);
  if (!st.isDirectory()) throw new AppError('conflict', 'A parent of the path is a file');
  return { parent, name, full: path.join(parent, name) };
}

/**
 * mkdir one segment at a time below a checked real folder. An entry that
 * appears meanwhile is accepted only if it is a folder whose real location
 * is inside (a planted or dangling symlink is refused, never followed).
 */
async function makeFoldersBelow(rootReal: string, base: string, segments: string[]): Promise<string> {
  let dir = base;
  for (const seg of segments) {
    const next = path.join(dir, seg);
    try {
      await fs.mkdir(next);
      dir = next;
      continue;
    } catch (err) {
      if (code(err) !== 'EEXIST') throw err;
    }
    const st = await fs.lstat(next);
    if (st.isSymbolicLink()) {
      const real = await realpathOrMissing(next);
      if (real === undefined || !isInside(rootReal, real)) throw invalid('Path leads outside the workspace');
      dir = real;
    } else if (st.isDirectory()) {
      dir = next;
    } else {
      throw new AppError('conflict', 'A parent of the path is a file');
    }
  }
  return dir;
}

/**
 * Checks after the fact that an open descriptor really is inside the root
 * (Linux: /proc/self/fd names the opened file), closing the gap between
 * resolving a path and opening it. Elsewhere the earlier checks stand alone.
 */
export async function assertDescriptorInside(rootReal: string, fd: number): Promise<void> {
  let opened: string;
  try {
    opened = await fs.readlink(`/proc/self/fd/${fd}`);
  } catch {
    return;
  }
  if (!isInside(rootReal, opened)) throw invalid('Path leads outside the workspace');
}

/** A path for the wire: segments joined with `/`. */
export const toWirePath = (segments: string[]): string => segments.join('/');
