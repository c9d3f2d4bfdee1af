import type { ProviderId } from '@coditect/contract';
import { redact, UpstreamError } from './types.js';

/** Who failed, for the public sentence, and the key to keep out of the log detail. */
export interface FailureContext {
  provider: ProviderId;
  label: string;
  apiKey?: string | undefined;
}

/** Our own sentence for an upstream status: what a tenant can act on, nothing the upstream wrote. */
export function publicFailureMessage(label: string, status: number): string {
  if (status === 401 || status === 403) return `${label} rejected the API key`;
  if (status === 404) return `${label} does not know this model or endpoint: check the model name and base URL`;
  if (status === 429) return `${label} is rate limiting requests`;
  if (status >= 300 && status < 400) return `${label} answered with a redirect, which the gateway does not follow: check the base URL`;
  if (status >= 400 && status < 500) return `${label} rejected the request`;
  if (status >= 500) return `${label} failed to answer`;
  return `${label} answered unexpectedly`;
}

/** A short, single-line, key-free excerpt of upstream text for the logs. */
export function logExcerpt(text: string, apiKey: string | undefined): string {
  return redact(text, apiKey).replace(/\s+/g, ' ').trim().slice(0, 200);
}

/**
 * An upstream error answer (a non-2xx status, or an error event inside a
 * stream) as an UpstreamError: a generic public message, the upstream's own
 * words only in `detail`.
 */
export function upstreamFailure(
  ctx: FailureContext, status: number, reason: string | undefined, extra: { retryAfterMs?: number | undefined; cause?: unknown } = {},
): UpstreamError {
  return new UpstreamError(ctx.provider, 'http', publicFailureMessage(ctx.label, status), {
    status, retryAfterMs: extra.retryAfterMs, cause: extra.cause,
    detail: `HTTP ${status}${reason ? `: ${logExcerpt(reason, ctx.apiKey)}` : ''}`,
  });
}
