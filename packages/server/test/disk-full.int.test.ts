import { execFileSync, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../src/devtools/postgres-cluster.js';
import { registerAccount, createSession, type Account } from '../src/test-support/factories.js';
import { FilesClient } from '../src/test-support/files-client.js';
import type { TestClient } from '../src/test-support/http-client.js';
import { spawnServer } from '../src/test-support/server-process.js';
import { tempDir } from '../src/test-support/test-server.js';

/** A small tmpfs as the data directory: the disk really fills. Needs root (mount); under CI=true a failing mount fails. */
function mountTmpfs(dir: string): string | undefined {
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=8m', 'tmpfs', dir], { stdio: 'pipe' });
    return undefined;
  } catch (err) {
    return `cannot mount a tmpfs (${(err as { stderr?: Buffer }).stderr?.toString().trim() || (err as Error).message})`;
  }
}

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const FILE = 256 * 1024;

/** Whether a tmpfs can be mounted here: tried once (mounted and unmounted at once) so a skip names the reason. */
function mountProbe(): string | undefined {
  const probe = tempDir('coditect-mount-probe-');
  const reason = mountTmpfs(probe);
  if (!reason) execFileSync('umount', [probe]);
  fs.rmSync(probe, { recursive: true, force: true });
  return reason;
}

const skipReason = mountProbe();
if (skipReason && process.env.CI !== 'true') console.warn(`[disk-full] skipped: ${skipReason}`);
let dir: string | undefined;
let mounted = false;

describe.skipIf(skipReason !== undefined && process.env.CI !== 'true')('full disk: coded refusals, reads work, nothing torn, recovery', () => {
  let server: { proc: ChildProcess; api: TestClient };
  let env: Record<string, string>;
  let metricsUrl: string;
  let logs = '';
  let account: Account;
  let files: FilesClient;
  let sessionId: string;
  /** Acknowledged content by path. */
  const acked = new Map<string, string>();
  const refusals: { status: number; code: string; message: string }[] = [];
  const dbRefusals: typeof refusals = [];
  let snapshotRefusal: (typeof refusals)[number];

  const start = async () => {
    server = await spawnServer(env);
    server.proc.stdout!.on('data', (chunk: Buffer) => { logs += chunk.toString(); });
  };

  beforeAll(async () => {
    if (skipReason) throw new Error(`CI=true: ${skipReason}`);
    dir = tempDir('coditect-diskfull-');
    const failed = mountTmpfs(dir);
    if (failed) throw new Error(failed);
    mounted = true;
    const metricsPort = await freePort();
    metricsUrl = `http://127.0.0.1:${metricsPort}/metrics`;
    env = { CODITECT_DATA_DIR: dir, CODITECT_STORAGE_MIN_FREE: '1MiB', CODITECT_SNAPSHOT_INTERVAL_SECONDS: '0',
      CODITECT_METRICS_LISTEN: `127.0.0.1:${metricsPort}`, CODITECT_LOG_LEVEL: 'warn' };
    await start();
    account = await registerAccount(server.api);
    sessionId = (await createSession(server.api, account.accessToken)).id;
    files = new FilesClient(server.api.baseUrl, account.accessToken);
    // Fill the disk through the API, then keep trying a while: PUTs and multipart uploads.
    for (let i = 0; i < 80 && refusals.length < 6; i++) {
      const p = `fill/f${i}.bin`;
      const body = randomBytes(FILE);
      const res = i % 3 === 2
        ? await files.upload(sessionId, 'fill', { [`f${i}.bin`]: body }).then((r) => ({ status: r.status, body: r.json }))
        : await files.put(sessionId, p, body, {}, { parents: 'true' });
      if (res.status === 200 || res.status === 201) acked.set(p, sha(body));
      else refusals.push({ status: res.status, code: res.body?.error?.code, message: res.body?.error?.message });
    }
    // A snapshot copies the workspace into the blob store: no room for that either.
    const snap = await server.api.post(`/sessions/${sessionId}/snapshots`, { name: 'full' }, { token: account.accessToken });
    snapshotRefusal = { status: snap.status, code: snap.body?.error?.code, message: snap.body?.error?.message };
    // Then the database: sessions with a large state until SQLite runs out of room too.
    for (let i = 0, refused = 0; i < 60 && refused < 4; i++) {
      const res = await server.api.post('/sessions', { name: `s${i}`, state: { blob: randomBytes(96 * 1024).toString('base64') } },
        { token: account.accessToken });
      if (res.status !== 201) {
        refused++;
        dbRefusals.push({ status: res.status, code: res.body?.error?.code, message: res.body?.error?.message });
      }
    }
  }, 120_000);

  afterAll(async () => {
    if (server && server.proc.exitCode === null) {
      server.proc.kill('SIGTERM');
      await once(server.proc, 'exit');
    }
    if (mounted) execFileSync('umount', [dir!]);
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('writes past the space answer 507 with a stable code and a message a user understands, never a 500', () => {
    expect(acked.size).toBeGreaterThan(5);
    expect(refusals.length).toBeGreaterThan(0);
    for (const r of refusals) {
      expect(r.status, JSON.stringify(r)).toBe(507);
      expect(['insufficient_storage', 'database_full']).toContain(r.code);
      expect(r.message).toMatch(/out of storage space/);
    }
    expect(refusals.map((r) => r.code)).toContain('insufficient_storage');
    console.info(`[disk-full] ${acked.size} writes acknowledged, then refused: ${refusals.map((r) => `${r.status} ${r.code}`).join(', ')}`);
  });

  it('database writes past the space answer 507 too (SQLite on the same disk), never a 500', () => {
    console.info(`[disk-full] database writes refused: ${dbRefusals.map((r) => `${r.status} ${r.code}`).join(', ')}`);
    expect(dbRefusals.length).toBeGreaterThan(0);
    for (const r of dbRefusals) {
      expect(r.status, JSON.stringify(r)).toBe(507);
      expect(['insufficient_storage', 'database_full']).toContain(r.code);
    }
  });

  it('a snapshot that does not fit answers 507 and leaves no partial blob behind', () => {
    expect(snapshotRefusal.status, JSON.stringify(snapshotRefusal)).toBe(507);
    expect(['insufficient_storage', 'database_full']).toContain(snapshotRefusal.code);
    const staging = path.join(dir!, 'blobs', '.tmp');
    expect(fs.existsSync(staging) ? fs.readdirSync(staging) : []).toEqual([]);
  });

  it('reads keep working: every acknowledged file reads back whole', async () => {
    for (const [p, digest] of acked) {
      const res = await files.get(sessionId, p);
      expect(res.status, p).toBe(200);
      expect(sha(res.buf), p).toBe(digest);
    }
    expect((await server.api.get(`/sessions/${sessionId}/files?path=fill`, { token: account.accessToken })).status).toBe(200);
  });

  it('nothing torn: on disk every file is an acknowledged one, whole', () => {
    const root = path.join(dir!, 'workspaces', account.tenantId, sessionId, 'fill');
    for (const name of fs.readdirSync(root)) {
      const digest = acked.get(`fill/${name}`);
      expect(digest, `unacknowledged file ${name} on disk`).toBeDefined();
      expect(sha(fs.readFileSync(path.join(root, name))), name).toBe(digest);
    }
  });

  it('the node says so: /health 200, /ready 200 degraded, a metric and one log line', async () => {
    expect((await server.api.get('/health')).status).toBe(200);
    expect(await server.api.get('/ready')).toMatchObject({ status: 200, body: { status: 'degraded', reasons: ['storage_full'] } });
    const metrics = await (await fetch(metricsUrl)).text();
    expect(metrics).toMatch(/^coditect_storage_full 1$/m);
    expect(metrics).toMatch(/^coditect_fault_refusals_total\{code="insufficient_storage"\} [1-9]/m);
    expect(logs.match(/storage full: writes are refused/g)).toHaveLength(1);
    expect(logs).not.toContain('unhandled error');
  });

  it('writes resume by themselves once space is freed through the API', async () => {
    const paths = [...acked.keys()];
    for (const p of paths.slice(0, Math.ceil(paths.length / 2))) {
      const res = await server.api.delete(`/sessions/${sessionId}/files?path=${encodeURIComponent(p)}`, { token: account.accessToken });
      expect(res.status, `${p}: ${JSON.stringify(res.body)}`).toBe(204);
      acked.delete(p);
    }
    let ready: unknown;
    for (let i = 0; i < 100; i++) {
      ready = (await server.api.get('/ready')).body;
      if ((ready as { status: string }).status === 'ready') break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(ready).toEqual({ status: 'ready' });
    const body = randomBytes(FILE);
    expect([200, 201]).toContain((await files.put(sessionId, 'after.bin', body)).status);
    acked.set('after.bin', sha(body));
    expect(await (await fetch(metricsUrl)).text()).toMatch(/^coditect_storage_full 0$/m);
    expect(logs).toContain('storage has space again');
  });

  it('a restart on the same data serves every acknowledged file', async () => {
    server.proc.kill('SIGTERM');
    await once(server.proc, 'exit');
    await start();
    const login = await server.api.post('/auth/login', { email: account.email, password: account.password });
    expect(login.status).toBe(200);
    files = new FilesClient(server.api.baseUrl, login.body.accessToken);
    for (const [p, digest] of acked) {
      const res = await files.get(sessionId, p);
      expect(res.status, p).toBe(200);
      expect(sha(res.buf), p).toBe(digest);
    }
  });
});
