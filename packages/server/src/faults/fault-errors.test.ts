import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { AppError } from '../http/app-error.js';
import { DatabaseUnreachable } from '../store/database-unreachable.js';
import { faultError } from './fault-errors.js';

const withCode = (code: string, message = code) => Object.assign(new Error(message), { code });
const pgError = (code: string) => Object.assign(new pg.DatabaseError('server said no', 0, 'error'), { code });

describe('faultError: the one map from host faults to coded errors', () => {
  it.each([
    [withCode('ENOSPC'), 'insufficient_storage', 507, null],
    [withCode('EDQUOT'), 'insufficient_storage', 507, null],
    [withCode('SQLITE_FULL'), 'database_full', 507, null],
    [pgError('53100'), 'database_full', 507, null],
    [withCode('SQLITE_BUSY'), 'database_busy', 503, '1'],
    [withCode('SQLITE_BUSY_SNAPSHOT'), 'database_busy', 503, '1'],
    [withCode('SQLITE_LOCKED'), 'database_busy', 503, '1'],
    [pgError('57014'), 'database_busy', 503, '1'],
    [pgError('40001'), 'database_busy', 503, '1'],
    [pgError('57P01'), 'database_unavailable', 503, '5'],
    [pgError('57P03'), 'database_unavailable', 503, '5'],
    [pgError('08006'), 'database_unavailable', 503, '5'],
    [new DatabaseUnreachable(withCode('ECONNREFUSED')), 'database_unavailable', 503, '5'],
  ])('%s → %s', (err, code, status, retryAfter) => {
    const mapped = faultError(err)!;
    expect(mapped.code).toBe(code);
    expect(mapped.status).toBe(status);
    expect(mapped.options.headers?.['retry-after'] ?? null).toBe(retryAfter);
    expect(mapped.expected).toBe(true);
  });

  it('finds a fault under wrappers, but leaves deliberate errors and unrelated ones alone', () => {
    const wrapped = new AppError('workspace_start_failed', 'The IDE failed to start', { cause: new Error('x', { cause: withCode('ENOSPC') }), expected: false });
    expect(faultError(wrapped)?.code).toBe('insufficient_storage');
    expect(faultError(new AppError('quota_exceeded', 'Storage quota exceeded', { cause: withCode('ENOSPC') }))).toBeUndefined();
    // A bare ECONNREFUSED may be any upstream: only the database driver boundary may call it the database.
    expect(faultError(withCode('ECONNREFUSED'))).toBeUndefined();
    expect(faultError(withCode('ENOENT'))).toBeUndefined();
    expect(faultError(pgError('23505'))).toBeUndefined();
    expect(faultError(new Error('boom'))).toBeUndefined();
  });
});
