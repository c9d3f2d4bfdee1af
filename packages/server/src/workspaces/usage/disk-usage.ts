/**
 * Disk bytes a directory tree occupies, measured by `du` (allocated blocks, hard links once, no
 * symlink followed, one file system): what a writer inside a workspace actually takes from the disk,
 * including many tiny files and directories, and not the apparent size of sparse files.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';

/** Occupied bytes of each of `dirs` (0 for one that does not exist), measured in one `du` run. */
export function measureDiskBytes(dirs: readonly string[]): Promise<number[]> {
  const present = dirs.filter((d) => fs.existsSync(d));
  if (present.length === 0) return Promise.resolve(dirs.map(() => 0));
  return new Promise((resolve, reject) => {
    // Exit status 1 only says some file vanished during the walk (a busy workspace): the totals stand.
    execFile('du', ['-s', '-x', '-B1', '--', ...present], { timeout: 60_000, maxBuffer: 1 << 20 }, (err, stdout) => {
      const totals = new Map<string, number>();
      for (const line of stdout.split('\n')) {
        const tab = line.indexOf('\t');
        if (tab > 0) totals.set(line.slice(tab + 1), Number(line.slice(0, tab)));
      }
      if (err && totals.size === 0) {
        reject(err);
        return;
      }
      resolve(dirs.map((d) => totals.get(d) ?? 0));
    });
  });
}
