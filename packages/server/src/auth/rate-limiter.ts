import { AppError } from '../http/app-error.js';
import type { RateLimit } from '../config/config.js';

/**
 * Fixed-window counters in memory. One process; a shared store (issue:
 * multi-node) can replace it behind the same `consume` call.
 */
export class RateLimiter {
  private readonly windows = new Map<string, { count: number; resetAt: number }>();
  private readonly sweeper: NodeJS.Timeout;

  constructor(private readonly now: () => number = Date.now) {
    this.sweeper = setInterval(() => this.sweep(), 60_000);
    this.sweeper.unref();
  }

  /** Counts one hit on `key`; throws 429 `rate_limited` with Retry-After when over `limit`. */
  consume(key: string, limit: RateLimit): void {
    const now = this.now();
    let w = this.windows.get(key);
    if (!w || w.resetAt <= now) {
      w = { count: 0, resetAt: now + limit.windowMs };
      this.windows.set(key, w);
    }
    w.count += 1;
    if (w.count > limit.max) {
      const retryAfter = Math.max(1, Math.ceil((w.resetAt - now) / 1000));
      throw new AppError('rate_limited', `Too many attempts; try again in ${retryAfter} s`, {
        details: { retryAfterSeconds: retryAfter },
        headers: { 'retry-after': String(retryAfter) },
      });
    }
  }

  private sweep(): void {
    const now = this.now();
    for (const [key, w] of this.windows) if (w.resetAt <= now) this.windows.delete(key);
  }

  close(): void {
    clearInterval(this.sweeper);
  }
}
