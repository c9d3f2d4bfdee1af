import { AppError } from '../http/app-error.js';

/**
 * Path safety for everything that touches a workspace. A client path is
 * parsed into plain segments (no `..`, no absolute, no NUL or control
 * characters, no backslashes, bounded length); the segments are then opened
 * one descriptor at a time (./beneath/), never joined into a path to resolve.
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

/** A path for the wire: segments joined with `/`. */
export const toWirePath = (segments: string[]): string => segments.join('/');
