import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { AccessTokens } from './auth/access-tokens.js';
import { DatabaseRateLimiter, MemoryRateLimiter } from './auth/rate-limiter.js';
import { loadSigningKeys } from './auth/signing-keys.js';
import { resolveSigningSecret } from './auth/signing-secret.js';
import { buildApp } from './app.js';
import type { Config } from './config/config.js';
import type { Deps } from './deps.js';
import { EgressPolicy } from './egress/egress-policy.js';
import { dataVolumes, NodeHealth } from './faults/node-health.js';
import { Metrics } from './observability/metrics.js';
import { startMetricsListener, type MetricsListener } from './observability/metrics-listener.js';
import { Store } from './store/database.js';
import { migrateToLatest } from './store/migrations/index.js';
import { WorkspaceHost } from './workspaces/workspace-host.js';
import { SnapshotScheduler } from './storage/snapshot-scheduler.js';
import { WorkspaceSync } from './storage/workspace-sync.js';
import { openStorage } from './storage/storage-runtime.js';

/** A started server and the one way to stop it. */
export interface RunningServer {
  url: string;
  /** The HTTP application (tests inspect its routes). */
  app: FastifyInstance;
  /** Where `/metrics` is served (undefined: off, or its port was taken). */
  metricsUrl: string | undefined;
  deps: Deps;
  close(): Promise<void>;
}

/**
 * Opens storage, migrates, listens. Owns everything it opens and closes it in
 * reverse order on `close()` (in-flight requests finish first).
 */
export async function startServer(config: Config, overrides: Partial<Deps> = {}): Promise<RunningServer> {
  const log = overrides.log ?? pino({ level: config.logLevel, redact: ['req.headers.authorization', '*.password', '*.apiKey'] });
  // Migrations run without the serving statement timeout (an index build may take a while).
  const migrating = Store.open(config.database);
  try {
    const applied = await migrateToLatest(migrating.db, migrating.dialect);
    if (applied.length) log.info({ applied }, 'migrations applied');
  } finally {
    await migrating.close();
  }
  const store = Store.open(config.database, config.databaseLimits);
  const metrics = overrides.metrics ?? new Metrics(store);
  const secret = resolveSigningSecret(config.jwt.secret, config.dataDir);
  const keys = await loadSigningKeys({ privateKey: config.jwt.privateKey, retiredPublicKeys: config.jwt.retiredPublicKeys }, config.dataDir);
  const deps: Deps = {
    config,
    store,
    log,
    workspaces: new WorkspaceHost(config, secret, log, store),
    tokens: new AccessTokens({
      keys,
      issuer: config.jwt.issuer,
      audience: config.jwt.audience,
      ttlSeconds: config.jwt.accessTtlSeconds,
    }),
    // One node needs no shared counters; PostgreSQL means several nodes may share the load.
    limiter: store.dialect === 'postgres' ? new DatabaseRateLimiter(store) : new MemoryRateLimiter(),
    metrics,
    health: new NodeHealth(store, dataVolumes(config), config.storage.minFreeBytes, metrics, log),
    storage: openStorage(config),
    egress: new EgressPolicy({ allow: config.egress.allow }),
    now: () => new Date(),
    ...overrides,
  };
  deps.metrics.watchWorkspaces(() => deps.workspaces.runner.size);
  const app = await buildApp(deps);
  const address = await app.listen({ port: config.port, host: config.host });
  await deps.workspaces.setNodeUrl(address);
  const metricsListener: MetricsListener | undefined = config.metrics.listen
    ? await startMetricsListener(deps.metrics, config.metrics.listen, log) : undefined;
  const snapshots = new SnapshotScheduler(deps, config.storage.snapshotIntervalMs);
  const sync = new WorkspaceSync(deps, config.storage.syncIntervalMs);
  return {
    url: address,
    app,
    metricsUrl: metricsListener?.url,
    deps,
    async close() {
      // Stop the IDEs first: their sockets would otherwise keep connections open.
      await deps.workspaces.close();
      await app.close();
      await metricsListener?.close();
      await snapshots.close();
      await sync.close();
      await deps.storage.close();
      deps.limiter.close();
      deps.health.close();
      await store.close();
    },
  };
}
