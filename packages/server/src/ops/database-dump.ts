import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import pg from 'pg';
import { findPostgresBin } from '../devtools/postgres-cluster.js';
import { fsyncFile, OpsError, run } from './backup-format.js';

/**
 * Database halves of backup and restore.
 *
 * SQLite: `VACUUM INTO` — one read transaction, so the copy is a consistent
 * point in time even while the server writes (WAL mode: writers are not
 * blocked), and unlike the page-by-page backup API it never restarts when the
 * source changes underneath.
 *
 * PostgreSQL: `pg_dump --format=custom` / `pg_restore` from the installed
 * binaries. The app's role is an ordinary one and every tenant table has
 * FORCE ROW LEVEL SECURITY, so pg_dump as that role would either fail ("query
 * would be affected by row-level security") or see no rows. We dump with
 * `--enable-row-security` and `app.rls_bypass=on` in the session (the
 * policies' own escape hatch, the one `Store.system()` uses), which reads
 * every tenant's rows without needing a superuser. A superuser / BYPASSRLS
 * URL given with `--database-url` works as well.
 */

const MIGRATION_TABLE = 'kysely_migration';

/** The directory of pg_dump/pg_restore: newest /usr/lib/postgresql/N/bin, else $PATH. */
function pgTool(name: 'pg_dump' | 'pg_restore'): string {
  const bin = findPostgresBin();
  return bin && fs.existsSync(path.join(bin, name)) ? path.join(bin, name) : name;
}

/**
 * libpq settings for a URL, the password in PGPASSWORD (never in argv, where
 * `ps` would show it), and the RLS bypass in PGOPTIONS.
 */
function pgEnv(url: string): { env: NodeJS.ProcessEnv; dbname: string } {
  const u = new URL(url);
  const password = decodeURIComponent(u.password);
  u.password = '';
  return {
    env: { ...process.env, PGPASSWORD: password || process.env.PGPASSWORD, PGOPTIONS: '-c app.rls_bypass=on',
      PGAPPNAME: 'coditect-backup' },
    dbname: u.toString(),
  };
}

export async function latestMigration(database: { kind: 'sqlite'; file: string } | { kind: 'postgres'; url: string }): Promise<string | null> {
  if (database.kind === 'sqlite') {
    const db = new SQLite(database.file, { readonly: true, fileMustExist: true });
    try {
      const row = db.prepare(`select max(name) as name from ${MIGRATION_TABLE}`).get() as { name: string | null } | undefined;
      return row?.name ?? null;
    } catch {
      return null;
    } finally {
      db.close();
    }
  }
  const client = new pg.Client({ connectionString: database.url });
  await client.connect();
  try {
    const r = await client.query<{ name: string | null }>(`select max(name) as name from ${MIGRATION_TABLE}`);
    return r.rows[0]?.name ?? null;
  } catch {
    return null;
  } finally {
    await client.end();
  }
}

export async function dumpSqlite(file: string, out: string): Promise<void> {
  if (!fs.existsSync(file)) throw new OpsError(`SQLite database ${file} does not exist`);
  const db = new SQLite(file, { fileMustExist: true, timeout: 10_000 });
  try {
    db.prepare('VACUUM INTO ?').run(out);
  } finally {
    db.close();
  }
  const copy = new SQLite(out, { readonly: true });
  try {
    const check = copy.pragma('quick_check', { simple: true });
    if (check !== 'ok') throw new OpsError(`the SQLite copy failed its integrity check: ${String(check)}`);
  } finally {
    copy.close();
  }
  await fsyncFile(out);
}

export async function dumpPostgres(url: string, out: string): Promise<void> {
  const { env, dbname } = pgEnv(url);
  await run(pgTool('pg_dump'), ['--format=custom', '--enable-row-security', '--no-password', `--file=${out}`, `--dbname=${dbname}`], { env });
  await fsyncFile(out);
}

/** Tables of the target database (a non-empty target is refused without --force). */
export async function existingTables(database: { kind: 'sqlite'; file: string } | { kind: 'postgres'; url: string }): Promise<number> {
  if (database.kind === 'sqlite') {
    if (!fs.existsSync(database.file)) return 0;
    const db = new SQLite(database.file, { readonly: true });
    try {
      return (db.prepare(`select count(*) as n from sqlite_master where type = 'table' and name not like 'sqlite_%'`).get() as { n: number }).n;
    } finally {
      db.close();
    }
  }
  const client = new pg.Client({ connectionString: database.url });
  try {
    await client.connect();
  } catch (err) {
    throw new OpsError(`cannot connect to the target database: ${(err as Error).message}. `
      + 'Create it first, owned by the app role: create database NAME owner ROLE');
  }
  try {
    const r = await client.query<{ n: string }>(`select count(*) as n from pg_tables where schemaname = current_schema()`);
    return Number(r.rows[0]!.n);
  } finally {
    await client.end();
  }
}

/**
 * Replaces the SQLite file with the backup's copy: written beside it, fsynced,
 * renamed over it. A stale `-wal`/`-shm` of the old database is removed first —
 * left next to the new file it would be replayed into it.
 */
export async function restoreSqlite(copy: string, file: string): Promise<void> {
  await fsp.mkdir(path.dirname(file), { recursive: true });
  const tmp = `${file}.restoring-${process.pid}`;
  await fsp.copyFile(copy, tmp);
  await fsyncFile(tmp);
  await Promise.all(['-wal', '-shm', '-journal'].map((s) => fsp.rm(`${file}${s}`, { force: true })));
  await fsp.rename(tmp, file);
}

/**
 * pg_restore into an existing database as the connecting role: objects are
 * created owned by that role (`--no-owner`), grants of the source are not
 * replayed (`--no-privileges`), all in one transaction. Table data loads
 * before `ENABLE ROW LEVEL SECURITY` is replayed (pg_dump puts it in the
 * post-data section), so COPY is not blocked by the policies.
 */
export async function restorePostgres(dump: string, url: string, options: { clean: boolean }): Promise<void> {
  const { env, dbname } = pgEnv(url);
  const args = ['--no-owner', '--no-privileges', '--single-transaction', '--exit-on-error', '--no-password', `--dbname=${dbname}`];
  if (options.clean) args.push('--clean', '--if-exists');
  await run(pgTool('pg_restore'), [...args, dump], { env });
}
