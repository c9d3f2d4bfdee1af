import { sql } from 'kysely';
import type { RateLimit } from '../config/config.js';
import { AppError } from '../http/app-error.js';
import type { Store } from '../store/database.js';

/** Counts hits per key in fixed windows; throws 429 `rate_limited` (with Retry-After) past the limit. */
export interface RateLimiter {
  consume(key: string, limit: RateLimit): Promise<void>;
  close(): void;
}

function limited(retryAfterMs: number): AppError {
  const retryAfter = Math.max(1, Math.ceil(retryAfterMs / 1000));
  return new AppError('rate_limited', `Too many attempts; try again in ${retryAfter} s`, {
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

  close(): void {
    clearInterval(this.sweeper);
  }
}
