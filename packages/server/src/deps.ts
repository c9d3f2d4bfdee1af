import type { Logger } from 'pino';
import type { AccessTokens } from './auth/access-tokens.js';
import type { RateLimiter } from './auth/rate-limiter.js';
import type { Config } from './config/config.js';
import type { EgressPolicy } from './egress/egress-policy.js';
import type { NodeHealth } from './faults/node-health.js';
import type { Metrics } from './observability/metrics.js';
import type { StorageRuntime } from './storage/storage-runtime.js';
import type { Store } from './store/database.js';
import type { WorkspaceHost } from './workspaces/workspace-host.js';

/** Everything commands need, built once in `main` (or a test) and passed down. */
export interface Deps {
  config: Config;
  store: Store;
  tokens: AccessTokens;
  limiter: RateLimiter;
  log: Logger;
  metrics: Metrics;
  /** Faults this node met (full disk, lost database): readiness, metrics, log lines. */
  health: NodeHealth;
  /** This node's running IDEs. */
  workspaces: WorkspaceHost;
  /** Blob store and workspace locks (hybrid storage). */
  storage: StorageRuntime;
  /** Decides whether an outbound connection made for a tenant may go to an address. */
  egress: EgressPolicy;
  /** Current time; injectable so tests can move it. */
  now: () => Date;
}

/** Who is calling, as far as the HTTP layer knows. */
export interface ClientInfo {
  ip: string;
  userAgent: string | null;
}
