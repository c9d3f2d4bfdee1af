import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { freePort } from '../devtools/postgres-cluster.js';
import { TestClient } from './http-client.js';

const MAIN = fileURLToPath(new URL('../../dist/main.js', import.meta.url));

/**
 * Runs the built server as a real process, so SIGKILL is a real crash. Logs
 * are off unless `env` sets CODITECT_LOG_LEVEL; then the caller must read
 * `proc.stdout` (a full pipe would stall the server).
 */
export async function spawnServer(env: Record<string, string>): Promise<{ proc: ChildProcess; api: TestClient }> {
  const port = await freePort();
  const proc = spawn(process.execPath, [MAIN], {
    env: { ...process.env, CODITECT_RATE_LIMIT_SESSION_CREATE: '100000/60s', CODITECT_RATE_LIMIT_WORKSPACE_OPEN: '100000/60s',
      CODITECT_METRICS_LISTEN: 'off', CODITECT_MAX_WORKSPACES_PER_TENANT: '100', CODITECT_LOG_LEVEL: 'silent', ...env,
      PORT: String(port), HOST: '127.0.0.1', NODE_ENV: 'test',
      CODITECT_RATE_LIMIT_LOGIN_IP: '100000/60s', CODITECT_RATE_LIMIT_REGISTER_IP: '100000/60s', CODITECT_RATE_LIMIT_REFRESH_IP: '100000/60s'},
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const api = new TestClient(`http://127.0.0.1:${port}/api/v5`);
  // Generous: on a loaded 2-core machine a cold start (migrations, key generation) can take a while.
  for (let i = 0; i < 600; i++) {
    if (proc.exitCode !== null) throw new Error(`server exited with ${proc.exitCode}`);
    try {
      if ((await api.get('/health')).status === 200) return { proc, api };
    } catch { /* not listening yet */ }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('server did not start');
}

