import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { API_PREFIX, createApiClient, endpoints, routeTable, type ApiClient } from '@coditect/contract';
import { loadConfig } from '../../../server/src/config/config';
import { startServer, type RunningServer } from '../../../server/src/server';

export interface TestServer {
  url: string;
  server: RunningServer;
  close(): Promise<void>;
  /** A non-browser API client (refresh token in the body), signed in as a new user. */
  newUser(prefix?: string): Promise<{ email: string; password: string; api: ApiClient; firstName: string }>;
}

let counter = 0;
/** A unique, valid email per call (tests share one server). */
export const uniqueEmail = (prefix = 'user') => `${prefix}.${Date.now().toString(36)}${(counter++).toString(36)}@example.com`;

/** The real Coditect server, in-process, on a free port, over a fresh data dir, serving the built web app. */
export async function startTestServer(webDir: string, env: Record<string, string> = {}): Promise<TestServer> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'coditect-e2e-'));
  const config = loadConfig({
    NODE_ENV: 'test', PORT: '0', HOST: '127.0.0.1', CODITECT_DATA_DIR: dataDir, CODITECT_WEB_DIR: webDir,
    CODITECT_LOG_LEVEL: 'warn', CODITECT_DOCS: 'false',
    // Generous limits: many sign-ins happen from one loopback address.
    CODITECT_RATE_LIMIT_LOGIN_IP: '1000/60s', CODITECT_RATE_LIMIT_REGISTER_IP: '1000/60s',
    CODITECT_RATE_LIMIT_REFRESH_IP: '5000/60s', CODITECT_RATE_LIMIT_LOGIN_ACCOUNT: '100/60s',
    CODITECT_RATE_LIMIT_SESSION_CREATE: '1000/60s', CODITECT_RATE_LIMIT_WORKSPACE_OPEN: '1000/60s',
    CODITECT_MAX_WORKSPACES_PER_TENANT: '100', CODITECT_METRICS_LISTEN: 'off',
    ...env,
  });
  const server = await startServer(config);
  const url = server.url.replace('[::1]', '127.0.0.1');
  return {
    url,
    server,
    async close() {
      await server.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
    async newUser(prefix = 'api') {
      const email = uniqueEmail(prefix);
      const password = 'correct horse battery staple';
      let token: string | undefined;
      const api = createApiClient({
        routes: routeTable(endpoints, API_PREFIX),
        baseUrl: url,
        auth: { getAccessToken: () => token, refresh: () => Promise.reject(new Error('not needed in tests')) },
      });
      const res = await api.call('register', { body: { email, password, firstName: 'Api', lastName: prefix } });
      token = res.accessToken;
      return { email, password, api, firstName: 'Api' };
    },
  };
}
