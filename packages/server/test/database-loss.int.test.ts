import { execFileSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { APP_ROLE, findPostgresBin, freePort, startPostgresCluster, type PostgresCluster } from '../src/devtools/postgres-cluster.js';
import { createSession, registerAccount, type Account } from '../src/test-support/factories.js';
import type { TestClient } from '../src/test-support/http-client.js';
import { spawnServer } from '../src/test-support/server-process.js';
import { tempDir } from '../src/test-support/test-server.js';

/** One answer of the load: when, what, how long. */
interface Outcome { phase: 'before' | 'down' | 'after'; status: number; code?: string; retryAfter: string | null; ms: number }

const bin = findPostgresBin();
const skipReason = bin ? undefined : 'PostgreSQL binaries not found under /usr/lib/postgresql';
if (skipReason && process.env.CI !== 'true') console.warn(`[database-loss] skipped: ${skipReason}`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** A request that takes longer than this counts as hung (generous: the machine is shared). */
const HUNG_MS = 15_000;

describe.skipIf(skipReason !== undefined && process.env.CI !== 'true')('PostgreSQL stopped under load (pg_ctl stop -m immediate) and started again', () => {
  let cluster: PostgresCluster;
  let server: { proc: ChildProcess; api: TestClient };
  let metricsUrl: string;
  let logs = '';
  const outcomes: Outcome[] = [];
  const during: { health: number; ready: number; readyCode?: string; readyRetryAfter: string | null }[] = [];
  let hung = 0;
  let phase: Outcome['phase'] = 'before';
  const workers: { account: Account; sessionId: string; ackedName: number; created: string[] }[] = [];

  /** One request of the load, timed, never allowed to hang the test. */
  async function call(method: string, path: string, token: string, body: unknown): Promise<Outcome & { body: any }> {
    const started = Date.now();
    const at = phase;
    try {
      const res = await fetch(server.api.baseUrl + path, { method, signal: AbortSignal.timeout(HUNG_MS),
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
      const json = await res.json().catch(() => undefined) as any;
      const o = { phase: at, status: res.status, code: json?.error?.code, retryAfter: res.headers.get('retry-after'), ms: Date.now() - started };
      outcomes.push(o);
      return { ...o, body: json };
    } catch (err) {
      if ((err as Error).name === 'TimeoutError') hung++;
      throw err;
    }
  }

  async function load(w: (typeof workers)[number], stop: { now: boolean }) {
    for (let n = 1; !stop.now; n++) {
      const p = await call('PATCH', `/sessions/${w.sessionId}`, w.account.accessToken, { name: `n${n}` });
      if (p.status === 200) w.ackedName = n;
      if (n % 3 === 0) {
        const c = await call('POST', '/sessions', w.account.accessToken, { name: `c${n}` });
        if (c.status === 201) w.created.push(c.body.id);
      }
      await sleep(20);
    }
  }

  beforeAll(async () => {
    if (skipReason) throw new Error(`CI=true: ${skipReason}`);
    cluster = await startPostgresCluster(bin!, { durable: true });
    const name = `loss_${randomBytes(4).toString('hex')}`;
    execFileSync('psql', [cluster.adminUrl, '-qc', `create database ${name} owner ${APP_ROLE}`]);
    const metricsPort = await freePort();
    metricsUrl = `http://127.0.0.1:${metricsPort}/metrics`;
    server = await spawnServer({ CODITECT_DATA_DIR: tempDir('coditect-dbloss-'), CODITECT_DATABASE_URL: `${cluster.appUrlBase}/${name}`,
      CODITECT_METRICS_LISTEN: `127.0.0.1:${metricsPort}`, CODITECT_LOG_LEVEL: 'warn', CODITECT_SNAPSHOT_INTERVAL_SECONDS: '0' });
    server.proc.stdout!.on('data', (chunk: Buffer) => { logs += chunk.toString(); });
    for (let i = 0; i < 4; i++) {
      const account = await registerAccount(server.api);
      workers.push({ account, sessionId: (await createSession(server.api, account.accessToken)).id, ackedName: 0, created: [] });
    }
    const stop = { now: false };
    const running = workers.map((w) => load(w, stop));
    await sleep(1500);
    phase = 'down';
    cluster.crash();
    for (let i = 0; i < 6; i++) {
      await sleep(500);
      const ready = await server.api.get('/ready');
      during.push({ health: (await server.api.get('/health')).status, ready: ready.status, readyCode: ready.body?.error?.code,
        readyRetryAfter: ready.headers.get('retry-after') });
    }
    cluster.restart();
    phase = 'after';
    await sleep(3000);
    stop.now = true;
    await Promise.allSettled(running);
  }, 120_000);

  afterAll(async () => {
    if (server && server.proc.exitCode === null) {
      server.proc.kill('SIGTERM');
      await once(server.proc, 'exit');
    }
    cluster?.stop();
  });

  it('every request during the outage fails as a coded 503 database_unavailable with Retry-After, and none hangs', () => {
    const failed = outcomes.filter((o) => o.status >= 400);
    const slowest = Math.max(...failed.map((o) => o.ms));
    console.info(`[database-loss] ${outcomes.length} requests: ${outcomes.filter((o) => o.phase === 'down').length} while down, `
      + `${failed.length} failed (slowest ${slowest} ms), ${hung} hung`);
    expect(hung).toBe(0);
    expect(failed.length).toBeGreaterThan(10);
    for (const o of failed) {
      expect(o.status, JSON.stringify(o)).toBe(503);
      expect(o.code, JSON.stringify(o)).toBe('database_unavailable');
      expect(o.retryAfter, JSON.stringify(o)).toBe('5');
    }
  });

  it('during the outage /health stays 200 and /ready answers 503 database_unavailable', () => {
    expect(during.length).toBe(6);
    for (const d of during) expect(d).toEqual({ health: 200, ready: 503, readyCode: 'database_unavailable', readyRetryAfter: '5' });
  });

  it('the same process serves writes again once the database is back, and is ready', async () => {
    expect(server.proc.exitCode).toBeNull();
    expect(outcomes.filter((o) => o.phase === 'after' && o.status === 200).length).toBeGreaterThan(0);
    expect(await server.api.get('/ready')).toMatchObject({ status: 200, body: { status: 'ready' } });
    const metrics = await (await fetch(metricsUrl)).text();
    expect(metrics).toMatch(/^coditect_database_up 1$/m);
    expect(metrics).toMatch(/^coditect_fault_refusals_total\{code="database_unavailable"\} [1-9]/m);
    expect(logs).toContain('database unreachable');
    expect(logs).toContain('database reachable again');
    expect(logs).not.toContain('unhandled error');
  });

  it('nothing acknowledged is missing', async () => {
    for (const w of workers) {
      const s = await server.api.get(`/sessions/${w.sessionId}`, { token: w.account.accessToken });
      expect(s.status).toBe(200);
      // A later, unacknowledged write may have landed too; never an older one.
      expect(Number(String(s.body.name).slice(1))).toBeGreaterThanOrEqual(w.ackedName);
      for (const id of w.created) expect((await server.api.get(`/sessions/${id}`, { token: w.account.accessToken })).status).toBe(200);
    }
  });
});
