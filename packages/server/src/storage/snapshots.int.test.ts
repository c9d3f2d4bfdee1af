import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachEngine } from '../test-support/engines.js';
import { createSession, registerAccount, type Account } from '../test-support/factories.js';
import { FilesClient, treeDigest } from '../test-support/files-client.js';
import { startS3Server } from '../test-support/s3-server.js';
import { startTestServer, type Engine, type TestServer } from '../test-support/test-server.js';
import { workspaceDir } from '../workspaces/workspace-paths.js';

/** A small but varied tree: nested folders, an empty folder, modes, a symlink, an empty file. */
function seed(dir: string) {
  fs.mkdirSync(path.join(dir, 'src/lib'), { recursive: true });
  fs.mkdirSync(path.join(dir, 'empty'));
  fs.writeFileSync(path.join(dir, 'src/main.ts'), 'console.log(1)\n');
  fs.writeFileSync(path.join(dir, 'src/lib/data.bin'), randomBytes(200_000));
  fs.writeFileSync(path.join(dir, 'run.sh'), '#!/bin/sh\necho hi\n', { mode: 0o755 });
  fs.writeFileSync(path.join(dir, 'empty.txt'), '');
  fs.symlinkSync('src/main.ts', path.join(dir, 'main-link'));
}

describeEachEngine('snapshots (local blobs)', (engine) => snapshotSuite(engine, 'local'));
describeEachEngine('snapshots (S3 blobs)', (engine) => snapshotSuite(engine, 's3'));

function snapshotSuite(engine: Engine, blobs: 'local' | 's3') {
  let t: TestServer;
  let a: Account;
  let files: FilesClient;
  let s3: Awaited<ReturnType<typeof startS3Server>> | undefined;
  beforeAll(async () => {
    s3 = blobs === 's3' ? await startS3Server() : undefined;
    t = await startTestServer(engine, { CODITECT_SNAPSHOT_INTERVAL_SECONDS: '0', CODITECT_SYNC_INTERVAL_SECONDS: '0', ...s3?.env });
    a = await registerAccount(t.api);
    files = new FilesClient(`${t.origin}/api/v5`, a.accessToken);
  });
  afterAll(async () => { await t.close(); await s3?.close(); });

  const snapshot = async (sid: string, token = a.accessToken) => {
    const res = await t.api.post(`/sessions/${sid}/snapshots`, { label: 'test' }, { token });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    return res.body;
  };

  it('snapshot → change files → restore in place → byte-identical tree', async () => {
    const sid = (await createSession(t.api, a.accessToken)).id;
    const dir = workspaceDir(t.dataDir, a.tenantId, sid);
    await files.raw('GET', sid, '', {}); // creates the directory
    seed(dir);
    const before = treeDigest(dir);
    const snap = await snapshot(sid);
    expect(snap).toMatchObject({ sessionId: sid, reason: 'manual', fileCount: 4, totalBytes: 200_000 + 15 + 18 });

    fs.writeFileSync(path.join(dir, 'src/main.ts'), 'changed');
    fs.rmSync(path.join(dir, 'src/lib'), { recursive: true });
    fs.mkdirSync(path.join(dir, 'new/deep'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'new/deep/x'), 'x');
    fs.chmodSync(path.join(dir, 'run.sh'), 0o600);
    fs.rmSync(path.join(dir, 'main-link'));
    fs.mkdirSync(path.join(dir, 'main-link'));
    fs.rmSync(path.join(dir, 'empty'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'empty'), 'now a file');
    expect(treeDigest(dir)).not.toEqual(before);

    const restored = await t.api.post(`/sessions/${sid}/snapshots/${snap.id}/restore`, {}, { token: a.accessToken });
    expect(restored.status, JSON.stringify(restored.body)).toBe(200);
    expect(treeDigest(dir)).toEqual(before);

    const list = await t.api.get(`/sessions/${sid}/snapshots`, { token: a.accessToken });
    expect(list.body.items.map((s: { id: string }) => s.id)).toEqual([snap.id]);
  });

  it('fork and fromSnapshot create sessions with the files and parentSessionId', async () => {
    const src = (await createSession(t.api, a.accessToken, 'source')).id;
    const dir = workspaceDir(t.dataDir, a.tenantId, src);
    await files.raw('GET', src, '', {});
    seed(dir);
    const fork = await t.api.post('/sessions', { name: 'fork', forkOf: src }, { token: a.accessToken });
    expect(fork.status, JSON.stringify(fork.body)).toBe(201);
    expect(fork.body.parentSessionId).toBe(src);
    expect(treeDigest(workspaceDir(t.dataDir, a.tenantId, fork.body.id))).toEqual(treeDigest(dir));
    // The fork is independent.
    fs.writeFileSync(path.join(workspaceDir(t.dataDir, a.tenantId, fork.body.id), 'src/main.ts'), 'fork only');
    expect(fs.readFileSync(path.join(dir, 'src/main.ts'), 'utf8')).toBe('console.log(1)\n');

    const snap = await snapshot(src);
    fs.writeFileSync(path.join(dir, 'later.txt'), 'after the snapshot');
    const from = await t.api.post('/sessions', { name: 'from', fromSnapshot: snap.id }, { token: a.accessToken });
    expect(from.status).toBe(201);
    expect(from.body.parentSessionId).toBe(src);
    const fromDir = workspaceDir(t.dataDir, a.tenantId, from.body.id);
    expect(fs.existsSync(path.join(fromDir, 'later.txt'))).toBe(false);
    expect(fs.readFileSync(path.join(fromDir, 'src/main.ts'), 'utf8')).toBe('console.log(1)\n');
    expect((await t.api.post('/sessions', { name: 'x', fromSnapshot: '00000000-0000-4000-8000-000000000000' }, { token: a.accessToken })).status).toBe(404);
  });

  it('a workspace whose directory is gone is restored from its latest snapshot on the next open', async () => {
    const sid = (await createSession(t.api, a.accessToken)).id;
    const dir = workspaceDir(t.dataDir, a.tenantId, sid);
    await files.raw('GET', sid, '', {});
    seed(dir);
    await snapshot(sid);
    const before = treeDigest(dir);
    fs.rmSync(dir, { recursive: true, force: true }); // the node lost its volume
    const list = await files.raw('GET', sid, '', {});
    expect(list.status).toBe(200);
    expect(treeDigest(dir)).toEqual(before);
    expect((await files.get(sid, 'src/main.ts')).buf.toString()).toBe('console.log(1)\n');
  });

  it('dedup: an unchanged 50 MiB workspace re-snapshots with nothing new; tenants never share blobs', async () => {
    const sid = (await createSession(t.api, a.accessToken)).id;
    const dir = workspaceDir(t.dataDir, a.tenantId, sid);
    await files.raw('GET', sid, '', {});
    const chunk = randomBytes(1024 * 1024);
    for (let i = 0; i < 50; i++) fs.writeFileSync(path.join(dir, `f${i}.bin`), Buffer.concat([chunk, Buffer.from([i])]));
    const first = await snapshot(sid);
    expect(first.newBytes).toBeGreaterThan(50 * 1024 * 1024);
    const second = await snapshot(sid);
    expect(second.newBytes).toBe(0);
    expect(second.totalBytes).toBe(first.totalBytes);
    // A change stores only the changed file.
    fs.writeFileSync(path.join(dir, 'f0.bin'), 'small');
    const third = await snapshot(sid);
    expect(third.newBytes).toBeLessThan(64 * 1024);

    // Tenant B with the same bytes stores its own copy: B cannot tell A holds them.
    const b = await registerAccount(t.api);
    const bs = (await createSession(t.api, b.accessToken)).id;
    const bdir = workspaceDir(t.dataDir, b.tenantId, bs);
    await new FilesClient(`${t.origin}/api/v5`, b.accessToken).raw('GET', bs, '', {});
    fs.copyFileSync(path.join(dir, 'f1.bin'), path.join(bdir, 'f1.bin'));
    const bsnap = await snapshot(bs, b.accessToken);
    expect(bsnap.newBytes).toBeGreaterThan(1024 * 1024);
    const keys: string[] = [];
    for await (const o of t.server.deps.storage.blobs.list(`tenants/${b.tenantId}/`)) keys.push(o.key);
    expect(keys.length).toBe(2); // f1.bin's content and B's manifest
  });

  it('automatic snapshots: a scheduler pass snapshots changed workspaces only', async () => {
    const sid = (await createSession(t.api, a.accessToken)).id;
    const dir = workspaceDir(t.dataDir, a.tenantId, sid);
    await files.raw('GET', sid, '', {});
    fs.writeFileSync(path.join(dir, 'auto.txt'), 'auto');
    const { SnapshotScheduler } = await import('./snapshot-scheduler.js');
    const scheduler = new SnapshotScheduler(t.server.deps, 0);
    await scheduler.tick();
    await scheduler.tick();
    await scheduler.close();
    const list = await t.api.get(`/sessions/${sid}/snapshots`, { token: a.accessToken });
    expect(list.body.items.map((s: { reason: string }) => s.reason)).toEqual(['auto']);
  });
}
