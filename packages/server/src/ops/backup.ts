import fs from 'node:fs/promises';
import path from 'node:path';
import type { Config } from '../config/config.js';
import { openBlobStore } from '../storage/open-blob-store.js';
import { forEachLimit } from '../storage/workspace-scan.js';
import {
  BACKUP_FORMAT, BACKUP_VERSION, BLOB_LIST, MANIFEST, OpsError, WORKSPACE_DIRS, WORKSPACES_TAR,
  readManifest, parseBlobList, run, sha256File, writeFileDurably, type BackupManifest, type FileDigest,
} from './backup-format.js';
import { dumpPostgres, dumpSqlite, latestMigration } from './database-dump.js';

export interface BackupOptions {
  /** An empty or missing directory. */
  to: string;
  /** A previous backup: blobs it already holds (same key and size) are hard-linked instead of copied. */
  linkDest?: string;
  /** Leave the generated JWT secret and LLM master key out (then supply them via the environment on restore). */
  includeSecrets?: boolean;
  /** Overrides the database URL used for pg_dump (e.g. a superuser); defaults to the configured one. */
  databaseUrl?: string;
  log?: (line: string) => void;
}

export interface BackupResult { dir: string; manifest: BackupManifest; durationMs: number }

const CONTENT_ADDRESSED = /(?:^|\/)([0-9a-f]{64})$/;

async function isEmptyDir(dir: string): Promise<boolean> {
  try {
    return (await fs.readdir(dir)).length === 0;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return true;
    throw err;
  }
}

async function exists(p: string): Promise<boolean> {
  return fs.access(p).then(() => true, () => false);
}

/**
 * Backs up a whole instance — database, blobs, workspaces (and the generated
 * secrets) — while the server may be running.
 *
 * Order matters for consistency: the database is copied first, then the
 * blobs. Blobs are immutable and written before the rows that reference them
 * (and never deleted), so every snapshot in the database copy finds its blobs.
 * Workspaces are live POSIX trees edited by IDEs; tar copies each file as it
 * is at the moment it is read (a file changing meanwhile is noted as a
 * warning), which is what a snapshot of a running workspace would see too.
 */
export async function backupInstance(config: Config, options: BackupOptions): Promise<BackupResult> {
  const started = Date.now();
  const log = options.log ?? (() => {});
  const dir = path.resolve(options.to);
  if (!(await isEmptyDir(dir))) throw new OpsError(`${dir} is not empty: back up into a new directory (use --link-dest PREV for an incremental copy of blobs)`);
  const prev = options.linkDest ? path.resolve(options.linkDest) : undefined;
  const prevBlobs = new Map<string, { size: number; sha256: string }>();
  if (prev) {
    await readManifest(prev);
    for (const b of parseBlobList(await fs.readFile(path.join(prev, BLOB_LIST), 'utf8'))) prevBlobs.set(b.key, b);
  }
  if (config.database.kind === 'sqlite' && !(await exists(config.database.file))) {
    throw new OpsError(`no database at ${config.database.file}: is CODITECT_DATA_DIR / CODITECT_DATABASE_URL the instance's?`);
  }
  await fs.mkdir(dir, { recursive: true, mode: 0o700 });
  await fs.chmod(dir, 0o700);
  const files: Record<string, FileDigest> = {};
  const warnings: string[] = [];
  const record = async (rel: string) => { files[rel] = await sha256File(path.join(dir, rel)); };

  // 1. Database.
  await fs.mkdir(path.join(dir, 'database'), { mode: 0o700 });
  const db = config.database;
  const dbSource = db.kind === 'postgres' ? { kind: 'postgres' as const, url: options.databaseUrl ?? db.url } : db;
  const migration = await latestMigration(dbSource);
  let dbFile: string;
  if (dbSource.kind === 'sqlite') {
    dbFile = 'database/coditect.sqlite';
    log(`database: VACUUM INTO ${dbFile}`);
    await dumpSqlite(dbSource.file, path.join(dir, dbFile));
  } else {
    dbFile = 'database/coditect.pgdump';
    log(`database: pg_dump --format=custom → ${dbFile}`);
    await dumpPostgres(dbSource.url, path.join(dir, dbFile));
  }
  await record(dbFile);

  // 2. Blobs (any backend, through the BlobStore interface), after the database.
  const store = openBlobStore(config.storage.blobs);
  const blobs: { key: string; size: number; sha256: string }[] = [];
  let linked = 0;
  try {
    const keys: { key: string; size: number }[] = [];
    for await (const o of store.list('')) keys.push(o);
    log(`blobs: ${keys.length} objects in ${store.url}`);
    await forEachLimit(keys, 8, async ({ key, size }) => {
      const target = path.join(dir, 'blobs', key);
      await fs.mkdir(path.dirname(target), { recursive: true });
      const old = prevBlobs.get(key);
      if (prev && old && old.size === size) {
        try {
          await fs.link(path.join(prev, 'blobs', key), target);
          blobs.push({ key, size, sha256: old.sha256 });
          linked++;
          return;
        } catch (err) {
          if (!['EXDEV', 'ENOENT', 'EPERM', 'EMLINK'].includes((err as NodeJS.ErrnoException).code ?? '')) throw err;
        }
      }
      await store.readToFile(key, target);
      const digest = await sha256File(target);
      const named = CONTENT_ADDRESSED.exec(key)?.[1];
      if (named && named !== digest.sha256) warnings.push(`blob ${key} does not match its name (sha256 ${digest.sha256}): the live store holds a corrupt object`);
      blobs.push({ key, size: digest.size, sha256: digest.sha256 });
    });
  } finally {
    await store.close();
  }
  blobs.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  await writeFileDurably(path.join(dir, BLOB_LIST), blobs.map((b) => `${b.key}\t${b.size}\t${b.sha256}\n`).join(''));
  await record(BLOB_LIST);
  if (prev) log(`blobs: ${linked} hard-linked from ${prev}, ${blobs.length - linked} copied`);

  // 3. Workspaces: one tar of the live trees (owners, modes, symlinks and all).
  const dirs: string[] = [];
  for (const d of WORKSPACE_DIRS) if (await exists(path.join(config.dataDir, d))) dirs.push(d);
  if (dirs.length) {
    log(`workspaces: tar ${dirs.join(' ')}`);
    const r = await run('tar', [
      '--create', '--file', path.join(dir, WORKSPACES_TAR), '--directory', config.dataDir, '--numeric-owner',
      '--exclude=./workspaces/*/.staging', '--exclude=workspaces/*/.staging', '--warning=no-file-ignored',
      ...dirs,
    ], { okCodes: [0, 1] });
    // tar exits 1 when a file changed while it was being read (the IDE is writing): the copy is still usable.
    if (r.code === 1) warnings.push(`tar: some files changed while being read: ${r.stderr.trim().split('\n').slice(0, 5).join('; ')}`);
    await record(WORKSPACES_TAR);
  }

  // 4. Generated secrets: without them a restored instance cannot verify its sessions' tokens or decrypt provider keys.
  const secrets: string[] = [];
  if (options.includeSecrets !== false) {
    const secretsDir = path.join(config.dataDir, 'secrets');
    const names = (await fs.readdir(secretsDir).catch(() => [] as string[])).sort();
    for (const name of names) {
      if (!(await fs.stat(path.join(secretsDir, name))).isFile()) continue;
      await fs.mkdir(path.join(dir, 'secrets'), { recursive: true, mode: 0o700 });
      await fs.copyFile(path.join(secretsDir, name), path.join(dir, 'secrets', name));
      await fs.chmod(path.join(dir, 'secrets', name), 0o600);
      secrets.push(name);
      await record(`secrets/${name}`);
    }
  }

  const manifest: BackupManifest = {
    format: BACKUP_FORMAT, version: BACKUP_VERSION, createdAt: new Date().toISOString(),
    source: { database: db.kind, blobStore: config.storage.blobs.kind === 'local' ? `file://${config.storage.blobs.dir}` : `s3://${config.storage.blobs.bucket}/${config.storage.blobs.prefix}`, migration },
    files,
    blobs: { count: blobs.length, bytes: blobs.reduce((s, b) => s + b.size, 0), list: BLOB_LIST },
    database: { file: dbFile, format: dbSource.kind === 'sqlite' ? 'sqlite' : 'pg_dump-custom' },
    workspaces: dirs.length ? { file: WORKSPACES_TAR, dirs } : null,
    secrets,
    warnings,
  };
  await writeFileDurably(path.join(dir, MANIFEST), `${JSON.stringify(manifest, null, 2)}\n`);
  for (const w of warnings) log(`warning: ${w}`);
  return { dir, manifest, durationMs: Date.now() - started };
}

