import { randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { BlobNotFoundError, type BlobStore } from './blob-store.js';

const SAFE_KEY = /^[A-Za-z0-9._/-]+$/;

/**
 * Content-addressed blobs on local disk. A write goes to a temp file in the
 * store, is fsynced, then renamed into place, so a crash leaves either the
 * whole object or none (plus, at worst, a temp file that `sweep` removes).
 */
export class LocalBlobStore implements BlobStore {
  readonly url: string;
  private readonly tmp: string;

  constructor(private readonly dir: string) {
    this.url = `file://${dir}`;
    this.tmp = path.join(dir, '.tmp');
  }

  private pathOf(key: string): string {
    if (!SAFE_KEY.test(key) || key.split('/').some((s) => s === '..' || s === '.' || s === '')) {
      throw new Error(`invalid blob key: ${key}`);
    }
    return path.join(this.dir, key);
  }

  private async commit(key: string, write: (tmpFile: string) => Promise<void>): Promise<void> {
    const target = this.pathOf(key);
    await fs.mkdir(this.tmp, { recursive: true });
    const tmpFile = path.join(this.tmp, randomUUID());
    try {
      await write(tmpFile);
      const fh = await fs.open(tmpFile, 'r+');
      try { await fh.sync(); } finally { await fh.close(); }
      await fs.mkdir(path.dirname(target), { recursive: true });
      await fs.rename(tmpFile, target);
    } catch (err) {
      await fs.rm(tmpFile, { force: true });
      throw err;
    }
  }

  async putFile(key: string, file: string): Promise<void> {
    // Copy-on-write clone where the filesystem supports it, a kernel copy otherwise.
    await this.commit(key, (tmpFile) => fs.copyFile(file, tmpFile, fs.constants.COPYFILE_FICLONE));
  }

  async moveFile(key: string, file: string): Promise<void> {
    const target = this.pathOf(key);
    await fs.mkdir(path.dirname(target), { recursive: true });
    try {
      await fs.rename(file, target);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EXDEV') throw err;
      await this.putFile(key, file);
      await fs.rm(file, { force: true });
    }
  }

  async putBuffer(key: string, data: Buffer): Promise<void> {
    await this.commit(key, (tmpFile) => fs.writeFile(tmpFile, data));
  }

  async read(key: string): Promise<Readable> {
    const file = this.pathOf(key);
    const fh = await fs.open(file, 'r').catch((err: NodeJS.ErrnoException) => {
      throw err.code === 'ENOENT' ? new BlobNotFoundError(key) : err;
    });
    return fh.createReadStream();
  }

  async readToFile(key: string, file: string): Promise<void> {
    try {
      await fs.copyFile(this.pathOf(key), file, fs.constants.COPYFILE_FICLONE);
    } catch (err) {
      throw (err as NodeJS.ErrnoException).code === 'ENOENT' ? new BlobNotFoundError(key) : err;
    }
  }

  async has(key: string): Promise<boolean> {
    return fs.access(this.pathOf(key)).then(() => true, () => false);
  }

  async delete(key: string): Promise<void> {
    await fs.rm(this.pathOf(key), { force: true });
  }

  async *list(prefix: string): AsyncIterable<{ key: string; size: number }> {
    const walk = async function* (dir: string, rel: string): AsyncGenerator<{ key: string; size: number }> {
      let entries;
      try {
        entries = await fs.readdir(dir, { withFileTypes: true });
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
        throw err;
      }
      for (const e of entries) {
        const key = rel ? `${rel}/${e.name}` : e.name;
        if (!rel && e.name === '.tmp') continue;
        if (e.isDirectory()) yield* walk(path.join(dir, e.name), key);
        else if (e.isFile() && key.startsWith(prefix)) yield { key, size: (await fs.stat(path.join(dir, e.name))).size };
      }
    };
    yield* walk(this.dir, '');
  }

  /** Removes temp files a crash may have left behind. */
  async sweep(): Promise<void> {
    await fs.rm(this.tmp, { recursive: true, force: true });
  }

  async close(): Promise<void> {}
}
