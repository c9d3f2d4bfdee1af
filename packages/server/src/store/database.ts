import fs from 'node:fs';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, PostgresDialect, SqliteDialect, sql } from 'kysely';
import pg from 'pg';
import type { Config } from '../config/config.js';
import { openPgPool, type PgTimeouts } from './database-unreachable.js';
import type { Database } from './schema.js';

export type Dialect = 'sqlite' | 'postgres';
/** A handle inside a transaction (repositories take this, never the pool). */
export type Tx = Kysely<Database>;

/** For tools (tests, ops): connect within 5 s, no statement timeout, wait 5 s for a SQLite lock. */
const DEFAULT_LIMITS: Config['databaseLimits'] = { connectTimeoutMs: 5000, queryTimeoutMs: 0, sqliteBusyTimeoutMs: 5000 };

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

  /**
   * Opens the database. `limits` bound how long a request waits on a lost
   * (PostgreSQL) or locked (SQLite) database before it fails with a coded 503;
   * the defaults suit tools, the server passes its configured ones.
   */
  static open(database: Config['database'], limits: Config['databaseLimits'] = DEFAULT_LIMITS): Store {
    if (database.kind === 'postgres') {
      const timeouts: PgTimeouts = { connectTimeoutMs: limits.connectTimeoutMs, queryTimeoutMs: limits.queryTimeoutMs };
      const { pool, forKysely } = openPgPool(database.url, database.poolSize, timeouts);
      return new Store(new Kysely<Database>({ dialect: new PostgresDialect({ pool: forKysely }) }), 'postgres', pool);
    }
    if (database.file !== ':memory:') fs.mkdirSync(path.dirname(database.file), { recursive: true });
    // better-sqlite3 waits for a lock synchronously (the whole event loop stops), so this stays short.
    const conn = new SQLite(database.file, { timeout: limits.sqliteBusyTimeoutMs });
    conn.pragma('journal_mode = WAL');
    // NORMAL in WAL mode survives a process crash (only a power loss can drop the last commits).
    conn.pragma('synchronous = NORMAL');
    conn.pragma('foreign_keys = ON');
    return new Store(new Kysely<Database>({ dialect: new SqliteDialect({ database: withStatementCache(conn) }) }), 'sqlite');
  }

  /** Runs `fn` in a transaction scoped to one tenant. */
  tenant<T>(tenantId: string, fn: (tx: Tx) => Promise<T>): Promise<T> {
    if (this.dialect === 'sqlite') return this.transaction('begin', fn);
    // The id is inlined so BEGIN and the RLS setting travel in one round trip
    // (a parameterless query uses the simple protocol, which allows two statements).
    if (!UUID.test(tenantId)) return Promise.reject(new Error('tenant id must be a UUID'));
    return this.transaction(`begin; select set_config('app.tenant_id', '${tenantId}', true)`, fn);
  }

  /**
   * BEGIN, `fn`, COMMIT; on failure a ROLLBACK whose own failure is ignored, so
   * the caller sees the first error. (SQLite rolls back by itself on
   * SQLITE_FULL; Kysely's transaction() would then throw "no transaction is
   * active" instead of the disk-full error.)
   */
  private transaction<T>(begin: string, fn: (tx: Tx) => Promise<T>): Promise<T> {
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

  /**
   * For one-statement reads: on SQLite a single statement is atomic by itself,
   * so the BEGIN/COMMIT pair is skipped; PostgreSQL still needs the transaction
   * that carries the row-level-security context.
   */
  read<T>(tenantId: string, fn: (db: Tx) => Promise<T>): Promise<T> {
    return this.dialect === 'sqlite' ? fn(this.db) : this.tenant(tenantId, fn);
  }

  /** Runs `fn` in a transaction allowed to cross tenants (sign-in lookup, registration). */
  system<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
    if (this.dialect === 'sqlite') return this.transaction('begin', fn);
    return this.transaction(`begin; select set_config('app.rls_bypass', 'on', true)`, fn);
  }

  /** Throws unless the database answers a trivial query. */
  async ping(): Promise<void> {
    await sql`select 1`.execute(this.db);
  }

  async close(): Promise<void> {
    await this.db.destroy();
  }
}

/**
 * Kysely prepares every query anew; our queries are parameterised, so a small
 * cache of prepared statements by SQL text removes that cost from every request.
 */
function withStatementCache(conn: SQLite.Database, limit = 500) {
  const cache = new Map<string, SQLite.Statement>();
  return {
    close: () => conn.close(),
    prepare(text: string) {
      let stmt = cache.get(text);
      if (!stmt) {
        stmt = conn.prepare(text);
        if (cache.size >= limit) cache.clear();
        cache.set(text, stmt);
      }
      return stmt;
    },
  };
}

/** Booleans are stored as 0/1 on SQLite and boolean on PostgreSQL; write numbers to both. */
export const bool = (v: boolean): number => (v ? 1 : 0);
/** JSON is text on SQLite and jsonb on PostgreSQL; write strings to both. */
export const json = (v: unknown): string => JSON.stringify(v);
export const readJson = <T>(v: string | object): T => (typeof v === 'string' ? JSON.parse(v) : v) as T;
export const readBool = (v: number | boolean): boolean => Boolean(v);
