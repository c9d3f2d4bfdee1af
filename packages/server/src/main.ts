#!/usr/bin/env node
import { ConfigError, loadConfig } from './config/config.js';
import { startServer } from './server.js';

/** Process entry: parse config, start, and shut down gracefully on SIGINT/SIGTERM. */
async function main() {
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      process.exit(78); // EX_CONFIG
    }
    throw err;
  }
  const server = await startServer(config);
  const where = config.database.kind === 'sqlite' ? `SQLite ${config.database.file}` : 'PostgreSQL';
  server.deps.log.info({ url: server.url, database: where }, 'Coditect is running');
  console.log(`\n  Coditect is running at ${server.url.replace('127.0.0.1', 'localhost')}/\n  API docs: ${server.url}/api/v5/docs\n`);

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    server.deps.log.info({ signal }, 'shutting down');
    const force = setTimeout(() => process.exit(1), 10_000);
    force.unref();
    await server.close();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}

main().catch((err) => {
  console.error('Coditect failed to start:', err);
  process.exit(1);
});
