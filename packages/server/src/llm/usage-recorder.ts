import { randomUUID } from 'node:crypto';
import type { UsageEvent } from '@coditect/contract';
import type { Deps } from '../deps.js';
import type { Tx } from '../store/database.js';
import { insertUsage } from '../store/repositories/llm-usage.js';
import { markProviderUsed } from '../store/repositories/provider-credentials.js';
import type { UpstreamError } from './providers/types.js';

/** One finished upstream call to account. */
export interface UsageRecord {
  tenantId: string;
  userId: string;
  endpoint: 'chat' | 'compare' | 'openai' | 'anthropic';
  /** The tenant's own provider row as read for this call (its last use/error is updated); undefined without one. */
  providerRow: { last_used_at: string | null; last_error: string | null } | undefined;
  usage: UsageEvent;
  error: UpstreamError | undefined;
  at: string;
}

/** `lastUsedAt` is kept to the minute: a row whose outcome is unchanged and was touched less than a minute ago is left alone. */
const LAST_USED_RESOLUTION_MS = 60_000;

function fresh(row: { last_used_at: string | null; last_error: string | null }, at: string, lastError: string | null): boolean {
  if (row.last_error !== lastError || !row.last_used_at) return false;
  const age = Date.parse(at) - Date.parse(row.last_used_at);
  return age >= 0 && age < LAST_USED_RESOLUTION_MS;
}

interface Queued extends UsageRecord {
  done: () => void;
}

/**
 * Writes usage rows behind the streams: the usage event goes to the client
 * first, and calls that finish in the same event-loop turn are stored in one
 * transaction per tenant (one commit for many rows when streams end
 * together). The promise of `record` settles once the row is stored (or its
 * failure logged); it never rejects. The gateway ends a response only after
 * its rows are stored, so a client that saw the end sees the usage.
 */
export class UsageRecorder {
  private queue: Queued[] = [];
  private scheduled = false;
  /** Rows not yet stored, per tenant (what a budget check must wait for). */
  private readonly pending = new Map<string, Set<Promise<void>>>();

  constructor(private readonly deps: Deps) {}

  record(entry: UsageRecord): Promise<void> {
    this.deps.metrics.recordLlmUsage(entry.usage);
    if (entry.error) {
      this.deps.log.warn({ provider: entry.usage.provider, model: entry.usage.model, error: entry.error.message,
        status: entry.error.status, detail: entry.error.detail }, 'llm call failed');
    }
    let done!: () => void;
    const stored = new Promise<void>((resolve) => { done = resolve; });
    this.queue.push({ ...entry, done });
    let set = this.pending.get(entry.tenantId);
    if (!set) this.pending.set(entry.tenantId, (set = new Set()));
    set.add(stored);
    void stored.then(() => {
      set.delete(stored);
      if (set.size === 0 && this.pending.get(entry.tenantId) === set) this.pending.delete(entry.tenantId);
    });
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => void this.flush());
    }
    return stored;
  }

  hasPending(tenantId: string): boolean {
    return Boolean(this.pending.get(tenantId)?.size);
  }

  /** Resolves once every row of the tenant recorded so far is stored. */
  async settled(tenantId: string): Promise<void> {
    const set = this.pending.get(tenantId);
    if (set?.size) await Promise.all(set);
  }

  /** Stores everything queued (called on its own after each turn; awaited on shutdown). */
  async flush(): Promise<void> {
    this.scheduled = false;
    const batch = this.queue;
    if (!batch.length) return;
    this.queue = [];
    const byTenant = new Map<string, Queued[]>();
    for (const q of batch) {
      const list = byTenant.get(q.tenantId);
      if (list) list.push(q); else byTenant.set(q.tenantId, [q]);
    }
    await Promise.all([...byTenant].map(([tenantId, rows]) => this.store(tenantId, rows)));
  }

  private async store(tenantId: string, rows: Queued[]): Promise<void> {
    // The provider row keeps the outcome of its latest call only, and its last use to the minute.
    const lastByProvider = new Map<string, Queued>();
    for (const r of rows) if (r.providerRow) lastByProvider.set(r.usage.provider, r);
    for (const [provider, r] of lastByProvider) if (fresh(r.providerRow!, r.at, r.error?.message ?? null)) lastByProvider.delete(provider);
    const write = async (tx: Tx) => {
      for (const r of rows) {
        const { usage, error } = r;
        await insertUsage(tx, {
          tenant_id: tenantId, id: randomUUID(), user_id: r.userId, provider: usage.provider,
          model: usage.model, endpoint: r.endpoint, input_tokens: usage.inputTokens, output_tokens: usage.outputTokens,
          cost_usd: usage.costUsd, latency_ms: usage.latencyMs, ttft_ms: usage.ttftMs, status: usage.status,
          error_code: error ? (error.status ? `http_${error.status}` : error.kind) : null,
          fallback_from: usage.fallbackFrom, created_at: r.at,
        });
      }
      for (const [provider, r] of lastByProvider) await markProviderUsed(tx, tenantId, provider, r.at, r.error?.message ?? null);
    };
    try {
      // One statement is atomic on its own: no BEGIN/COMMIT round on SQLite (PostgreSQL still gets its tenant transaction).
      if (rows.length === 1 && lastByProvider.size === 0) await this.deps.store.read(tenantId, write);
      else await this.deps.store.tenant(tenantId, write);
    } catch (err) {
      for (const r of rows) this.deps.log.error({ err, provider: r.usage.provider }, 'failed to record llm usage');
    } finally {
      for (const r of rows) r.done();
    }
  }
}
