import type { UsageEvent } from '@coditect/contract';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { catalogModels } from '../llm/providers/catalog.js';
import type { Store } from '../store/database.js';

const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

/**
 * A model label a tenant cannot multiply: catalog models by name, anything
 * else (self-hosted, typed by hand) as `other`.
 */
function modelLabel(u: UsageEvent): string {
  return catalogModels(u.provider).some((m) => m.id === u.model || m.model === u.model) ? u.model : 'other';
}

/**
 * Prometheus metrics of one server process. Features register their own
 * instruments on `registry` (workspaces, LLM usage); HTTP and the DB pool are here.
 */
export class Metrics {
  readonly registry = new Registry();

  readonly httpDuration = new Histogram({
    name: 'coditect_http_request_duration_seconds',
    help: 'HTTP request latency by route template, method and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10],
    registers: [this.registry],
  });

  readonly llmTokens = new Counter({
    name: 'coditect_llm_tokens_total',
    help: 'Tokens through the LLM gateway by provider, model and direction',
    labelNames: ['provider', 'model', 'direction'] as const,
    registers: [this.registry],
  });

  readonly llmCost = new Counter({
    name: 'coditect_llm_cost_usd_total',
    help: 'Cost of LLM calls in US dollars (catalog prices) by provider and model',
    labelNames: ['provider', 'model'] as const,
    registers: [this.registry],
  });

  readonly llmCalls = new Counter({
    name: 'coditect_llm_calls_total',
    help: 'Upstream LLM calls by provider and outcome',
    labelNames: ['provider', 'status'] as const,
    registers: [this.registry],
  });

  /**
   * Label set of one HTTP request, bounded whatever clients send: the route
   * template when the contract lists it (`knownRoutes`, `METHOD /path`), else
   * `other`; methods outside the HTTP set are `other` too.
   */
  observeHttp(knownRoutes: ReadonlySet<string>, method: string, route: string | undefined, status: number, seconds: number): void {
    const m = METHODS.has(method) ? method : 'other';
    const known = route !== undefined && knownRoutes.has(`${m === 'HEAD' ? 'GET' : m} ${route}`);
    this.httpDuration.observe({ method: m, route: known ? route : 'other', status: status >= 100 && status < 600 ? status : 0 }, seconds);
  }

  readonly workspaceSyncs = new Counter({
    name: 'coditect_workspace_syncs_total',
    help: 'Sync points recorded for workspaces changed on this node (continuous sync)',
    registers: [this.registry],
  });

  readonly workspaceSyncBytes = new Counter({
    name: 'coditect_workspace_sync_bytes_total',
    help: 'Bytes the continuous sync added to the blob store',
    registers: [this.registry],
  });

  /** Accounts one sync point and the bytes it stored. */
  recordWorkspaceSync(newBytes: number): void {
    this.workspaceSyncs.inc();
    this.workspaceSyncBytes.inc(newBytes);
  }

  /** Accounts one finished upstream call (the gateway calls this with its usage event). */
  recordLlmUsage(u: UsageEvent): void {
    const model = modelLabel(u);
    this.llmTokens.inc({ provider: u.provider, model, direction: 'input' }, u.inputTokens);
    this.llmTokens.inc({ provider: u.provider, model, direction: 'output' }, u.outputTokens);
    this.llmCost.inc({ provider: u.provider, model }, u.costUsd);
    this.llmCalls.inc({ provider: u.provider, status: u.status });
  }

  /** Open workspaces on this node, read at scrape time. */
  watchWorkspaces(running: () => number): void {
    new Gauge({
      name: 'coditect_workspaces_running',
      help: 'IDE backends starting or running on this node',
      registers: [this.registry],
      collect() {
        this.set(running());
      },
    });
  }

  constructor(store: Store) {
    collectDefaultMetrics({ register: this.registry, prefix: 'coditect_' });
    const pool = store.pool;
    new Gauge({
      name: 'coditect_db_pool_connections',
      help: 'PostgreSQL pool connections by state (absent on SQLite)',
      labelNames: ['state'] as const,
      registers: [this.registry],
      collect() {
        if (!pool) return;
        this.set({ state: 'total' }, pool.totalCount);
        this.set({ state: 'idle' }, pool.idleCount);
        this.set({ state: 'waiting' }, pool.waitingCount);
      },
    });
  }
}
