import { PassThrough, type Readable } from 'node:stream';
import { finished, pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import type { ArchiveQuery } from '@coditect/contract';
import tar from 'tar-stream';
import yazl from 'yazl';
import { NotBeneath, type HeldDir, type OpenedFile } from './beneath/held-dir.js';
import { openDirAt, withRoot } from './beneath/resolve.js';
import { walkTree, type TreeEntry } from './beneath/walk.js';
import type { Workspace } from './workspace-access.js';
import { parseWorkspacePath } from './workspace-path.js';

/** An archive being produced: its name and a stream of its bytes. */
export interface ArchiveDownload {
  filename: string;
  contentType: string;
  body: Readable;
}

/** Opens a file the walk met, through its held folder; one swapped for a link, FIFO or folder since is left out. */
async function openEntry(e: TreeEntry): Promise<OpenedFile | undefined> {
  try {
    return await e.dir.openFile(e.name);
  } catch (err) {
    if (err instanceof NotBeneath) return undefined;
    throw err;
  }
}

/** Rejects once the download is gone (client left), so a producer waiting on backpressure stops. */
const whenAborted = (out: PassThrough) => {
  const aborted = new Promise<never>((_, reject) => {
    out.once('close', () => reject(new Error('archive download closed')));
  });
  aborted.catch(() => {});
  return aborted;
};

/** Waits for one entry's bytes, or for the download to go away (the loser's rejection is not left unhandled). */
function entryDone(written: Promise<unknown>, aborted: Promise<never>): Promise<unknown> {
  written.catch(() => {});
  return Promise.race([written, aborted]);
}

async function writeTar(dir: HeldDir, prefix: string, out: PassThrough): Promise<void> {
  const pack = tar.pack();
  const done = pipeline(pack, createGzip({ level: 6 }), out);
  done.catch(() => {}); // awaited below; a walk that fails first must not leave it unhandled
  const aborted = whenAborted(out);
  const header = (e: TreeEntry) => ({
    name: `${prefix}/${e.path}`, mode: Number(e.stat.mode) & 0o7777, mtime: new Date(Number(e.stat.mtimeMs)),
  });
  for await (const e of walkTree(dir, [])) {
    if (e.type === 'directory') pack.entry({ ...header(e), type: 'directory' });
    else if (e.type === 'symlink') {
      // The link itself, as text: its target is never read.
      const linkname = await e.dir.readlink(e.name).catch(() => undefined);
      if (linkname !== undefined) pack.entry({ ...header(e), type: 'symlink', linkname });
    } else if (e.type === 'file') {
      const opened = await openEntry(e);
      if (!opened) continue;
      const fh = opened.handle;
      const size = Number(opened.stat.size);
      if (size === 0) {
        await fh.close();
        pack.entry({ ...header(e), size: 0 });
        continue;
      }
      // Exactly the fstat'ed size, so a file growing meanwhile cannot break the tar framing.
      await entryDone(pipeline(fh.createReadStream({ end: size - 1 }), pack.entry({ ...header(e), size })), aborted)
        .finally(() => fh.close().catch(() => {}));
    }
  }
  pack.finalize();
  await done;
}

async function writeZip(dir: HeldDir, prefix: string, out: PassThrough): Promise<void> {
  const zip = new yazl.ZipFile();
  const done = pipeline(zip.outputStream, out);
  done.catch(() => {}); // awaited below; a walk that fails first must not leave it unhandled
  const aborted = whenAborted(out);
  for await (const e of walkTree(dir, [])) {
    const name = `${prefix}/${e.path}`;
    const options = { mtime: new Date(Number(e.stat.mtimeMs)), mode: Number(e.stat.mode) & 0o7777 };
    if (e.type === 'directory') zip.addEmptyDirectory(name, options);
    else if (e.type === 'file') {
      const opened = await openEntry(e);
      if (!opened) continue;
      // The walk waits for this entry to be written: one file descriptor at a time, its folder still held.
      const stream = opened.handle.createReadStream();
      zip.addReadStream(stream, name, options);
      await entryDone(finished(stream), aborted).finally(() => { stream.destroy(); });
    }
    // Symlinks are left out of zip archives (the format has no portable link entry).
  }
  zip.end();
  await done;
}

/** A tar.gz or zip of the workspace or one folder of it, produced while it is sent. */
export async function openArchive(ws: Workspace, query: ArchiveQuery): Promise<ArchiveDownload> {
  const segments = parseWorkspacePath(query.path, { allowRoot: true });
  const dir = await withRoot(ws.root, (root) => openDirAt(root, segments));
  const prefix = segments.at(-1) ?? 'workspace';
  const out = new PassThrough();
  const produce = query.format === 'zip' ? writeZip : writeTar;
  produce(dir, prefix, out)
    .catch((err: Error) => out.destroy(err))
    .finally(() => dir.close());
  return {
    filename: `${prefix}.${query.format}`,
    contentType: query.format === 'zip' ? 'application/zip' : 'application/gzip',
    body: out,
  };
}
