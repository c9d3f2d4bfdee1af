import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';

/**
 * The on-disk layout of an instance backup (a directory):
 *
 *   manifest.json            written last: its presence marks a complete backup
 *   database/coditect.sqlite an online, consistent copy (VACUUM INTO)   — SQLite
 *   database/coditect.pgdump pg_dump custom format                     — PostgreSQL
 *   blobs/{key}              every object of the blob store (local or S3), by key
 *   blobs.tsv                `key \t size \t sha256` per blob (sorted)
 *   workspaces.tar           {dataDir}/workspaces and {dataDir}/workspace-homes
 *   secrets/*                the generated JWT secret / LLM master key (unless --no-secrets)
 *
 * Every file except the manifest is listed in it with its size and sha256;
 * every blob is listed in blobs.tsv with its own.
 */
export const BACKUP_FORMAT = 'coditect-backup';
export const BACKUP_VERSION = 1;

export interface FileDigest { size: number; sha256: string }

export interface BackupManifest {
  format: typeof BACKUP_FORMAT;
  version: typeof BACKUP_VERSION;
  createdAt: string;
  source: {
    database: 'sqlite' | 'postgres';
    /** The blob store's URL at backup time (file:///… or s3://…). */
    blobStore: string;
    /** The newest applied migration: a restore into an older server version is refused by its own migrator. */
    migration: string | null;
  };
  /** Relative path (POSIX) → digest, for every file of the backup but the manifest. */
  files: Record<string, FileDigest>;
  blobs: { count: number; bytes: number; list: 'blobs.tsv' };
  database: { file: string; format: 'sqlite' | 'pg_dump-custom' };
  workspaces: { file: 'workspaces.tar'; dirs: string[] } | null;
  secrets: string[];
  /** Things that went wrong but did not stop the backup (e.g. a file changed while tar read it). */
  warnings: string[];
}

export const MANIFEST = 'manifest.json';
export const BLOB_LIST = 'blobs.tsv';
export const WORKSPACES_TAR = 'workspaces.tar';
/** Directories of the data dir that hold users' files (the IDE's per-session home holds its state). */
export const WORKSPACE_DIRS = ['workspaces', 'workspace-homes'];

export async function sha256File(file: string): Promise<FileDigest> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 })) {
    hash.update(chunk as Buffer);
    size += (chunk as Buffer).length;
  }
  return { size, sha256: hash.digest('hex') };
}

/** Writes a file durably: temp file, fsync, rename. */
export async function writeFileDurably(file: string, data: string | Buffer, mode = 0o600): Promise<void> {
  const tmp = `${file}.tmp-${process.pid}`;
  const fh = await fs.open(tmp, 'w', mode);
  try {
    await fh.writeFile(data);
    await fh.sync();
  } finally {
    await fh.close();
  }
  await fs.rename(tmp, file);
}

export async function fsyncFile(file: string): Promise<void> {
  const fh = await fs.open(file, 'r');
  try { await fh.sync(); } finally { await fh.close(); }
}

export function parseBlobList(text: string): { key: string; size: number; sha256: string }[] {
  return text.split('\n').filter(Boolean).map((line) => {
    const [key, size, sha256] = line.split('\t');
    if (!key || !size || !sha256 || !/^[0-9a-f]{64}$/.test(sha256)) throw new Error(`${BLOB_LIST}: malformed line ${JSON.stringify(line)}`);
    return { key, size: Number(size), sha256 };
  });
}

export async function readManifest(dir: string): Promise<BackupManifest> {
  let text: string;
  try {
    text = await fs.readFile(path.join(dir, MANIFEST), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new OpsError(`${dir} is not a complete Coditect backup (no ${MANIFEST})`);
    }
    throw err;
  }
  const m = JSON.parse(text) as BackupManifest;
  if (m.format !== BACKUP_FORMAT) throw new OpsError(`${dir}/${MANIFEST} is not a Coditect backup manifest`);
  if (m.version !== BACKUP_VERSION) throw new OpsError(`unsupported backup version ${m.version} (this build reads ${BACKUP_VERSION})`);
  return m;
}

/** A failure the operator can act on: printed without a stack trace. */
export class OpsError extends Error {}

/** Runs a command; rejects with its stderr unless the exit code is allowed. Never puts secrets in argv. */
export function run(
  cmd: string, args: string[], options: { env?: NodeJS.ProcessEnv; okCodes?: number[] } = {},
): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env: options.env ?? process.env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString('utf8'); });
    child.on('error', (err) => reject(new OpsError(`cannot run ${cmd}: ${err.message}`)));
    child.on('close', (code) => {
      if ((options.okCodes ?? [0]).includes(code ?? -1)) resolve({ code: code ?? 0, stderr });
      else reject(new OpsError(`${path.basename(cmd)} exited with ${code}: ${stderr.trim()}`));
    });
  });
}
