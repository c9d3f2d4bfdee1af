import { PROVIDER_IDS, type ChatMessage, type ProviderId, type UsageEvent } from '@coditect/contract';
import type { Deps } from '../deps.js';
import { AppError } from '../http/app-error.js';
import type { Tx } from '../store/database.js';
import { findBudget, spentSince } from '../store/repositories/llm-usage.js';
import type { KeyVault } from './key-vault.js';
import { costOf, pricingOf, providerOfCatalogModel } from './providers/catalog.js';
import type { LocalLlama } from './providers/local-llama.js';
import type { ProviderRegistry } from './providers/registry.js';
import { UpstreamError, type GenerateRequest, type StreamPart } from './providers/types.js';
import { resolveProviders, type ResolvedProvider } from './provider-settings.js';
import { UsageRecorder } from './usage-recorder.js';

/** Who is calling and through which door (stored with the usage row). */
export interface Caller {
  tenantId: string;
  userId: string;
  endpoint: 'chat' | 'compare' | 'openai' | 'anthropic';
}

/** One model to try, resolved to its provider settings. */
export interface Attempt {
  ref: string;
  provider: ProviderId;
  model: string;
  resolved: ResolvedProvider;
}

/** What a gateway stream yields (in batches): text, then exactly one usage record. */
export type GatewayEvent = { type: 'delta'; text: string } | { type: 'usage'; usage: UsageEvent };

/** Generation settings shared by every attempt of a call. */
export type Generation = Omit<GenerateRequest, 'model'>;

/** The abort reason of calls the gateway ends itself (a shared object: no DOMException, no stack trace per call). */
const ENDED = Object.freeze(new Error('LLM call ended by the gateway'));

const monthStart = (d: Date) => new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1)).toISOString();
const sleep = (ms: number, signal: AbortSignal) => new Promise<void>((resolve) => {
  const t = setTimeout(resolve, ms);
  signal.addEventListener('abort', () => { clearTimeout(t); resolve(); }, { once: true });
});

/**
 * Maps a failed upstream call to the API's error: a stable code and the
 * UpstreamError's generic message (it names the provider, never a key or the
 * upstream's own words; those are in its log-only detail).
 */
export function toAppError(err: UpstreamError): AppError {
  if (err.kind === 'denied') return new AppError('egress_denied', err.message);
  if (err.kind === 'timeout') return new AppError('upstream_timeout', err.message);
  if (err.kind === 'network') return new AppError('upstream_unreachable', err.message, { expected: true });
  if (err.status === 429) {
    const headers: Record<string, string> = err.options.retryAfterMs !== undefined
      ? { 'retry-after': String(Math.ceil(err.options.retryAfterMs / 1000)) } : {};
    return new AppError('rate_limited', err.message, { headers });
  }
  if (err.status === 404) return new AppError('model_not_found', err.message);
  if (err.status === 401 || err.status === 403) return new AppError('upstream_auth_failed', err.message, { expected: true });
  if (err.status !== undefined && err.status >= 400 && err.status < 500) return new AppError('upstream_rejected', err.message, { expected: true });
  return new AppError('upstream_error', err.message, { expected: true });
}

/**
 * The LLM gateway: resolves `provider/model` to a tenant's provider settings,
 * enforces the budget, streams with timeouts, retries (honouring Retry-After)
 * and fallbacks, and records one usage row per model tried.
 */
export class LlmGateway {
  private readonly usage: UsageRecorder;

  constructor(
    private readonly deps: Deps,
    readonly vault: KeyVault,
    readonly registry: ProviderRegistry,
    readonly local: LocalLlama | undefined,
  ) {
    this.usage = new UsageRecorder(deps);
  }

  private get config() {
    return this.deps.config.llm;
  }

  /** Every provider as resolved for the tenant. */
  providers(tenantId: string): Promise<Map<ProviderId, ResolvedProvider>> {
    return this.deps.store.read(tenantId, (tx) => this.resolve(tx, tenantId));
  }

  private resolve(tx: Tx, tenantId: string): Promise<Map<ProviderId, ResolvedProvider>> {
    return resolveProviders(tx, tenantId, this.config, this.vault, this.registry, Boolean(this.local), this.deps.egress);
  }

  /** `provider/model` → parts; a bare catalog model name (`gpt-4o`) is accepted too. */
  parseModelRef(ref: string): { provider: ProviderId; model: string } {
    const slash = ref.indexOf('/');
    const head = slash > 0 ? ref.slice(0, slash) : '';
    if ((PROVIDER_IDS as readonly string[]).includes(head) && slash < ref.length - 1) {
      return { provider: head as ProviderId, model: ref.slice(slash + 1) };
    }
    const provider = providerOfCatalogModel(ref);
    if (provider) return { provider, model: ref };
    throw new AppError('model_not_found', `Unknown model "${ref}": use provider/model, e.g. openai/gpt-4o`);
  }

  /**
   * Resolves the model and its fallbacks, and checks the budget. Throws the
   * API error (404/409/402) before any byte of a stream is sent.
   */
  async prepare(caller: Caller, model: string, fallbackModels: string[] = []): Promise<Attempt[]> {
    // One round trip for settings and budget (one transaction on PostgreSQL, none on SQLite).
    const { providers, budget } = await this.deps.store.read(caller.tenantId, async (tx) => ({
      providers: await this.resolve(tx, caller.tenantId),
      budget: await this.monthSpend(tx, caller.tenantId),
    }));
    const chain = [model, ...fallbackModels, ...(fallbackModels.length ? [] : this.config.fallbacks[model] ?? [])];
    const attempts: Attempt[] = [];
    for (const [i, ref] of chain.entries()) {
      const { provider, model: name } = this.parseModelRef(ref);
      const resolved = providers.get(provider)!;
      if (!resolved.configured) {
        if (i === 0) {
          throw new AppError('provider_not_configured', resolved.enabled
            ? `Provider ${this.registry[provider].label} has no API key${provider === 'openai-compatible' ? ' or base URL' : ''}; set it with PUT /api/v5/llm/providers/${provider}`
            : `Provider ${this.registry[provider].label} is not enabled for this tenant`);
        }
        continue; // an unusable fallback is skipped, not fatal
      }
      attempts.push({ ref: `${provider}/${name}`, provider, model: name, resolved });
    }
    await this.enforceBudget(caller.tenantId, budget);
    return attempts;
  }

  /** 402 `budget_exceeded` once this month's spend reached the tenant's limit. */
  async checkBudget(tenantId: string): Promise<void> {
    await this.enforceBudget(tenantId, await this.deps.store.read(tenantId, (tx) => this.monthSpend(tx, tenantId)));
  }

  /** The tenant's limit and this month's spend; null (and no spend query) without a budget. */
  private async monthSpend(tx: Tx, tenantId: string): Promise<{ limit: number; spent: number } | null> {
    const limit = await findBudget(tx, tenantId);
    if (limit === null) return null;
    return { limit, spent: await spentSince(tx, tenantId, monthStart(this.deps.now())) };
  }

  private async enforceBudget(tenantId: string, budget: { limit: number; spent: number } | null): Promise<void> {
    if (!budget) return;
    if (this.usage.hasPending(tenantId)) {
      // Calls that just finished on this node count too: their rows are written behind the stream.
      await this.usage.settled(tenantId);
      budget = await this.deps.store.read(tenantId, (tx) => this.monthSpend(tx, tenantId));
      if (!budget) return;
    }
    const { limit, spent } = budget;
    if (spent >= limit) {
      throw new AppError('budget_exceeded',
        `Monthly LLM budget of $${limit.toFixed(2)} reached ($${spent.toFixed(4)} spent this month); raise it with PUT /api/v5/llm/budget`);
    }
  }

  async budget(tenantId: string): Promise<{ limit: number | null; spent: number; month: string }> {
    const now = this.deps.now();
    await this.usage.settled(tenantId);
    return this.deps.store.tenant(tenantId, async (tx) => ({
      limit: await findBudget(tx, tenantId),
      spent: await spentSince(tx, tenantId, monthStart(now)),
      month: now.toISOString().slice(0, 7),
    }));
  }

  /**
   * Streams the first attempt that works, as batches of events (one batch per
   * upstream read). Retries an attempt (backoff, or the upstream's
   * Retry-After) and falls back to the next one on 429/5xx/timeout — only
   * before its first token; after that an error ends the stream. The stream
   * ends once the usage rows of its attempts are stored (they are written
   * behind it, after the usage event went out).
   */
  async *stream(caller: Caller, attempts: Attempt[], gen: Generation, signal: AbortSignal): AsyncGenerator<GatewayEvent[]> {
    const stored: Promise<void>[] = [];
    try {
      let fallbackFrom: string | null = null;
      for (const [index, attempt] of attempts.entries()) {
        for (let retry = 0; ; retry++) {
          const state = { emitted: false };
          let failure: UpstreamError | undefined;
          try {
            yield* this.runAttempt(caller, attempt, gen, signal, fallbackFrom, state, stored);
            return;
          } catch (err) {
            if (!(err instanceof UpstreamError) || state.emitted || signal.aborted) throw err;
            failure = err;
          }
          const wait = failure.options.retryAfterMs ?? this.config.retryBaseMs * 2 ** retry;
          if (failure.retryable && retry < this.config.maxRetries && wait <= this.config.retryMaxWaitMs) {
            this.deps.log.warn({ provider: attempt.provider, model: attempt.model, status: failure.status, detail: failure.detail, retry: retry + 1, waitMs: wait },
              'llm upstream failed; retrying');
            await sleep(wait, signal);
            if (signal.aborted) throw new UpstreamError(attempt.provider, 'cancelled', 'Request cancelled');
            continue;
          }
          if (failure.retryable && index < attempts.length - 1) {
            this.deps.log.warn({ provider: attempt.provider, model: attempt.model, status: failure.status, detail: failure.detail, next: attempts[index + 1]!.ref },
              'llm upstream failed; falling back');
            fallbackFrom = attempt.ref;
            break;
          }
          throw failure;
        }
      }
      throw new UpstreamError(attempts[0]?.provider ?? 'openai', 'protocol', 'No usable model');
    } finally {
      await Promise.all(stored);
    }
  }

  /**
   * One attempt at one model: streams with first-token and idle timeouts
   * (one timer, re-armed once per batch; firing aborts the upstream call),
   * and queues exactly one usage row.
   */
  private async *runAttempt(
    caller: Caller, attempt: Attempt, gen: Generation, outer: AbortSignal, fallbackFrom: string | null,
    state: { emitted: boolean }, stored: Promise<void>[],
  ): AsyncGenerator<GatewayEvent[]> {
    const started = performance.now();
    const adapter = this.registry[attempt.provider];
    const ctl = new AbortController();
    const onAbort = () => ctl.abort(ENDED);
    outer.addEventListener('abort', onAbort, { once: true });
    const { firstTokenTimeoutMs, idleTimeoutMs } = this.config;
    let limit = firstTokenTimeoutMs;
    let timeoutError: UpstreamError | undefined;
    let failPending: ((err: unknown) => void) | undefined;
    const onTimeout = () => {
      timeoutError = new UpstreamError(attempt.provider, 'timeout', `${adapter.label} sent nothing for ${limit} ms (model ${attempt.model})`);
      failPending?.(timeoutError);
      ctl.abort(ENDED);
    };
    let timer = setTimeout(onTimeout, limit);
    let source: AsyncIterator<StreamPart[]> | undefined;
    let ttft: number | null = null;
    let chars = 0;
    let reported: { inputTokens?: number | undefined; outputTokens?: number | undefined } = {};
    let outcome: { status: UsageEvent['status']; error?: UpstreamError } = { status: 'cancelled' };
    let usage: UsageEvent | undefined;
    try {
      const it = adapter.stream(attempt.resolved.settings, { ...gen, model: attempt.model }, ctl.signal)[Symbol.asyncIterator]();
      source = it;
      // Raced with the timer, which can end a wait the adapter does not (a local model queued behind another call).
      const nextBatch = (resolve: (r: IteratorResult<StreamPart[]>) => void, reject: (err: unknown) => void) => {
        failPending = reject;
        it.next().then(resolve, reject);
      };
      for (;;) {
        const next = await new Promise(nextBatch);
        failPending = undefined;
        if (timeoutError) throw timeoutError;
        if (next.done) break;
        const batch = next.value;
        // Delta parts are passed on as they are (a StreamPart delta is a GatewayEvent delta).
        let deltas = batch as GatewayEvent[];
        for (const part of batch) {
          if (part.type === 'delta') {
            chars += part.text.length;
          } else {
            reported = part;
            deltas = batch.filter((p) => p.type === 'delta') as GatewayEvent[];
          }
        }
        if (!deltas.length) {
          timer.refresh();
          continue;
        }
        state.emitted = true;
        if (ttft === null) {
          ttft = performance.now() - started;
          clearTimeout(timer);
          limit = idleTimeoutMs;
          timer = setTimeout(onTimeout, limit);
          if (deltas.length > 1) {
            // A burst (a fast upstream, or one that buffered): the first token leaves on its own,
            // and the event loop turns once so it is on the wire before the rest is encoded.
            yield deltas.slice(0, 1);
            await new Promise<void>((resolve) => setImmediate(resolve));
            deltas = deltas.slice(1);
          }
        } else {
          timer.refresh();
        }
        yield deltas;
      }
      outcome = { status: 'ok' };
    } catch (caught) {
      // An abort caused by our own timer surfaces as a timeout, not a cancel.
      const err = timeoutError ?? caught;
      const e = err instanceof UpstreamError ? err
        : new UpstreamError(attempt.provider, 'protocol', `${adapter.label}: unexpected failure`, { cause: err });
      outcome = outer.aborted || e.kind === 'cancelled' ? { status: 'cancelled' } : { status: 'error', error: e };
      if (outcome.status === 'cancelled') throw new UpstreamError(attempt.provider, 'cancelled', 'Request cancelled');
      throw e;
    } finally {
      clearTimeout(timer);
      outer.removeEventListener('abort', onAbort);
      if (outcome.status !== 'ok') {
        // Closes the upstream connection (a finished stream has read its response to the end already).
        ctl.abort(ENDED);
        void source?.return?.(undefined)?.catch?.(() => {});
      }
      const inputTokens = reported.inputTokens ?? estimateTokens(gen);
      const outputTokens = reported.outputTokens ?? Math.ceil(chars / 4);
      usage = {
        model: attempt.ref,
        provider: attempt.provider,
        inputTokens,
        outputTokens,
        costUsd: costOf(pricingOf(attempt.provider, attempt.model), inputTokens, outputTokens),
        latencyMs: Math.round(performance.now() - started),
        ttftMs: ttft === null ? null : Math.round(ttft),
        status: outcome.status,
        fallbackFrom,
      };
      stored.push(this.usage.record({ ...caller, providerRow: attempt.resolved.row, usage, error: outcome.error,
        at: this.deps.now().toISOString() }));
    }
    yield [{ type: 'usage', usage }];
  }

  async close(): Promise<void> {
    await this.usage.flush();
    await this.local?.dispose();
  }
}

/** A rough count when the upstream did not report one (≈ 4 characters a token). */
function estimateTokens(gen: { system?: string | undefined; messages: ChatMessage[] }): number {
  const chars = (gen.system?.length ?? 0) + gen.messages.reduce((n, m) => n + m.content.length, 0);
  return Math.ceil(chars / 4);
}
