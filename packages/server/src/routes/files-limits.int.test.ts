import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachEngine } from '../test-support/engines.js';
import { createSession, registerAccount, type Account } from '../test-support/factories.js';
import { FilesClient, type Body } from '../test-support/files-client.js';
import { startTestServer, type TestServer } from '../test-support/test-server.js';
import { workspaceDir } from '../workspaces/workspace-paths.js';

const KiB = 1024;

describeEachEngine('files API limits', (engine) => {
  let t: TestServer;
  let a: Account;
  let files: FilesClient;
  let sid: string;
  let ws: string;
  beforeAll(async () => {
    t = await startTestServer(engine, {
      CODITECT_STORAGE_QUOTA: '1MiB', CODITECT_MAX_FILE_SIZE: '256KiB', CODITECT_SNAPSHOT_INTERVAL_SECONDS: '0',
    });
    a = await registerAccount(t.api);
    files = new FilesClient(`${t.origin}/api/v5`, a.accessToken);
    sid = (await createSession(t.api, a.accessToken)).id;
    ws = workspaceDir(t.dataDir, a.tenantId, sid);
  });
  afterAll(async () => { await t.close(); });

  const staging = () => fs.readdirSync(path.join(ws, '..', '.staging'));
  const usage = async () => (await t.api.get('/storage/usage', { token: a.accessToken })).body;
  /** A body of unknown length (chunked), so only the streaming counter can stop it. */
  const chunked = (bytes: number) => Readable.toWeb(Readable.from((function* () {
    for (let sent = 0; sent < bytes; sent += 16 * KiB) yield Buffer.alloc(Math.min(16 * KiB, bytes - sent), 1);
  })())) as unknown as Body;

  it('a file over the size limit is refused (with or without Content-Length) and leaves nothing', async () => {
    const known = await files.put(sid, 'big.bin', Buffer.alloc(300 * KiB));
    expect(known.status).toBe(413);
    expect(known.body.error.code).toBe('file_too_large');
    const streamed = await files.put(sid, 'big.bin', chunked(300 * KiB));
    expect(streamed.status).toBe(413);
    expect(streamed.body.error.code).toBe('file_too_large');
    expect(fs.existsSync(path.join(ws, 'big.bin'))).toBe(false);
    expect(staging()).toEqual([]);
    expect((await usage()).usedBytes).toBe(0);
  });

  it('the tenant quota counts every session; going over is refused with nothing half-written', async () => {
    for (let i = 0; i < 4; i++) expect((await files.put(sid, `f${i}.bin`, Buffer.alloc(250 * KiB))).status).toBe(200);
    expect((await usage())).toMatchObject({ usedBytes: 1000 * KiB, quotaBytes: 1024 * KiB, maxFileBytes: 256 * KiB });
    const other = (await createSession(t.api, a.accessToken, 'other')).id;
    const over = await files.put(other, 'x.bin', chunked(100 * KiB));
    expect(over.status).toBe(413);
    expect(over.body.error.code).toBe('quota_exceeded');
    expect(fs.readdirSync(workspaceDir(t.dataDir, a.tenantId, other))).toEqual([]);
    // Replacing a file only counts the difference.
    expect((await files.put(sid, 'f0.bin', Buffer.alloc(260 * KiB - 1 - 240 * KiB))).status).toBe(200);
    // A multi-file upload that does not fit writes none of its files.
    const up = await files.upload(sid, 'up', { 'a.bin': Buffer.alloc(200 * KiB), 'b.bin': Buffer.alloc(200 * KiB) });
    expect(up.status).toBe(413);
    expect(fs.existsSync(path.join(ws, 'up'))).toBe(false);
    expect(staging()).toEqual([]);
    // Deleting frees quota.
    expect((await t.api.delete(`/sessions/${sid}/files?path=f1.bin`, { token: a.accessToken })).status).toBe(204);
    expect((await files.put(other, 'x.bin', Buffer.alloc(200 * KiB))).status).toBe(200);
    // Concurrent writers cannot both squeeze into the same headroom.
    const before = (await usage()).usedBytes;
    const racers = await Promise.all(Array.from({ length: 6 }, (_, i) => files.put(other, `r${i}.bin`, Buffer.alloc(200 * KiB))));
    const won = racers.filter((r) => r.status === 200).length;
    expect(before + won * 200 * KiB).toBeLessThanOrEqual(1024 * KiB);
    expect(racers.every((r) => r.status === 200 || r.body.error.code === 'quota_exceeded')).toBe(true);
  });
});

describeEachEngine('files API large transfers', (engine) => {
  let t: TestServer;
  beforeAll(async () => { t = await startTestServer(engine, { CODITECT_MAX_FILE_SIZE: '256MiB', CODITECT_SNAPSHOT_INTERVAL_SECONDS: '0' }); });
  afterAll(async () => { await t.close(); });

  it('a 200 MiB upload and download stream: RSS grows far less than the file', async () => {
    const a = await registerAccount(t.api);
    const files = new FilesClient(`${t.origin}/api/v5`, a.accessToken);
    const sid = (await createSession(t.api, a.accessToken)).id;
    const size = 200 * 1024 * 1024;
    const block = Buffer.alloc(1024 * 1024, 7);
    global.gc?.();
    const rss0 = process.memoryUsage().rss;
    let peak = rss0;
    const sample = setInterval(() => { peak = Math.max(peak, process.memoryUsage().rss); }, 20);
    const body = Readable.toWeb(Readable.from((function* () { for (let i = 0; i < 200; i++) yield block; })())) as unknown as Body;
    // connection: close — see the report: a keep-alive socket after a streamed 200 MiB upload delayed server close.
    const put = await files.put(sid, 'huge.bin', body, { 'content-length': String(size), connection: 'close' });
    expect(put.status, JSON.stringify(put.body)).toBe(200);
    expect(put.body.size).toBe(size);
    const res = await fetch(files.url(sid, '/content', { path: 'huge.bin' }), { headers: { authorization: `Bearer ${a.accessToken}`, connection: 'close' } });
    let received = 0;
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) received += chunk.length;
    clearInterval(sample);
    expect(received).toBe(size);
    const growth = peak - rss0;
    console.log(`[large transfer ${engine}] RSS growth ${(growth / 1048576).toFixed(1)} MiB for a 200 MiB file`);
    expect(growth).toBeLessThan(size / 4);
  }, 120_000);
});
