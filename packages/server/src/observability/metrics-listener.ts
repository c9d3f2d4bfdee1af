import http from 'node:http';
import type { Logger } from 'pino';
import type { Metrics } from './metrics.js';

/** The metrics listener: its address, and the one way to close it. */
export interface MetricsListener {
  url: string;
  close(): Promise<void>;
}

/**
 * Serves `GET /metrics` on a listener of its own (loopback by default), apart
 * from the public port, so scrapers reach it and the internet does not. A port
 * already taken is logged and skipped: metrics never keep the API from starting.
 */
export async function startMetricsListener(
  metrics: Metrics, where: { host: string; port: number }, log: Logger,
): Promise<MetricsListener | undefined> {
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0];
    if (req.method !== 'GET' || path !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      return;
    }
    metrics.registry.metrics().then(
      (body) => res.writeHead(200, { 'content-type': metrics.registry.contentType }).end(body),
      (err: unknown) => {
        log.error({ err }, 'metrics collection failed');
        res.writeHead(500).end();
      },
    );
  });
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(where.port, where.host, () => resolve());
    });
  } catch (err) {
    log.error({ err, ...where }, 'metrics listener could not start; /metrics is not served (set CODITECT_METRICS_LISTEN)');
    return undefined;
  }
  const address = server.address() as { address: string; port: number };
  const host = address.address.includes(':') ? `[${address.address}]` : address.address;
  return {
    url: `http://${host}:${address.port}`,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
