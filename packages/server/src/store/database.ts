import fs from 'node:fs';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, PostgresDialect, SqliteDialect, sql } from 'kysely';
import pg from 'pg';
import type { Config } from '../config/config.js';
import type { Database } from './schema.js';

export type Dialect = 'sqlite' | 'postgres';
/** A handle inside a transaction (repositories take this, never the pool). */
export type Tx = Kysely<Database>;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

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
    /** The PostgreSQL pool, for metrics; undefined on SQLite. */
    readonly pool?: pg.Pool,
  ) {}

  static open(database: Config['database']): Store {
    if (database.kind === 'postgres') {
      const pool = new pg.Pool({ connectionString: database.url, max: database.poolSize });
      // An idle client's error (e.g. the server restarting) must not crash the process.
      pool.on('error', () => {});
      return new Store(new Kysely<Database>({ dialect: new PostgresDialect({ pool }) }), 'postgres', pool);
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
    if (this.dialect === 'sqlite') return this.db.transaction().execute(fn);
    // The id is inlined so BEGIN and the RLS setting travel in one round trip
    // (a parameterless query uses the simple protocol, which allows two statements).
    if (!UUID.test(tenantId)) return Promise.reject(new Error('tenant id must be a UUID'));
    return this.pgTransaction(`begin; select set_config('app.tenant_id', '${tenantId}', true)`, fn);
  }

  private pgTransaction<T>(begin: string, fn: (tx: Tx) => Promise<T>): Promise<T> {
    return this.db.connection().execute(async (conn) => {
      await sql.raw(begin).execute(conn);
      try {
        const result = await fn(conn);
        await sql.raw('commit').execute(conn);
        return result;
      } catch (err) {
        await sql.raw('rollback').execute(conn).catch(() => {});
        throw err;
      }
    });
  }

  /** Runs `fn` in a transaction allowed to cross tenants (sign-in lookup, registration). */
  system<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
    if (this.dialect === 'sqlite') return this.db.transaction().execute(fn);
    return this.pgTransaction(`begin; select set_config('app.rls_bypass', 'on', true)`, fn);
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
