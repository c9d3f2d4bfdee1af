import fs from 'node:fs';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, PostgresDialect, SqliteDialect, sql, type Transaction } from 'kysely';
import pg from 'pg';
import type { Config } from '../config/config.js';
import type { Database } from './schema.js';

export type Dialect = 'sqlite' | 'postgres';
export type Tx = Transaction<Database>;

// Timestamps travel as ISO-8601 strings on both engines.
pg.types.setTypeParser(pg.types.builtins.TIMESTAMPTZ, (v) => new Date(v).toISOString());

/**
 * The database handle. Tenant-owned data is reached only through `tenant()`
 * (which, on PostgreSQL, also sets the row-level-security context); the few
 * cross-tenant lookups go through `system()`.
 */
export class Store {
  private constructor(
    readonly db: Kysely<Database>,
    readonly dialect: Dialect,
  ) {}

  static open(database: Config['database']): Store {
    if (database.kind === 'postgres') {
      const pool = new pg.Pool({ connectionString: database.url, max: database.poolSize });
      // An idle client's error (e.g. the server restarting) must not crash the process.
      pool.on('error', () => {});
      return new Store(new Kysely<Database>({ dialect: new PostgresDialect({ pool }) }), 'postgres');
    }
    if (database.file !== ':memory:') fs.mkdirSync(path.dirname(database.file), { recursive: true });
    const conn = new SQLite(database.file, { timeout: 5000 });
    conn.pragma('journal_mode = WAL');
    // NORMAL in WAL mode survives a process crash (only a power loss can drop the last commits).
    conn.pragma('synchronous = NORMAL');
    conn.pragma('foreign_keys = ON');
    return new Store(new Kysely<Database>({ dialect: new SqliteDialect({ database: conn }) }), 'sqlite');
  }

  /** Runs `fn` in a transaction scoped to one tenant. */
  tenant<T>(tenantId: string, fn: (tx: Tx) => Promise<T>): Promise<T> {
    return this.db.transaction().execute(async (tx) => {
      if (this.dialect === 'postgres') {
        await sql`select set_config('app.tenant_id', ${tenantId}, true)`.execute(tx);
      }
      return fn(tx);
    });
  }

  /** Runs `fn` in a transaction allowed to cross tenants (sign-in lookup, registration). */
  system<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
    return this.db.transaction().execute(async (tx) => {
      if (this.dialect === 'postgres') await sql`select set_config('app.rls_bypass', 'on', true)`.execute(tx);
      return fn(tx);
    });
  }

  /** Throws unless the database answers a trivial query. */
  async ping(): Promise<void> {
    await sql`select 1`.execute(this.db);
  }

  async close(): Promise<void> {
    await this.db.destroy();
  }
}

/** Booleans are stored as 0/1 on SQLite and boolean on PostgreSQL; write numbers to both. */
export const bool = (v: boolean): number => (v ? 1 : 0);
/** JSON is text on SQLite and jsonb on PostgreSQL; write strings to both. */
export const json = (v: unknown): string => JSON.stringify(v);
export const readJson = <T>(v: string | object): T => (typeof v === 'string' ? JSON.parse(v) : v) as T;
export const readBool = (v: number | boolean): boolean => Boolean(v);
