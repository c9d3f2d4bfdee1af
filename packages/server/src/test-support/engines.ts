import { describe, inject, it } from 'vitest';
import type { Engine } from './test-server.js';

/** Engines a suite runs on. PostgreSQL is required under CI=true. */
export function engines(): Engine[] {
  return inject('postgres') ? ['sqlite', 'postgres'] : ['sqlite'];
}

/**
 * Defines `suite` for PostgreSQL, or — when its binaries are missing — a skip that
 * prints the reason, which under CI=true is a failing test instead.
 */
function describeOnPostgres(title: string, suite: () => void): void {
  if (inject('postgres')) {
    describe(title, suite);
    return;
  }
  const reason = inject('postgresSkipReason');
  if (process.env.CI === 'true') {
    describe(title, () => {
      it('requires PostgreSQL under CI=true', () => {
        throw new Error(`PostgreSQL is required in CI: ${reason}`);
      });
    });
  } else {
    describe.skip(`${title} — skipped: ${reason}`, () => { it('skipped', () => {}); });
  }
}

/** Runs `suite` once per storage engine. */
export function describeEachEngine(name: string, suite: (engine: Engine) => void): void {
  describe(`${name} [sqlite]`, () => suite('sqlite'));
  describeOnPostgres(`${name} [postgres]`, () => suite('postgres'));
}

/** A suite that only makes sense on PostgreSQL (row-level security, pg_dump …). */
export function describePostgres(name: string, suite: () => void): void {
  describeOnPostgres(`${name} [postgres]`, suite);
}
