import { constants } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { PassThrough, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import type { ArchiveQuery } from '@coditect/contract';
import tar from 'tar-stream';
import yazl from 'yazl';
import { AppError } from '../http/app-error.js';
import { walkTree, type TreeEntry } from './tree-walk.js';
import type { Workspace } from './workspace-access.js';
import { assertDescriptorInside, parseWorkspacePath, resolveExisting } from './workspace-path.js';

/** An archive being produced: its name and a stream of its bytes. */
export interface ArchiveDownload {
  filename: string;
  contentType: string;
  body: Readable;
}

/** Opens a file found by the walk without following a link swapped in since (and re-checks where it is). */
async function openInside(root: string, file: string) {
  const fh = await fs.open(file, constants.O_RDONLY | constants.O_NOFOLLOW);
  try {
    await assertDescriptorInside(root, fh.fd);
    return fh;
  } catch (err) {
    await fh.close();
    throw err;
  }
}

async function writeTar(ws: Workspace, real: string, prefix: string, out: PassThrough): Promise<void> {
  const pack = tar.pack();
  const done = pipeline(pack, createGzip({ level: 6 }), out);
  const header = (e: TreeEntry) => ({
    name: `${prefix}/${e.path}`, mode: Number(e.stat.mode) & 0o7777, mtime: new Date(Number(e.stat.mtimeMs)),
  });
  for await (const e of walkTree(real, [])) {
    if (e.type === 'directory') pack.entry({ ...header(e), type: 'directory' });
    else if (e.type === 'symlink') {
      // The link itself, as text: its target is never read.
      pack.entry({ ...header(e), type: 'symlink', linkname: await fs.readlink(path.join(real, e.path)) });
    } else if (e.type === 'file') {
      const fh = await openInside(ws.root, path.join(real, e.path)).catch(() => undefined);
      if (!fh) continue;
      const size = Number((await fh.stat()).size);
      if (size === 0) {
        await fh.close();
        pack.entry({ ...header(e), size: 0 });
        continue;
      }
      // Exactly the stat'ed size, so a file growing meanwhile cannot break the tar framing.
      await pipeline(fh.createReadStream({ end: size - 1 }), pack.entry({ ...header(e), size }));
    }
  }
  pack.finalize();
  await done;
}

async function writeZip(ws: Workspace, real: string, prefix: string, out: PassThrough): Promise<void> {
  const zip = new yazl.ZipFile();
  const done = pipeline(zip.outputStream, out);
  for await (const e of walkTree(real, [])) {
    const name = `${prefix}/${e.path}`;
    const options = { mtime: new Date(Number(e.stat.mtimeMs)), mode: Number(e.stat.mode) & 0o7777 };
    if (e.type === 'directory') zip.addEmptyDirectory(name, options);
    else if (e.type === 'file') {
      // Opened only when yazl gets to it: a large tree never holds more than one descriptor.
      zip.addReadStreamLazy(name, options, (cb) => {
        openInside(ws.root, path.join(real, e.path))
          .then((fh) => cb(null, fh.createReadStream()), (err: Error) => cb(err, undefined as unknown as Readable));
      });
    }
    // Symlinks are left out of zip archives (the format has no portable link entry).
  }
  zip.end();
  await done;
}

/** A tar.gz or zip of the workspace or one folder of it, produced while it is sent. */
export async function openArchive(ws: Workspace, query: ArchiveQuery): Promise<ArchiveDownload> {
  const segments = parseWorkspacePath(query.path, { allowRoot: true });
  const real = await resolveExisting(ws.root, segments);
  if (!(await fs.stat(real)).isDirectory()) throw new AppError('conflict', 'Not a folder');
  const prefix = segments.at(-1) ?? 'workspace';
  const out = new PassThrough();
  const produce = query.format === 'zip' ? writeZip : writeTar;
  produce(ws, real, prefix, out).catch((err: Error) => out.destroy(err));
  return {
    filename: `${prefix}.${query.format}`,
    contentType: query.format === 'zip' ? 'application/zip' : 'application/gzip',
    body: out,
  };
}
