import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { inject } from 'vitest';
import { loadConfig } from '../config/config.js';
import type { Deps } from '../deps.js';
import { startServer, type RunningServer } from '../server.js';
import { TestClient } from './http-client.js';
import { APP_ROLE } from '../devtools/postgres-cluster.js';

export type Engine = 'sqlite' | 'postgres';

export interface TestServer {
  engine: Engine;
  server: RunningServer;
  api: TestClient;
  /** Origin, e.g. http://127.0.0.1:41234 */
  origin: string;
  dataDir: string;
  databaseUrl: string;
  close(): Promise<void>;
}

/** Generous limits so suites do not trip them by accident; the rate-limit test sets its own. */
const TEST_ENV = {
  NODE_ENV: 'test',
  HOST: '127.0.0.1',
  PORT: '0',
  CODITECT_LOG_LEVEL: 'silent',
  CODITECT_DOCS: 'true',
  CODITECT_RATE_LIMIT_LOGIN_IP: '10000/60s',
  CODITECT_RATE_LIMIT_REGISTER_IP: '10000/60s',
  CODITECT_RATE_LIMIT_REFRESH_IP: '10000/60s',
  CODITECT_RATE_LIMIT_LOGIN_ACCOUNT: '10000/60s',
  CODITECT_RATE_LIMIT_LOGIN_PAIR: '10000/60s',
  CODITECT_RATE_LIMIT_LLM: '10000/60s',
  CODITECT_RATE_LIMIT_PROVIDER_TEST: '10000/60s',
  CODITECT_RATE_LIMIT_SNAPSHOT: '10000/60s',
  CODITECT_RATE_LIMIT_SESSION_CREATE: '10000/60s',
  CODITECT_RATE_LIMIT_WORKSPACE_OPEN: '10000/60s',
  CODITECT_MAX_WORKSPACES_PER_TENANT: '100',
  // Many test servers run at once: no fixed metrics port unless a test asks for one.
  CODITECT_METRICS_LISTEN: 'off',
};

/** A fresh, empty database for one test server: a temp SQLite file or a new PostgreSQL database. */
export function createTestDatabase(engine: Engine, dataDir: string): string {
  if (engine === 'sqlite') return `sqlite:${path.join(dataDir, 'test.db')}`;
  const pg = inject('postgres');
  if (!pg) throw new Error(`PostgreSQL unavailable: ${inject('postgresSkipReason')}`);
  const name = `t_${randomBytes(6).toString('hex')}`;
  execFileSync('psql', [pg.adminUrl, '-qc', `create database ${name} owner ${APP_ROLE}`]);
  return `${pg.appUrlBase}/${name}`;
}

export function tempDir(prefix = 'coditect-test-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** Starts the real server on a free loopback port over a fresh database. */
export async function startTestServer(
  engine: Engine, env: Record<string, string> = {}, overrides: Partial<Deps> = {},
  /** Join an existing database (a second node) instead of creating one. */
  sharedDatabaseUrl?: string,
): Promise<TestServer> {
  const dataDir = tempDir();
  const databaseUrl = sharedDatabaseUrl ?? createTestDatabase(engine, dataDir);
  const config = loadConfig({ ...TEST_ENV, CODITECT_DATA_DIR: dataDir, CODITECT_DATABASE_URL: databaseUrl, ...env });
  const server = await startServer(config, { log: pino({ level: 'silent' }), ...overrides });
  return {
    engine,
    server,
    api: new TestClient(`${server.url}/api/v5`),
    origin: server.url,
    dataDir,
    databaseUrl,
    async close() {
      await server.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
