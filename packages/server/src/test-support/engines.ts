import { describe, inject, it } from 'vitest';
import type { Engine } from './test-server.js';

/** Engines a suite runs on. PostgreSQL is required under CI=true. */
export function engines(): Engine[] {
  return inject('postgres') ? ['sqlite', 'postgres'] : ['sqlite'];
}

/**
 * Runs `suite` once per storage engine. When PostgreSQL is missing the skip is
 * printed with its reason, and under CI=true it is a failing test instead.
 */
export function describeEachEngine(name: string, suite: (engine: Engine) => void): void {
  for (const engine of ['sqlite', 'postgres'] as const) {
    if (engine === 'postgres' && !inject('postgres')) {
      const reason = inject('postgresSkipReason');
      if (process.env.CI === 'true') {
        describe(`${name} [postgres]`, () => {
          it('requires PostgreSQL under CI=true', () => {
            throw new Error(`PostgreSQL is required in CI: ${reason}`);
          });
        });
      } else {
        describe.skip(`${name} [postgres] — skipped: ${reason}`, () => { it('skipped', () => {}); });
      }
      continue;
    }
    describe(`${name} [${engine}]`, () => suite(engine));
  }
}
