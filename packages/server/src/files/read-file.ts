import { constants } from 'node:fs';
import fs from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { AppError } from '../http/app-error.js';
import { contentTypeOf } from './content-type.js';
import { etagMatches, etagOf } from './etag.js';
import type { Workspace } from './workspace-access.js';
import { assertDescriptorInside, parseWorkspacePath, resolveExisting } from './workspace-path.js';

/** What to send for a content GET: headers, status and (unless 304) a stream of the bytes. */
export interface FileDownload {
  status: 200 | 206 | 304;
  headers: Record<string, string>;
  body: Readable | undefined;
}

/** `bytes=a-b`, `bytes=a-`, `bytes=-n` (one range); `undefined` means "send everything". */
function parseRange(header: string | undefined, size: number): { start: number; end: number } | undefined {
  if (!header) return undefined;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === '' && m[2] === '')) return undefined; // multi-range or malformed: ignored, as RFC 9110 allows
  let start: number;
  let end: number;
  if (m[1] === '') {
    const suffix = Number(m[2]);
    if (suffix === 0) throw unsatisfiable(size);
    start = Math.max(0, size - suffix);
    end = size - 1;
  } else {
    start = Number(m[1]);
    end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
    if (m[2] !== '' && Number(m[2]) < start) return undefined;
  }
  if (start >= size) throw unsatisfiable(size);
  return { start, end };
}

const unsatisfiable = (size: number) =>
  new AppError('range_not_satisfiable', 'Range not satisfiable', { headers: { 'content-range': `bytes */${size}` } });

/**
 * Opens a workspace file for download. The path is resolved through symlinks
 * and the opened descriptor is checked again, so a link (or a link swapped in
 * meanwhile) that leads outside the workspace answers `invalid_path`.
 */
export async function openDownload(
  ws: Workspace, rawPath: string, headers: { range?: string; ifNoneMatch?: string; ifRange?: string },
): Promise<FileDownload> {
  const segments = parseWorkspacePath(rawPath);
  const real = await resolveExisting(ws.root, segments);
  const fh = await fs.open(real, constants.O_RDONLY | constants.O_NOFOLLOW).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ELOOP') throw new AppError('invalid_path', 'Path leads outside the workspace');
    if (err.code === 'ENOENT') throw new AppError('not_found', 'No such file or folder');
    throw err;
  });
  try {
    await assertDescriptorInside(ws.root, fh.fd);
    const st = await fh.stat({ bigint: true });
    if (st.isDirectory()) throw new AppError('conflict', 'Is a folder; list it or download an archive');
    if (!st.isFile()) throw new AppError('invalid_path', 'Not a regular file');
    const etag = etagOf(st);
    const size = Number(st.size);
    const common: Record<string, string> = {
      etag,
      'last-modified': new Date(Number(st.mtimeMs)).toUTCString(),
      'accept-ranges': 'bytes',
      // Served from the API origin: never let a workspace HTML file run as a page there.
      'content-security-policy': "sandbox; default-src 'none'",
      'content-disposition': `inline; filename*=UTF-8''${encodeURIComponent(segments.at(-1)!)}`,
    };
    if (headers.ifNoneMatch && etagMatches(headers.ifNoneMatch, etag)) {
      await fh.close();
      return { status: 304, headers: common, body: undefined };
    }
    const range = headers.ifRange && headers.ifRange !== etag ? undefined : parseRange(headers.range, size);
    const type = contentTypeOf(segments.at(-1)!);
    if (range) {
      return {
        status: 206,
        headers: { ...common, 'content-type': type, 'content-length': String(range.end - range.start + 1),
          'content-range': `bytes ${range.start}-${range.end}/${size}` },
        body: fh.createReadStream({ start: range.start, end: range.end }),
      };
    }
    return {
      status: 200,
      headers: { ...common, 'content-type': type, 'content-length': String(size) },
      body: size === 0 ? (await fh.close(), undefined) : fh.createReadStream(),
    };
  } catch (err) {
    await fh.close().catch(() => {});
    throw err;
  }
}
