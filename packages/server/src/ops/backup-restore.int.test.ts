import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pino from 'pino';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { loadConfig, type Config } from '../config/config.js';
import { FAKE_UPSTREAM_EGRESS, FakeUpstream } from '../llm/testing/fake-upstream.js';
import { startServer, type RunningServer } from '../server.js';
import { describeEachEngine } from '../test-support/engines.js';
import { createSession, login, registerAccount, type Account } from '../test-support/factories.js';
import { FilesClient, treeDigest } from '../test-support/files-client.js';
import { TestClient } from '../test-support/http-client.js';
import { createTestDatabase, startTestServer, tempDir, type Engine, type TestServer } from '../test-support/test-server.js';
import { workspaceDir } from '../workspaces/workspace-paths.js';
import { backupInstance } from './backup.js';
import { OpsError } from './backup-format.js';
import { existingTables } from './database-dump.js';
import { restoreInstance } from './restore.js';

const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
const OPENAI_KEY = 'sk-backup-roundtrip-0123456789abcdef';

/** Env of a server on a given data dir and database (what startTestServer sets, minus the fresh dirs). */
const envFor = (dataDir: string, databaseUrl: string): Record<string, string> => ({
  NODE_ENV: 'test', HOST: '127.0.0.1', PORT: '0', CODITECT_LOG_LEVEL: 'silent', CODITECT_SNAPSHOT_INTERVAL_SECONDS: '0',
  CODITECT_RATE_LIMIT_LOGIN_IP: '10000/60s', CODITECT_RATE_LIMIT_REGISTER_IP: '10000/60s', CODITECT_RATE_LIMIT_LOGIN_ACCOUNT: '10000/60s',
  CODITECT_DATA_DIR: dataDir, CODITECT_DATABASE_URL: databaseUrl, ...FAKE_UPSTREAM_EGRESS,
});

async function serverOn(config: Config): Promise<{ server: RunningServer; api: TestClient; origin: string }> {
  const server = await startServer(config, { log: pino({ level: 'silent' }) });
  return { server, api: new TestClient(`${server.url}/api/v5`), origin: server.url };
}

describeEachEngine('instance backup and restore', (engine: Engine) => {
  let fake: FakeUpstream;
  let a: TestServer;
  const cleanup: string[] = [];
  beforeAll(async () => {
    fake = await new FakeUpstream().start();
    a = await startTestServer(engine, { CODITECT_SNAPSHOT_INTERVAL_SECONDS: '0', ...FAKE_UPSTREAM_EGRESS });
  });
  afterAll(async () => {
    await a?.close();
    await fake?.close();
    for (const d of cleanup) fs.rmSync(d, { recursive: true, force: true });
  });
  const fresh = () => {
    const dataDir = tempDir('coditect-restore-');
    cleanup.push(dataDir);
    return loadConfig(envFor(dataDir, createTestDatabase(engine, dataDir)));
  };
  const backupDir = () => {
    const d = tempDir('coditect-backup-');
    cleanup.push(d);
    return path.join(d, 'b');
  };

  it('round-trips users, sessions, files, snapshots and encrypted provider keys (backup taken while serving)', async () => {
    // Populate through the real API.
    const u1 = await registerAccount(a.api);
    const u2 = await registerAccount(a.api);
    expect((await login(a.api, u1.email)).status).toBe(200); // a second device
    const s1 = await createSession(a.api, u1.accessToken, 'alpha');
    const s2 = await createSession(a.api, u1.accessToken, 'beta');
    const s3 = await createSession(a.api, u2.accessToken, 'gamma');
    const f1 = new FilesClient(`${a.origin}/api/v5`, u1.accessToken);
    const f2 = new FilesClient(`${a.origin}/api/v5`, u2.accessToken);
    const big = randomBytes(1024 * 1024 + 7);
    for (const [fc, sid, p, body] of [
      [f1, s1.id, 'src/main.ts', 'console.log("alpha")\n'], [f1, s1.id, 'data/big.bin', big],
      [f1, s2.id, 'README.md', '# beta\n'], [f2, s3.id, 'notes/today.md', 'gamma notes\n'],
    ] as [FilesClient, string, string, string | Buffer][]) {
      const r = await fc.put(sid, p, body, {}, { parents: 'true' });
      expect(r.status, JSON.stringify(r.body)).toBeLessThan(300);
    }
    const dir1 = workspaceDir(a.dataDir, u1.tenantId, s1.id);
    fs.symlinkSync('src/main.ts', path.join(dir1, 'link'));
    fs.chmodSync(path.join(dir1, 'src/main.ts'), 0o640);
    const snapDigest = treeDigest(dir1);
    const snap = await a.api.post(`/sessions/${s1.id}/snapshots`, { label: 'before backup' }, { token: u1.accessToken });
    expect(snap.status, JSON.stringify(snap.body)).toBe(201);
    // The workspace moves on after the snapshot: the backup must carry the live files, not only the snapshot.
    expect((await f1.put(s1.id, 'after-snapshot.txt', 'only in the workspace')).status).toBeLessThan(300);
    const prov = await a.api.put('/llm/providers/openai', { apiKey: OPENAI_KEY, baseUrl: fake.baseUrl('openai'), enabled: true }, { token: u1.accessToken });
    expect(prov.status, JSON.stringify(prov.body)).toBe(200);

    const accounts: [Account, { id: string }[]][] = [[u1, [s1, s2]], [u2, [s3]]];
    const before = {
      sessions: await Promise.all(accounts.map(([u]) => a.api.get('/sessions', { token: u.accessToken }).then((r) => r.body))),
      snapshots: (await a.api.get(`/sessions/${s1.id}/snapshots`, { token: u1.accessToken })).body,
      providers: (await a.api.get('/llm/providers', { token: u1.accessToken })).body,
      trees: accounts.flatMap(([u, ss]) => ss.map((s) => treeDigest(workspaceDir(a.dataDir, u.tenantId, s.id)))),
      me: (await a.api.get('/users/me', { token: u1.accessToken })).body,
    };

    // Back up while the server runs.
    const to = backupDir();
    const { manifest } = await backupInstance(a.server.deps.config, { to });
    expect(manifest.source.database).toBe(engine);
    expect(manifest.blobs.count).toBeGreaterThanOrEqual(3); // big.bin, main.ts, the snapshot manifest
    expect(manifest.secrets).toEqual(expect.arrayContaining(['jwt-secret', 'llm-master-key']));
    expect(fs.statSync(to).mode & 0o777).toBe(0o700);
    // Written after the backup: must not come back.
    expect((await f1.put(s1.id, 'after-backup.txt', 'late')).status).toBeLessThan(300);

    // A second backup links the blobs the first one holds.
    const to2 = backupDir();
    const second = await backupInstance(a.server.deps.config, { to: to2, linkDest: to });
    expect(second.manifest.blobs.count).toBe(manifest.blobs.count);
    const someBlob = fs.readFileSync(path.join(to, 'blobs.tsv'), 'utf8').split('\t')[0]!;
    expect(fs.statSync(path.join(to2, 'blobs', someBlob)).ino).toBe(fs.statSync(path.join(to, 'blobs', someBlob)).ino);

    // Restore into a fresh data dir and database, then serve it.
    const target = fresh();
    await restoreInstance(target, { from: to });
    const b = await serverOn(target);
    try {
      // Tokens issued by the old instance still verify: the JWT secret and the auth sessions came back.
      expect((await b.api.get('/users/me', { token: u1.accessToken })).body).toEqual(before.me);
      for (const [u] of accounts) expect((await login(b.api, u.email, u.password)).status).toBe(200);
      expect(await Promise.all(accounts.map(([u]) => b.api.get('/sessions', { token: u.accessToken }).then((r) => r.body)))).toEqual(before.sessions);
      expect(accounts.flatMap(([u, ss]) => ss.map((s) => treeDigest(workspaceDir(target.dataDir, u.tenantId, s.id))))).toEqual(before.trees);
      expect(fs.existsSync(path.join(workspaceDir(target.dataDir, u1.tenantId, s1.id), 'after-backup.txt'))).toBe(false);
      const got = await new FilesClient(`${b.origin}/api/v5`, u1.accessToken).get(s1.id, 'data/big.bin');
      expect(got.status).toBe(200);
      expect(got.buf.equals(big)).toBe(true);
      // Cross-tenant isolation survived.
      expect((await b.api.get(`/sessions/${s3.id}`, { token: u1.accessToken })).status).toBe(404);

      // Snapshots are listed and restorable.
      expect((await b.api.get(`/sessions/${s1.id}/snapshots`, { token: u1.accessToken })).body).toEqual(before.snapshots);
      const r = await b.api.post(`/sessions/${s1.id}/snapshots/${snap.body.id}/restore`, {}, { token: u1.accessToken });
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      expect(treeDigest(workspaceDir(target.dataDir, u1.tenantId, s1.id))).toEqual(snapDigest);
      const fork = await b.api.post('/sessions', { name: 'from backup', fromSnapshot: snap.body.id }, { token: u1.accessToken });
      expect(fork.status, JSON.stringify(fork.body)).toBe(201);

      // The provider key still decrypts with the restored master key: the upstream receives it.
      expect((await b.api.get('/llm/providers', { token: u1.accessToken })).body).toEqual(before.providers);
      const chat = await fetch(`${b.api.baseUrl}/llm/chat`, {
        method: 'POST', headers: { authorization: `Bearer ${u1.accessToken}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'openai/gpt-4o', persist: false, messages: [{ role: 'user', content: 'after restore' }] }),
      });
      expect(chat.status).toBe(200);
      await chat.text();
      expect(fake.last('openai')!.headers.authorization).toBe(`Bearer ${OPENAI_KEY}`);
    } finally {
      await b.server.close();
    }

    // The restored instance is now non-empty: a second restore is refused and changes nothing…
    await expect(restoreInstance(target, { from: to2 })).rejects.toThrow(/not empty/);
    // …unless forced.
    await restoreInstance(target, { from: to2, force: true });
    const c = await serverOn(target);
    try {
      expect((await login(c.api, u2.email, u2.password)).status).toBe(200);
      // to2 was taken after after-backup.txt was written: the tree is A's as it is now.
      expect(treeDigest(workspaceDir(target.dataDir, u1.tenantId, s1.id))).toEqual(treeDigest(dir1));
    } finally {
      await c.server.close();
    }
  });

  it('verifies every checksum before touching the target, and refuses a non-empty backup dir', async () => {
    const u = await registerAccount(a.api);
    const s = await createSession(a.api, u.accessToken);
    await new FilesClient(`${a.origin}/api/v5`, u.accessToken).put(s.id, 'x.bin', randomBytes(5000));
    expect((await a.api.post(`/sessions/${s.id}/snapshots`, {}, { token: u.accessToken })).status).toBe(201);
    const to = backupDir();
    await backupInstance(a.server.deps.config, { to });
    await expect(backupInstance(a.server.deps.config, { to })).rejects.toThrow(OpsError);

    const blob = fs.readFileSync(path.join(to, 'blobs.tsv'), 'utf8').split('\n').find((l) => l.includes(u.tenantId))!.split('\t')[0]!;
    const file = path.join(to, 'blobs', blob);
    const bytes = fs.readFileSync(file);
    bytes[0] = bytes[0]! ^ 0xff;
    fs.writeFileSync(file, bytes);
    const target = fresh();
    await expect(restoreInstance(target, { from: to })).rejects.toThrow(/damaged.*\n.*checksum mismatch/);
    expect(await existingTables(target.database.kind === 'sqlite' ? target.database : { kind: 'postgres', url: target.database.url })).toBe(0);
    expect(fs.readdirSync(target.dataDir).filter((n) => n !== 'test.db')).toEqual([]);
  });

  it('runs as `npm run backup` / `npm run restore` (built scripts)', async () => {
    if (!fs.existsSync(path.join(ROOT, 'packages/server/dist/ops/cli.js'))) throw new Error('build first: npm run build');
    const to = backupDir();
    const env = { ...process.env, ...envFor(a.dataDir, a.databaseUrl) };
    const bk = spawnSync(process.execPath, [path.join(ROOT, 'scripts/ops.mjs'), 'backup', '--to', to], { env, encoding: 'utf8' });
    expect(bk.status, bk.stderr).toBe(0);
    expect(bk.stdout).toMatch(/Backed up to/);
    const usage = spawnSync(process.execPath, [path.join(ROOT, 'scripts/ops.mjs'), 'restore'], { env, encoding: 'utf8' });
    expect(usage.status).toBe(2);
    const target = fresh();
    const rs = spawnSync(process.execPath, [path.join(ROOT, 'scripts/ops.mjs'), 'restore', '--from', to],
      { env: { ...process.env, ...envFor(target.dataDir, target.database.kind === 'sqlite' ? `sqlite:${target.database.file}` : target.database.url) }, encoding: 'utf8' });
    expect(rs.status, rs.stderr).toBe(0);
    const again = spawnSync(process.execPath, [path.join(ROOT, 'scripts/ops.mjs'), 'restore', '--from', to],
      { env: { ...process.env, ...envFor(target.dataDir, target.database.kind === 'sqlite' ? `sqlite:${target.database.file}` : target.database.url) }, encoding: 'utf8' });
    expect(again.status).toBe(1);
    expect(again.stderr).toMatch(/not empty/);
  });
});
