/**
 * Continuous sync on one node: a workspace changed through the files API gets
 * a sync point once its writes settle; only the latest is kept and none is
 * listed; an unchanged workspace costs no snapshot; a lost directory comes
 * back from the sync point; symlinks are recorded, never followed. The sync
 * is driven look by look (its timer is off) so nothing here depends on time.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachEngine } from '../test-support/engines.js';
import { createSession, registerAccount, type Account } from '../test-support/factories.js';
import { FilesClient } from '../test-support/files-client.js';
import { startTestServer, type TestServer } from '../test-support/test-server.js';
import { workspaceDir } from '../workspaces/workspace-paths.js';
import { loadManifest } from './manifest.js';
import { snapshotWorkspace } from './snapshots.js';
import { WorkspaceSync } from './workspace-sync.js';

describeEachEngine('continuous workspace sync', (engine) => {
  let t: TestServer;
  let a: Account;
  let files: FilesClient;
  let sync: WorkspaceSync;
  beforeAll(async () => {
    t = await startTestServer(engine, { CODITECT_SNAPSHOT_INTERVAL_SECONDS: '0', CODITECT_SYNC_INTERVAL_SECONDS: '0' });
    a = await registerAccount(t.api);
    files = new FilesClient(`${t.origin}/api/v5`, a.accessToken);
    // Interval 0: no timer, each tick() is one look. A workspace changing at every look is synced after 3 looks.
    sync = new WorkspaceSync(t.server.deps, 0, 3);
  });
  afterAll(async () => { await sync.close(); await t.close(); });

  const syncRows = (sid: string) => t.server.deps.store.tenant(a.tenantId, (tx) => tx.selectFrom('snapshots').selectAll()
    .where('tenant_id', '=', a.tenantId).where('session_id', '=', sid).where('reason', '=', 'sync').execute())
    .then((rows) => rows.map((r) => ({ ...r, file_count: Number(r.file_count), total_bytes: Number(r.total_bytes) })));
  const put = async (sid: string, p: string, body: string) => expect((await files.put(sid, p, body)).status).toBeLessThan(300);

  it('writes settle → one sync point; a new one replaces it; none is listed; an unchanged tree costs no snapshot', async () => {
    const sid = (await createSession(t.api, a.accessToken)).id;
    await put(sid, 'a.txt', 'one');
    await sync.tick(); // sees the change: not settled yet
    expect(await syncRows(sid)).toHaveLength(0);
    await sync.tick(); // unchanged since the last look: settled
    const first = await syncRows(sid);
    expect(first).toHaveLength(1);
    expect(first[0]).toMatchObject({ file_count: 1, total_bytes: 3 });

    await sync.tick();
    await sync.tick();
    expect((await syncRows(sid)).map((r) => r.id)).toEqual([first[0]!.id]);

    await put(sid, 'b.txt', 'two');
    await sync.tick();
    await sync.tick();
    const second = await syncRows(sid);
    expect(second).toHaveLength(1);
    expect(second[0]!.id).not.toBe(first[0]!.id);
    expect(second[0]).toMatchObject({ file_count: 2, total_bytes: 6 });
    const list = await t.api.get(`/sessions/${sid}/snapshots`, { token: a.accessToken });
    expect(list.body.items).toEqual([]);
  });

  it('a workspace that keeps changing is still synced within a bounded number of looks', async () => {
    const sid = (await createSession(t.api, a.accessToken)).id;
    let synced = -1;
    for (let i = 0; i < 8 && synced < 0; i++) {
      await put(sid, 'busy.txt', `version ${i}`);
      await sync.tick();
      if ((await syncRows(sid)).length > 0) synced = i;
    }
    expect(synced).toBeGreaterThanOrEqual(0);
    expect(synced).toBeLessThanOrEqual(4);
  });

  it('a lost workspace directory comes back from the sync point; symlinks are kept as links', async () => {
    const sid = (await createSession(t.api, a.accessToken)).id;
    await put(sid, 'notes.md', 'latest words');
    const dir = workspaceDir(t.dataDir, a.tenantId, sid);
    // The attacker's link: recorded as a link, its target never read.
    fs.symlinkSync('/etc/shadow', path.join(dir, 'secret'));
    await sync.tick();
    await sync.tick();
    const [row] = await syncRows(sid);
    expect(row).toBeDefined();
    const manifest = await loadManifest(t.server.deps.storage.blobs, a.tenantId, row!.manifest_hash);
    expect(manifest.entries.find((e) => e.path === 'secret')).toMatchObject({ type: 'link', target: '/etc/shadow' });
    expect(manifest.entries.find((e) => e.path === 'secret')?.hash).toBeUndefined();

    fs.rmSync(dir, { recursive: true });
    const back = await files.get(sid, 'notes.md');
    expect(back.status).toBe(200);
    expect(back.buf.toString()).toBe('latest words');
    expect(fs.readlinkSync(path.join(dir, 'secret'))).toBe('/etc/shadow');
  });

  it('the snapshot timer still records a restore point when the sync point already holds the same content', async () => {
    const sid = (await createSession(t.api, a.accessToken)).id;
    await put(sid, 'x.txt', 'x');
    await sync.tick();
    await sync.tick();
    expect(await syncRows(sid)).toHaveLength(1);
    const auto = await snapshotWorkspace(t.server.deps, a.tenantId, sid, { reason: 'auto', skipIfUnchanged: true });
    expect(auto).toMatchObject({ reason: 'auto', new_bytes: expect.any(Number) });
    // Its blobs were stored by the sync already: the restore point adds nothing but its rows.
    expect(Number(auto!.new_bytes)).toBe(0);
    const again = await snapshotWorkspace(t.server.deps, a.tenantId, sid, { reason: 'auto', skipIfUnchanged: true });
    expect(again).toBeUndefined();
    const list = await t.api.get(`/sessions/${sid}/snapshots`, { token: a.accessToken });
    expect(list.body.items.map((s: { reason: string }) => s.reason)).toEqual(['auto']);
  });
});
