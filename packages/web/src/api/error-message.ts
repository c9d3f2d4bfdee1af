import { ApiError } from '@coditect/contract';

/** A sentence a person can act on, for any error thrown by the API client. */
export function errorMessage(error: unknown): string {
  if (!(error instanceof ApiError)) return 'Something went wrong. Please try again.';
  switch (error.code) {
    case 'rate_limited':
      return `Too many attempts. Try again in ${formatWait(error.retryAfterSeconds)}.`;
    case 'network_error':
      return 'Cannot reach Coditect. Check your connection and try again.';
    case 'internal_error':
    case 'service_unavailable':
      return `Coditect had a problem handling this (reference ${error.requestId ?? 'unknown'}). Please try again.`;
    default:
      return error.message;
  }
}

/** "45 seconds", "2 minutes" — for Retry-After values. */
export function formatWait(seconds: number | undefined): string {
  if (seconds === undefined) return 'a moment';
  if (seconds < 60) return `${seconds} second${seconds === 1 ? '' : 's'}`;
  const minutes = Math.ceil(seconds / 60);
  return `${minutes} minute${minutes === 1 ? '' : 's'}`;
}

export const isNotFound = (error: unknown): boolean => error instanceof ApiError && error.status === 404;
