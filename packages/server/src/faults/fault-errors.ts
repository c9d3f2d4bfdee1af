import { AppError } from '../http/app-error.js';
import { DatabaseUnreachable } from '../store/database-unreachable.js';

/**
 * The one map from the faults a host meets (a full disk, a lost or busy
 * database) to coded API errors. The error handler applies it to every error
 * that is not already a deliberate AppError, so no call site catches ENOSPC or
 * SQLITE_BUSY itself.
 */

/** Seconds a client should wait before retrying when the database is down or busy. */
export const RETRY_AFTER_UNAVAILABLE_S = 5;
export const RETRY_AFTER_BUSY_S = 1;

/** Errno codes of a write refused for lack of space (disk full, or a filesystem quota). */
const DISK_FULL = new Set(['ENOSPC', 'EDQUOT']);
/** PostgreSQL SQLSTATEs meaning "the server is not there for you right now". */
const PG_UNAVAILABLE = new Set(['57P01', '57P02', '57P03', '53300', '53400']);
/** PostgreSQL SQLSTATEs meaning "try again": a timeout, a lock, a serialization conflict. */
const PG_BUSY = new Set(['57014', '55P03', '40001', '40P01']);

/** The fault kind of one error (not its causes), or undefined. */
function kindOf(err: unknown): 'disk_full' | 'database_full' | 'database_unavailable' | 'database_busy' | undefined {
  if (err instanceof DatabaseUnreachable) return 'database_unavailable';
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code !== 'string') return undefined;
  if (DISK_FULL.has(code)) return 'disk_full';
  if (code === 'SQLITE_FULL' || code === '53100') return 'database_full';
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED') || PG_BUSY.has(code)) return 'database_busy';
  // Class 08: connection exceptions.
  if (PG_UNAVAILABLE.has(code) || /^08[0-9A-Z]{3}$/.test(code)) return 'database_unavailable';
  return undefined;
}

/** The first fault found along `err` and its causes (wrappers keep the original as `cause`). */
function findFault(err: unknown): ReturnType<typeof kindOf> {
  for (let e = err, depth = 0; e && depth < 6; e = (e as { cause?: unknown }).cause, depth++) {
    const kind = kindOf(e);
    if (kind) return kind;
  }
  return undefined;
}

/**
 * The public error for a fault, or undefined when `err` is not one. A
 * deliberate AppError (expected, or a 4xx) is left alone; an unexpected one
 * that wraps a fault (e.g. an IDE that failed to start on a full disk) is
 * replaced by the fault's error.
 */
export function faultError(err: unknown): AppError | undefined {
  if (err instanceof AppError && (err.expected || err.status < 500)) return undefined;
  const kind = findFault(err);
  const cause = err;
  switch (kind) {
    case 'disk_full':
      return new AppError('insufficient_storage',
        'The server is out of storage space; nothing was saved. Free space (delete files) or try again later', { cause, expected: true });
    case 'database_full':
      return new AppError('database_full',
        "The server's database is out of storage space; the change was not saved. Try again later", { cause, expected: true });
    case 'database_unavailable':
      return new AppError('database_unavailable', 'The database is unavailable right now; try again shortly',
        { cause, expected: true, headers: { 'retry-after': String(RETRY_AFTER_UNAVAILABLE_S) } });
    case 'database_busy':
      return new AppError('database_busy', 'The database is busy; try again in a moment',
        { cause, expected: true, headers: { 'retry-after': String(RETRY_AFTER_BUSY_S) } });
    default:
      return undefined;
  }
}
