import type { Readable } from 'node:stream';
import { AppError } from '../http/app-error.js';
import { contentTypeOf } from './content-type.js';
import { etagMatches, etagOf } from './etag.js';
import { openFileAt, withRoot } from './beneath/resolve.js';
import type { Workspace } from './workspace-access.js';
import { parseWorkspacePath } from './workspace-path.js';

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
 * Opens a workspace file for download, by descriptor from the workspace root:
 * a symlink anywhere on the path answers `symlink_not_followed`, a FIFO or
 * device `invalid_path` (never opened), a folder `conflict`.
 */
export async function openDownload(
  ws: Workspace, rawPath: string, headers: { range?: string; ifNoneMatch?: string; ifRange?: string },
): Promise<FileDownload> {
  const segments = parseWorkspacePath(rawPath);
  const { handle: fh, stat: st } = await withRoot(ws.root, (root) => openFileAt(root, segments));
  try {
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
