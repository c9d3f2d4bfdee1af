import { sql } from 'kysely';
import type { RateLimit } from '../config/config.js';
import { AppError } from '../http/app-error.js';
import type { Store } from '../store/database.js';

/**
 * Counts hits per key in fixed windows; throws 429 `rate_limited` (with
 * Retry-After) past the limit. `consume` counts and checks in one step;
 * `check` + `record` split them, so only failures count (sign-in).
 */
export interface RateLimiter {
  consume(key: string, limit: RateLimit): Promise<void>;
  /** Throws 429 when the window already holds `limit.max` hits (counts nothing). */
  check(key: string, limit: RateLimit): Promise<void>;
  /** Counts one hit without checking. */
  record(key: string, limit: RateLimit): Promise<void>;
  /** Forgets a key (e.g. a pair's failures after a successful sign-in). */
  clear(key: string): Promise<void>;
  close(): void;
}

export function limited(retryAfterMs: number): AppError {
  const retryAfter = Math.max(1, Math.ceil(retryAfterMs / 1000));
  return new AppError('rate_limited', `Too many requests; try again in ${retryAfter} s`, {
    details: { retryAfterSeconds: retryAfter },
    headers: { 'retry-after': String(retryAfter) },
  });
}

/** One process's counters, in memory: the embedded default (one node). */
export class MemoryRateLimiter implements RateLimiter {
  private readonly windows = new Map<string, { count: number; resetAt: number }>();
  private readonly sweeper: NodeJS.Timeout;

  constructor(private readonly now: () => number = Date.now) {
    this.sweeper = setInterval(() => this.sweep(), 60_000);
    this.sweeper.unref();
  }

  async consume(key: string, limit: RateLimit): Promise<void> {
    const now = this.now();
    let w = this.windows.get(key);
    if (!w || w.resetAt <= now) {
      w = { count: 0, resetAt: now + limit.windowMs };
      this.windows.set(key, w);
    }
    w.count += 1;
    if (w.count > limit.max) throw limited(w.resetAt - now);
  }

  async check(key: string, limit: RateLimit): Promise<void> {
    const now = this.now();
    const w = this.windows.get(key);
    if (w && w.resetAt > now && w.count >= limit.max) throw limited(w.resetAt - now);
  }

  async record(key: string, limit: RateLimit): Promise<void> {
    await this.consume(key, { ...limit, max: Number.MAX_SAFE_INTEGER });
  }

  async clear(key: string): Promise<void> {
    this.windows.delete(key);
  }

  private sweep(): void {
    const now = this.now();
    for (const [key, w] of this.windows) if (w.resetAt <= now) this.windows.delete(key);
  }

  close(): void {
    clearInterval(this.sweeper);
  }
}

/**
 * Counters in the database, shared by every node behind the load balancer, so a
 * client cannot multiply its budget by spreading requests. One upsert per hit.
 */
export class DatabaseRateLimiter implements RateLimiter {
  private readonly sweeper: NodeJS.Timeout;

  constructor(private readonly store: Store, private readonly now: () => number = Date.now) {
    this.sweeper = setInterval(() => {
      const at = new Date(this.now()).toISOString();
      void this.store.db.deleteFrom('rate_limits').where('reset_at', '<=', at).execute().catch(() => {});
    }, 60_000);
    this.sweeper.unref();
  }

  async consume(key: string, limit: RateLimit): Promise<void> {
    const now = this.now();
    const at = new Date(now).toISOString();
    const resetAt = new Date(now + limit.windowMs).toISOString();
    // A window that has ended starts again at 1; otherwise the count goes up by one.
    const row = await this.store.db
      .insertInto('rate_limits')
      .values({ key, count: 1, reset_at: resetAt })
      .onConflict((oc) => oc.column('key').doUpdateSet({
        count: sql`case when rate_limits.reset_at <= ${at} then 1 else rate_limits.count + 1 end`,
        reset_at: sql`case when rate_limits.reset_at <= ${at} then excluded.reset_at else rate_limits.reset_at end`,
      }))
      .returning(['count', 'reset_at'])
      .executeTakeFirstOrThrow();
    if (Number(row.count) > limit.max) throw limited(Date.parse(row.reset_at) - now);
  }

  async check(key: string, limit: RateLimit): Promise<void> {
    const now = this.now();
    const row = await this.store.db.selectFrom('rate_limits').select(['count', 'reset_at'])
      .where('key', '=', key).executeTakeFirst();
    if (row && Date.parse(row.reset_at) > now && Number(row.count) >= limit.max) throw limited(Date.parse(row.reset_at) - now);
  }

  async record(key: string, limit: RateLimit): Promise<void> {
    await this.consume(key, { ...limit, max: Number.MAX_SAFE_INTEGER });
  }

  async clear(key: string): Promise<void> {
    await this.store.db.deleteFrom('rate_limits').where('key', '=', key).execute();
  }

  close(): void {
    clearInterval(this.sweeper);
  }
}
