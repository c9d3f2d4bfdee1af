import type { ChatMessage, LlmModel, ProviderId } from '@coditect/contract';
import type { EgressPolicy } from '../../egress/egress-policy.js';

/** What the gateway hands an adapter for one call: never logged (it carries the key). */
export interface ProviderSettings {
  apiKey?: string | undefined;
  baseUrl?: string | undefined;
  /** Set when a tenant chose the base URL: every connection must pass this policy (operator URLs are trusted). */
  egress?: EgressPolicy | undefined;
}

/** One generation request, provider-neutral. */
export interface GenerateRequest {
  model: string;
  messages: ChatMessage[];
  system?: string | undefined;
  temperature?: number | undefined;
  maxTokens?: number | undefined;
}

/** What an adapter streams: text deltas, and token counts when the upstream reports them. */
export type StreamPart =
  | { type: 'delta'; text: string }
  | { type: 'usage'; inputTokens?: number | undefined; outputTokens?: number | undefined };

/** A provider adapter: lists models and streams completions over the provider's wire protocol. */
export interface ProviderAdapter {
  id: ProviderId;
  label: string;
  /** A key is required (cloud providers); keyless ones need only a reachable base URL. */
  requiresKey: boolean;
  /** The provider's own API root; null when it has none (local) or the tenant must give one. */
  defaultBaseUrl: string | null;
  /** Models that are really there (upstream listing) or known (catalog). */
  listModels(settings: ProviderSettings, signal: AbortSignal): Promise<LlmModel[]>;
  /**
   * Streams a completion as batches of parts: one batch per upstream read, so
   * the gateway pays one await per read, not per token. Aborting `signal`
   * closes the upstream connection and ends the iteration with a `cancelled` error.
   */
  stream(settings: ProviderSettings, request: GenerateRequest, signal: AbortSignal): AsyncIterable<StreamPart[]>;
}

/** `denied`: the egress policy refused the address (nothing was sent). */
export type UpstreamErrorKind = 'http' | 'timeout' | 'network' | 'protocol' | 'cancelled' | 'denied';

/**
 * A failed upstream call, named after its provider. The message is public and
 * generic (our own words, never the upstream's body); `detail` keeps the
 * upstream status and a short, key-redacted reason for the logs only.
 */
export class UpstreamError extends Error {
  constructor(
    readonly provider: ProviderId,
    readonly kind: UpstreamErrorKind,
    message: string,
    readonly options: { status?: number | undefined; retryAfterMs?: number | undefined; cause?: unknown; detail?: string | undefined } = {},
  ) {
    super(message, { cause: options.cause });
  }
  get status(): number | undefined {
    return this.options.status;
  }
  /** For logs only: what the upstream said (status, short reason, key redacted). */
  get detail(): string | undefined {
    return this.options.detail;
  }
  /** 408/409/429/5xx, timeouts and network failures are worth another try (or a fallback). */
  get retryable(): boolean {
    if (this.kind === 'timeout' || this.kind === 'network') return true;
    const s = this.options.status;
    return s !== undefined && (s === 408 || s === 409 || s === 429 || s >= 500);
  }
}

/** Removes a secret from text bound for users or logs. */
export function redact(text: string, secret: string | undefined): string {
  if (!secret || secret.length < 4) return text;
  return text.split(secret).join('[redacted]');
}

/** Parses Retry-After (seconds or an HTTP date) into milliseconds. */
export function parseRetryAfter(value: string | null | undefined, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** Joins an API root and a path without doubling slashes. */
export const joinUrl = (base: string, path: string): string => base.replace(/\/+$/, '') + path;
