import { randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Config } from '../config/config.js';
import type { BlobStore } from '../storage/blob-store.js';
import { openBlobStore } from '../storage/open-blob-store.js';
import { forEachLimit } from '../storage/workspace-scan.js';
import {
  BLOB_LIST, OpsError, parseBlobList, readManifest, run, sha256File, WORKSPACE_DIRS, type BackupManifest,
} from './backup-format.js';
import { existingTables, restorePostgres, restoreSqlite } from './database-dump.js';

export interface RestoreOptions {
  from: string;
  /** Restore over a non-empty target (existing tables, workspaces, blobs or secrets). */
  force?: boolean;
  /** Overrides the configured database URL for pg_restore. */
  databaseUrl?: string;
  /** Do not write the backup's secrets into the data dir (they are then expected in the environment). */
  restoreSecrets?: boolean;
  log?: (line: string) => void;
}

export interface RestoreResult { manifest: BackupManifest; durationMs: number; blobsWritten: number }

/**
 * Checks every file of a backup against its manifest, and every blob against
 * blobs.tsv — before anything of the target is touched.
 */
export async function verifyBackup(dir: string, log: (line: string) => void = () => {}): Promise<BackupManifest> {
  const manifest = await readManifest(dir);
  const bad: string[] = [];
  for (const [rel, want] of Object.entries(manifest.files)) {
    const got = await sha256File(path.join(dir, rel)).catch(() => undefined);
    if (!got) bad.push(`${rel}: missing`);
    else if (got.sha256 !== want.sha256 || got.size !== want.size) bad.push(`${rel}: checksum mismatch`);
  }
  if (!manifest.files[BLOB_LIST]) bad.push(`${BLOB_LIST}: not listed in the manifest`);
  const blobs = bad.length ? [] : parseBlobList(await fs.readFile(path.join(dir, BLOB_LIST), 'utf8'));
  if (!bad.length && blobs.length !== manifest.blobs.count) bad.push(`${BLOB_LIST}: ${blobs.length} entries, manifest says ${manifest.blobs.count}`);
  await forEachLimit(blobs, 4, async (b) => {
    const got = await sha256File(path.join(dir, 'blobs', b.key)).catch(() => undefined);
    if (!got) bad.push(`blobs/${b.key}: missing`);
    else if (got.sha256 !== b.sha256 || got.size !== b.size) bad.push(`blobs/${b.key}: checksum mismatch`);
  });
  if (bad.length) {
    throw new OpsError(`the backup in ${dir} is damaged; nothing was restored:\n  ${bad.slice(0, 20).join('\n  ')}${bad.length > 20 ? `\n  … ${bad.length - 20} more` : ''}`);
  }
  log(`verified: ${Object.keys(manifest.files).length} files and ${blobs.length} blobs match their checksums`);
  return manifest;
}

async function nonEmpty(dir: string): Promise<boolean> {
  return fs.readdir(dir).then((e) => e.length > 0, () => false);
}

async function storeIsEmpty(store: BlobStore): Promise<boolean> {
  for await (const _ of store.list('')) return false;
  return true;
}

/**
 * Restores a backup into the configured instance (data dir, database, blob
 * store). The server must not be running on the target. Refuses a non-empty
 * target unless `force`. Order: blobs, workspaces, secrets, database last — a
 * restore interrupted half-way leaves no database that points at missing data.
 */
export async function restoreInstance(config: Config, options: RestoreOptions): Promise<RestoreResult> {
  const started = Date.now();
  const log = options.log ?? (() => {});
  const from = path.resolve(options.from);
  const manifest = await verifyBackup(from, log);

  const db = config.database.kind === 'postgres'
    ? { kind: 'postgres' as const, url: options.databaseUrl ?? config.database.url } : config.database;
  const wantEngine = manifest.database.format === 'sqlite' ? 'sqlite' : 'postgres';
  if (db.kind !== wantEngine) {
    throw new OpsError(`the backup holds a ${wantEngine} database but the target is configured for ${db.kind} (CODITECT_DATABASE_URL)`);
  }
  if (db.kind === 'sqlite' && db.file === ':memory:') throw new OpsError('cannot restore into an in-memory database');

  const store = openBlobStore(config.storage.blobs);
  try {
    // The target must be empty unless forced.
    const occupied: string[] = [];
    const tables = await existingTables(db);
    if (tables > 0) occupied.push(`the database has ${tables} tables`);
    for (const d of WORKSPACE_DIRS) if (await nonEmpty(path.join(config.dataDir, d))) occupied.push(`${path.join(config.dataDir, d)} is not empty`);
    if (!(await storeIsEmpty(store))) occupied.push(`the blob store ${store.url} is not empty`);
    const secretsDir = path.join(config.dataDir, 'secrets');
    const restoreSecrets = options.restoreSecrets !== false && manifest.secrets.length > 0;
    if (restoreSecrets) {
      for (const s of manifest.secrets) if (await fs.access(path.join(secretsDir, s)).then(() => true, () => false)) occupied.push(`${path.join(secretsDir, s)} exists`);
    }
    if (occupied.length && !options.force) {
      throw new OpsError(`the target is not empty (${occupied.join('; ')}): restore into a fresh data dir and database, or pass --force to overwrite`);
    }
    if (occupied.length) log(`--force: overwriting (${occupied.join('; ')})`);

    // 1. Blobs (content-addressed: an existing key already holds the same bytes).
    const blobs = parseBlobList(await fs.readFile(path.join(from, BLOB_LIST), 'utf8'));
    let written = 0;
    await forEachLimit(blobs, 8, async (b) => {
      if (await store.has(b.key)) return;
      await store.putFile(b.key, path.join(from, 'blobs', b.key), b.size);
      written++;
    });
    log(`blobs: ${written} written to ${store.url} (${blobs.length - written} already there)`);

    // 2. Workspaces: extracted beside the data dir's folders, then swapped in.
    await fs.mkdir(config.dataDir, { recursive: true });
    if (manifest.workspaces) {
      const staging = path.join(config.dataDir, 'tmp', `restore-${randomUUID()}`);
      await fs.mkdir(staging, { recursive: true });
      try {
        await run('tar', ['--extract', '--file', path.join(from, manifest.workspaces.file), '--directory', staging,
          '--preserve-permissions', '--numeric-owner', '--no-overwrite-dir']);
        for (const d of manifest.workspaces.dirs) {
          const target = path.join(config.dataDir, d);
          const old = path.join(staging, `${d}.old`);
          await fs.rename(target, old).catch((err: NodeJS.ErrnoException) => { if (err.code !== 'ENOENT') throw err; });
          await fs.rename(path.join(staging, d), target);
        }
      } finally {
        await fs.rm(staging, { recursive: true, force: true });
      }
      log(`workspaces: ${manifest.workspaces.dirs.join(', ')} restored`);
    }

    // 3. Secrets (mode 0600 in a 0700 folder, like the server creates them).
    if (restoreSecrets) {
      await fs.mkdir(secretsDir, { recursive: true, mode: 0o700 });
      for (const s of manifest.secrets) {
        await fs.copyFile(path.join(from, 'secrets', s), path.join(secretsDir, s));
        await fs.chmod(path.join(secretsDir, s), 0o600);
      }
      log(`secrets: ${manifest.secrets.join(', ')}`);
    }

    // 4. Database.
    const dump = path.join(from, manifest.database.file);
    if (db.kind === 'sqlite') await restoreSqlite(dump, db.file);
    else await restorePostgres(dump, db.url, { clean: tables > 0 });
    log(`database: restored (${db.kind})`);
    return { manifest, durationMs: Date.now() - started, blobsWritten: written };
  } finally {
    await store.close();
  }
}
