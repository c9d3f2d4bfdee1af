import pg from 'pg';
import type { PostgresPool, PostgresPoolClient } from 'kysely';

/**
 * The PostgreSQL connection (not the statement) failed: refused, reset,
 * terminated, or timed out. Only the driver boundary below can tell this from
 * any other ECONNREFUSED, so it wraps such errors in this type.
 */
export class DatabaseUnreachable extends Error {
  constructor(cause: unknown) {
    super(`database unreachable: ${(cause as Error)?.message ?? String(cause)}`, { cause });
    this.name = 'DatabaseUnreachable';
  }
}

/** Timeouts that turn a lost database into a fast error instead of a wait. */
export interface PgTimeouts {
  /** Connecting, and waiting for a free pool slot. */
  connectTimeoutMs: number;
  /** Server-side statement timeout; the client gives up one second later. 0: none. */
  queryTimeoutMs: number;
}

/** True for errors of the pg driver where the connection failed rather than the statement. */
function isConnectionLoss(err: unknown): boolean {
  if (err instanceof pg.DatabaseError) return false; // the server answered, with a SQLSTATE
  const { code, message } = (err ?? {}) as { code?: unknown; message?: unknown };
  if (typeof code === 'string' && /^E[A-Z]+$/.test(code)) return true; // ECONNREFUSED, ECONNRESET, EPIPE, ETIMEDOUT…
  return typeof message === 'string'
    && /connection terminated|timeout|not queryable|connection closed|connection error/i.test(message);
}

/**
 * A pg pool for Kysely whose connection failures arrive as DatabaseUnreachable,
 * and whose connections that failed (or timed out mid-query) are discarded
 * instead of going back to the pool.
 */
export function openPgPool(url: string, max: number, t: PgTimeouts): { pool: pg.Pool; forKysely: PostgresPool } {
  const pool = new pg.Pool({
    connectionString: url,
    max,
    connectionTimeoutMillis: t.connectTimeoutMs,
    keepAlive: true,
    ...(t.queryTimeoutMs > 0 ? { statement_timeout: t.queryTimeoutMs, query_timeout: t.queryTimeoutMs + 1000 } : {}),
  });
  // An idle client's error (e.g. the server restarting) must not crash the process.
  pool.on('error', () => {});
  const forKysely: PostgresPool = {
    async connect(): Promise<PostgresPoolClient> {
      const client = await pool.connect().catch((err: unknown) => { throw new DatabaseUnreachable(err); });
      let broken = false;
      // pg emits a connection lost between two queries as an 'error' event on the client; the
      // pool listens only while it is idle, and an unheard 'error' would end the process.
      const onError = () => { broken = true; };
      client.on('error', onError);
      return {
        query: ((text: string, params: unknown[]) => client.query(text, params).catch((err: unknown) => {
          if (!isConnectionLoss(err)) throw err;
          broken = true;
          throw new DatabaseUnreachable(err);
        })) as unknown as PostgresPoolClient['query'],
        release: (discard?: boolean) => {
          client.removeListener('error', onError);
          client.release(broken || discard === true ? true : undefined);
        },
      } as PostgresPoolClient;
    },
    end: () => pool.end(),
  };
  return { pool, forKysely };
}
