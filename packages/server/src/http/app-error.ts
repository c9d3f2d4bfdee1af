import { ErrorCodes, type ErrorCode } from '@coditect/contract';

/**
 * The one error type handlers throw. `message` is public; `cause` is private
 * (logged, never sent). `expected: false` marks a bug.
 */
export class AppError extends Error {
  readonly status: number;
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly options: { details?: unknown; cause?: unknown; headers?: Record<string, string>; expected?: boolean } = {},
  ) {
    super(message, { cause: options.cause });
    this.status = ErrorCodes[code];
  }
  get expected(): boolean {
    return this.options.expected ?? this.status < 500;
  }
}

export const notFound = (what = 'Resource') => new AppError('not_found', `${what} not found`);
