import { constants, type BigIntStats } from 'node:fs';
import fs, { type FileHandle } from 'node:fs/promises';

/**
 * A directory the server holds open, and the `*at` family on it. Node has no
 * openat, but `/proc/self/fd/<fd>/<name>` is one: the kernel jumps to the
 * directory the descriptor names (wherever it has been moved since) and looks
 * up one plain name there. With `O_NOFOLLOW`, and for calls that never follow
 * their last component (lstat, mkdir, unlink, rmdir, rename, symlink,
 * readlink), a symlink planted in the workspace is seen as a symlink and
 * never leads anywhere. A name is never a path: no `/`, no `..`.
 */

/** Linux `O_PATH` (not exported by Node): names an inode without opening it (no FIFO or device is ever opened for a chmod). */
const O_PATH = 0o10000000;
const { O_RDONLY, O_DIRECTORY, O_NOFOLLOW, O_NONBLOCK, O_NOCTTY } = constants;

/** A regular file opened below a held folder, and the fstat of exactly that inode. */
export interface OpenedFile {
  handle: FileHandle;
  stat: BigIntStats;
}

/** What was found where something else was needed. */
export type FoundKind = 'missing' | 'symlink' | 'directory' | 'file' | 'other';

/** A lookup below a held directory did not find the kind it needed; `found` says what is there instead. */
export class NotBeneath extends Error {
  constructor(readonly found: FoundKind, readonly entry: string) {
    super(`${entry}: found ${found}`);
  }
}

/** The kind of an lstat result. */
export const kindOf = (st: BigIntStats | undefined): FoundKind =>
  !st ? 'missing' : st.isSymbolicLink() ? 'symlink' : st.isDirectory() ? 'directory' : st.isFile() ? 'file' : 'other';

/** Whether `name` is one plain directory entry name (what may follow `/proc/self/fd/<fd>/`). */
export const isPlainName = (name: string): boolean =>
  name !== '' && name !== '.' && name !== '..' && !name.includes('/') && !name.includes('\0');

const errno = (err: unknown) => (err as NodeJS.ErrnoException).code;
const missingOrWrongType = (err: unknown) => ['ENOENT', 'ENOTDIR', 'ELOOP'].includes(errno(err) ?? '');

/** An open directory descriptor; every operation names one entry inside it. Close it exactly once. */
export class HeldDir {
  private closed = false;

  private constructor(private readonly handle: FileHandle) {}

  /** Opens a directory by a path the server itself made (e.g. a workspace root); its last component is not followed. */
  static async open(trustedPath: string): Promise<HeldDir> {
    return new HeldDir(await fs.open(trustedPath, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_NONBLOCK));
  }

  /** The descriptor number (valid until `close`). */
  get fd(): number {
    if (this.closed) throw new Error('HeldDir used after close');
    return this.handle.fd;
  }

  /** The magic link naming this directory itself. */
  get self(): string {
    return `/proc/self/fd/${this.fd}`;
  }

  /** The path that names `name` inside this directory (for calls that do not follow their last component). */
  at(name: string): string {
    if (!isPlainName(name)) throw new Error(`not a plain entry name: ${JSON.stringify(name)}`);
    return `${this.self}/${name}`;
  }

  /** This directory's own stat. */
  stat(): Promise<BigIntStats> {
    return this.handle.stat({ bigint: true });
  }

  /** A second descriptor for the same directory (its own owner closes it). */
  async reopen(): Promise<HeldDir> {
    return new HeldDir(await fs.open(this.self, O_RDONLY | O_DIRECTORY | O_NONBLOCK));
  }

  /** Entry names (unsorted). */
  readdir(): Promise<string[]> {
    return fs.readdir(this.self);
  }

  /** lstat of an entry; `undefined` when it is not there. */
  async lstat(name: string): Promise<BigIntStats | undefined> {
    try {
      return await fs.lstat(this.at(name), { bigint: true });
    } catch (err) {
      if (missingOrWrongType(err)) return undefined;
      throw err;
    }
  }

  /** What is at `name` now (for error messages only: it may change the next moment). */
  async kindAt(name: string): Promise<FoundKind> {
    return kindOf(await this.lstat(name));
  }

  /** Opens a sub-directory; a symlink, file or anything else there is a `NotBeneath`. */
  async openDir(name: string): Promise<HeldDir> {
    let handle: FileHandle;
    try {
      handle = await fs.open(this.at(name), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_NONBLOCK);
    } catch (err) {
      if (missingOrWrongType(err)) throw new NotBeneath(await this.kindAt(name), name);
      throw err;
    }
    const dir = new HeldDir(handle);
    if (!(await dir.stat()).isDirectory()) {
      await dir.close();
      throw new NotBeneath('other', name);
    }
    return dir;
  }

  /**
   * Opens a regular file for reading, with its fstat. `O_NOFOLLOW` refuses a
   * symlink; `O_NONBLOCK` makes opening a FIFO swapped in meanwhile return at
   * once instead of waiting for a writer; the fstat of what was opened then
   * refuses anything but a regular file before a byte is read.
   */
  async openFile(name: string): Promise<OpenedFile> {
    let handle: FileHandle;
    try {
      handle = await fs.open(this.at(name), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY);
    } catch (err) {
      if (missingOrWrongType(err) || errno(err) === 'ENXIO') throw new NotBeneath(await this.kindAt(name), name);
      throw err;
    }
    try {
      const stat = await handle.stat({ bigint: true });
      if (!stat.isFile()) throw new NotBeneath(kindOf(stat), name);
      return { handle, stat };
    } catch (err) {
      await handle.close();
      throw err;
    }
  }

  /** Sets the mode of a regular file or folder inside (never through a symlink). */
  async chmodEntry(name: string, mode: number): Promise<void> {
    const probe = await this.pin(name);
    try {
      const st = await probe.stat({ bigint: true });
      if (!st.isFile() && !st.isDirectory()) throw new NotBeneath(kindOf(st), name);
      await fs.chmod(`/proc/self/fd/${probe.fd}`, mode);
    } finally {
      await probe.close();
    }
  }

  /** Sets this directory's own mode. */
  chmod(mode: number): Promise<void> {
    return this.handle.chmod(mode);
  }

  /** A descriptor naming the entry itself (a symlink stays a symlink). */
  private async pin(name: string): Promise<FileHandle> {
    try {
      return await fs.open(this.at(name), O_PATH | O_NOFOLLOW);
    } catch (err) {
      if (missingOrWrongType(err)) throw new NotBeneath('missing', name);
      throw err;
    }
  }

  /** Creates a folder; `EEXIST` (whatever is there) propagates. */
  mkdir(name: string, mode = 0o755): Promise<void> {
    return fs.mkdir(this.at(name), { mode }).then(() => undefined);
  }

  /** Removes a file or symlink (never its target). */
  unlink(name: string): Promise<void> {
    return fs.unlink(this.at(name));
  }

  /** Removes an empty folder. */
  rmdir(name: string): Promise<void> {
    return fs.rmdir(this.at(name));
  }

  /** Renames an entry into another held directory (the entry moves as it is; a symlink stays a link). */
  rename(name: string, to: HeldDir, toName: string): Promise<void> {
    return fs.rename(this.at(name), to.at(toName));
  }

  /** Moves a file the server owns (a staging file outside every workspace) into this directory. */
  adopt(serverFile: string, name: string): Promise<void> {
    return fs.rename(serverFile, this.at(name));
  }

  /** Creates a symlink (its target is text; the server never follows it). */
  symlink(target: string, name: string): Promise<void> {
    return fs.symlink(target, this.at(name));
  }

  /** A symlink's target text. */
  readlink(name: string): Promise<string> {
    return fs.readlink(this.at(name));
  }

  /** Closes the descriptor; the object must not be used afterwards. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.handle.close();
  }
}
