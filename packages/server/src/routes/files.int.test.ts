import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeEachEngine } from '../test-support/engines.js';
import { createSession, registerAccount, type Account } from '../test-support/factories.js';
import { FilesClient } from '../test-support/files-client.js';
import { startTestServer, tempDir, type TestServer } from '../test-support/test-server.js';
import { workspaceDir } from '../workspaces/workspace-paths.js';

describeEachEngine('files API', (engine) => {
  let t: TestServer;
  let a: Account;
  let files: FilesClient;
  let sid: string;
  let ws: string;
  beforeAll(async () => {
    t = await startTestServer(engine, { CODITECT_SNAPSHOT_INTERVAL_SECONDS: '0' });
    a = await registerAccount(t.api);
    files = new FilesClient(`${t.origin}/api/v5`, a.accessToken);
    sid = (await createSession(t.api, a.accessToken)).id;
    ws = workspaceDir(t.dataDir, a.tenantId, sid);
  });
  afterAll(async () => { await t.close(); });

  it('writes, reads, lists, moves and deletes files', async () => {
    const put = await files.put(sid, 'src/app/main.ts', 'export const x = 1;\n', {}, { parents: 'true' });
    expect(put.status, JSON.stringify(put.body)).toBe(200);
    expect(put.body).toMatchObject({ path: 'src/app/main.ts', size: 20 });
    expect(put.headers.get('etag')).toBe(put.body.etag);
    expect(fs.readFileSync(path.join(ws, 'src/app/main.ts'), 'utf8')).toBe('export const x = 1;\n');

    const got = await files.get(sid, 'src/app/main.ts');
    expect(got.status).toBe(200);
    expect(got.buf.toString()).toBe('export const x = 1;\n');
    expect(got.headers.get('content-type')).toBe('text/x-typescript; charset=utf-8');
    expect(got.headers.get('etag')).toBe(put.body.etag);

    // Without parents a missing folder is a 404.
    expect((await files.put(sid, 'nope/x.txt', 'x')).status).toBe(404);

    const mk = await t.api.post(`/sessions/${sid}/files/mkdir`, { path: 'docs/guides' }, { token: a.accessToken });
    expect(mk.status).toBe(201);
    expect(mk.body).toMatchObject({ name: 'guides', path: 'docs/guides', type: 'directory' });

    const list = await t.api.get(`/sessions/${sid}/files`, { token: a.accessToken });
    expect(list.status).toBe(200);
    expect(list.body.items.map((e: { name: string }) => e.name)).toEqual(['docs', 'src']);
    const tree = await t.api.get(`/sessions/${sid}/files?recursive=true`, { token: a.accessToken });
    expect(tree.body.items.map((e: { path: string }) => e.path)).toEqual(['docs', 'docs/guides', 'src', 'src/app', 'src/app/main.ts']);
    expect(tree.body.items[4]).toMatchObject({ type: 'file', size: 20 });

    const mv = await t.api.post(`/sessions/${sid}/files/move`, { from: 'src/app/main.ts', to: 'docs/main.ts' }, { token: a.accessToken });
    expect(mv.status).toBe(204);
    expect(fs.existsSync(path.join(ws, 'docs/main.ts'))).toBe(true);
    expect((await t.api.post(`/sessions/${sid}/files/move`, { from: 'docs', to: 'docs/guides/x' }, { token: a.accessToken })).body.error.code).toBe('invalid_path');
    await files.put(sid, 'other.ts', 'o');
    expect((await t.api.post(`/sessions/${sid}/files/move`, { from: 'other.ts', to: 'docs/main.ts' }, { token: a.accessToken })).status).toBe(409);
    expect((await t.api.post(`/sessions/${sid}/files/move`, { from: 'other.ts', to: 'docs/main.ts', overwrite: true }, { token: a.accessToken })).status).toBe(204);

    expect((await t.api.delete(`/sessions/${sid}/files?path=docs`, { token: a.accessToken })).status).toBe(409);
    expect((await t.api.delete(`/sessions/${sid}/files?path=docs&recursive=true`, { token: a.accessToken })).status).toBe(204);
    expect(fs.existsSync(path.join(ws, 'docs'))).toBe(false);
    expect((await t.api.delete(`/sessions/${sid}/files?path=docs`, { token: a.accessToken })).status).toBe(404);
  });

  it('paginates a recursive listing without skipping or repeating', async () => {
    const s = (await createSession(t.api, a.accessToken, 'paging')).id;
    const dir = workspaceDir(t.dataDir, a.tenantId, s);
    const expected: string[] = [];
    for (const d of ['a', 'a.b', 'b', 'b/c']) { fs.mkdirSync(path.join(dir, d), { recursive: true }); }
    for (let i = 0; i < 7; i++) for (const d of ['a', 'a.b', 'b/c']) fs.writeFileSync(path.join(dir, d, `f${i}`), 'x');
    const all = await t.api.get(`/sessions/${s}/files?recursive=1&limit=10000`, { token: a.accessToken });
    expected.push(...all.body.items.map((e: { path: string }) => e.path));
    expect(expected.length).toBe(4 + 21);
    for (const limit of [1, 3, 4, 10]) {
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const q: string = `?recursive=true&limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`;
        const page = await t.api.get(`/sessions/${s}/files${q}`, { token: a.accessToken });
        expect(page.status).toBe(200);
        seen.push(...page.body.items.map((e: { path: string }) => e.path));
        cursor = page.body.nextCursor;
      } while (cursor);
      expect(seen, `limit ${limit}`).toEqual(expected);
    }
  });

  it('ETag, If-None-Match, Range and If-Match', async () => {
    const body = Buffer.from('0123456789abcdef');
    const first = await files.put(sid, 'range.bin', body);
    const etag = first.body.etag as string;
    expect((await files.get(sid, 'range.bin', { 'if-none-match': etag })).status).toBe(304);
    const part = await files.get(sid, 'range.bin', { range: 'bytes=2-5' });
    expect(part.status).toBe(206);
    expect(part.buf.toString()).toBe('2345');
    expect(part.headers.get('content-range')).toBe('bytes 2-5/16');
    expect((await files.get(sid, 'range.bin', { range: 'bytes=-3' })).buf.toString()).toBe('def');
    expect((await files.get(sid, 'range.bin', { range: 'bytes=10-' })).buf.toString()).toBe('abcdef');
    const bad = await files.get(sid, 'range.bin', { range: 'bytes=99-' });
    expect(bad.status).toBe(416);
    expect(bad.headers.get('content-range')).toBe('bytes */16');
    expect((await files.get(sid, 'range.bin', { range: 'bytes=2-5', 'if-range': '"stale"' })).status).toBe(200);

    const stale = await files.put(sid, 'range.bin', 'new', { 'if-match': '"stale"' });
    expect(stale.status).toBe(412);
    expect(stale.body.error.code).toBe('precondition_failed');
    expect(fs.readFileSync(path.join(ws, 'range.bin'))).toEqual(body);
    const ok = await files.put(sid, 'range.bin', 'new', { 'if-match': etag });
    expect(ok.status).toBe(200);
    expect(ok.body.etag).not.toBe(etag);
    expect((await files.put(sid, 'range.bin', 'x', { 'if-none-match': '*' })).status).toBe(412);
    expect((await files.put(sid, 'fresh.txt', 'x', { 'if-none-match': '*' })).status).toBe(200);
  });

  it('concurrent writers with the same If-Match: exactly one wins', async () => {
    const base = await files.put(sid, 'race.txt', 'v0');
    const results = await Promise.all(Array.from({ length: 12 }, (_, i) =>
      files.put(sid, 'race.txt', `writer ${i} `.repeat(1000), { 'if-match': base.body.etag })));
    const statuses = results.map((r) => r.status).sort();
    expect(statuses.filter((s) => s === 200)).toHaveLength(1);
    expect(statuses.filter((s) => s === 412)).toHaveLength(11);
    const winner = results.find((r) => r.status === 200)!;
    expect((await files.get(sid, 'race.txt')).headers.get('etag')).toBe(winner.body.etag);
    expect(fs.readdirSync(path.join(ws, '..', '.staging'))).toEqual([]);
  });

  it('uploads many files with their folders (multipart) and archives them back', async () => {
    const up = await files.upload(sid, 'uploaded', { 'proj/a.txt': 'A', 'proj/sub/b.txt': 'BB', 'c.md': '# C' });
    expect(up.status, JSON.stringify(up.json)).toBe(201);
    expect(up.json.items.map((i: { path: string }) => i.path).sort()).toEqual(['uploaded/c.md', 'uploaded/proj/a.txt', 'uploaded/proj/sub/b.txt']);
    expect(fs.readFileSync(path.join(ws, 'uploaded/proj/sub/b.txt'), 'utf8')).toBe('BB');
    fs.symlinkSync('proj/a.txt', path.join(ws, 'uploaded/link'));

    const tgz = await files.raw('GET', sid, '/archive', { path: 'uploaded', format: 'tar.gz' });
    expect(tgz.status).toBe(200);
    expect(tgz.headers.get('content-type')).toBe('application/gzip');
    const out = tempDir('coditect-untar-');
    fs.writeFileSync(path.join(out, 'a.tgz'), tgz.buf);
    const { execFileSync } = await import('node:child_process');
    execFileSync('tar', ['-xzf', 'a.tgz'], { cwd: out });
    expect(fs.readFileSync(path.join(out, 'uploaded/proj/sub/b.txt'), 'utf8')).toBe('BB');
    expect(fs.readlinkSync(path.join(out, 'uploaded/link'))).toBe('proj/a.txt');

    const zip = await files.raw('GET', sid, '/archive', { format: 'zip' });
    expect(zip.status).toBe(200);
    const yauzl = (await import('yauzl')).default;
    const names = await new Promise<string[]>((resolve, reject) => {
      yauzl.fromBuffer(zip.buf, { lazyEntries: true }, (err, z) => {
        if (err || !z) return reject(err);
        const found: string[] = [];
        z.on('entry', (e: { fileName: string }) => { found.push(e.fileName); z.readEntry(); });
        z.on('end', () => resolve(found));
        z.readEntry();
      });
    });
    expect(names).toContain('workspace/uploaded/proj/sub/b.txt');
    fs.rmSync(out, { recursive: true, force: true });
  });

  it('an archive download abandoned midway stops and releases its descriptors', async () => {
    const s = (await createSession(t.api, a.accessToken, 'abandoned archive')).id;
    await files.raw('GET', s, '', {});
    // Deep, so a walk left hanging would hold one descriptor per level; random, so gzip cannot shrink it.
    const deep = path.join(workspaceDir(t.dataDir, a.tenantId, s), ...Array.from({ length: 30 }, () => 'level'));
    fs.mkdirSync(deep, { recursive: true });
    for (let i = 0; i < 12; i++) fs.writeFileSync(path.join(deep, `blob${i}.bin`), randomBytes(1024 * 1024));
    const openFds = () => fs.readdirSync('/proc/self/fd').length;
    const before = openFds();
    for (const format of ['tar.gz', 'zip']) {
      const abort = new AbortController();
      const res = await fetch(files.url(s, '/archive', { format }), { headers: { authorization: `Bearer ${a.accessToken}` }, signal: abort.signal });
      expect(res.status).toBe(200);
      await res.body!.getReader().read();
      abort.abort();
    }
    await expect.poll(openFds, { timeout: 15_000, interval: 100 }).toBeLessThan(before + 10);
  });

  describe('path safety (attacker inside the workspace and on the wire)', () => {
    let outside: string;
    let secret: string;
    let victimDir: string;
    beforeAll(async () => {
      outside = tempDir('coditect-outside-');
      secret = path.join(outside, 'secret.txt');
      fs.writeFileSync(secret, 'TOP SECRET');
      // Another tenant's workspace with a file in it.
      const v = await registerAccount(t.api);
      const vs = (await createSession(t.api, v.accessToken)).id;
      const vfiles = new FilesClient(`${t.origin}/api/v5`, v.accessToken);
      expect((await vfiles.put(vs, 'private.txt', 'victim data')).status).toBe(200);
      victimDir = workspaceDir(t.dataDir, v.tenantId, vs);
      // Links "created from the IDE terminal".
      fs.symlinkSync(outside, path.join(ws, 'out-dir'));
      fs.symlinkSync(secret, path.join(ws, 'out-file'));
      fs.symlinkSync(path.join(outside, 'not-yet'), path.join(ws, 'dangling'));
      fs.symlinkSync(victimDir, path.join(ws, 'victim'));
      fs.symlinkSync('../../..', path.join(ws, 'up'));
      fs.mkdirSync(path.join(ws, 'inner'), { recursive: true });
      fs.symlinkSync('../out-dir', path.join(ws, 'inner/chain'));
    });
    afterAll(() => { fs.rmSync(outside, { recursive: true, force: true }); });

    const tricks = [
      '../secret.txt', 'a/../../secret.txt', '..', '/etc/passwd', 'C:/Windows/win.ini', 'a\\..\\..\\b', '..\\secret.txt',
      'a/\u0000b', 'x\nwhatever', `${'a/'.repeat(600)}f`, 'n'.repeat(256),
      'out-dir/secret.txt', 'out-file', 'dangling', 'victim/private.txt', 'up/etc/passwd', 'inner/chain/secret.txt',
    ];
    const rejected = (status: number) => [400, 404].includes(status);

    it('every endpoint refuses every trick and nothing outside changes', async () => {
      for (const p of tricks) {
        const tag = JSON.stringify(p);
        expect(rejected((await files.get(sid, p)).status), `GET content ${tag}`).toBe(true);
        expect(rejected((await files.put(sid, p, 'pwned', {}, { parents: 'true' })).status), `PUT ${tag}`).toBe(true);
        expect(rejected((await files.raw('GET', sid, '', { path: p })).status) || p === 'out-file' || p === 'dangling',
          `list ${tag}`).toBe(true);
        expect(rejected((await files.raw('GET', sid, '/archive', { path: p })).status) || p === 'out-file' || p === 'dangling',
          `archive ${tag}`).toBe(true);
        expect(rejected((await t.api.post(`/sessions/${sid}/files/mkdir`, { path: `${p}/new` }, { token: a.accessToken })).status), `mkdir ${tag}`).toBe(true);
        expect(rejected((await t.api.post(`/sessions/${sid}/files/move`, { from: 'fresh.txt', to: `${p}/moved` }, { token: a.accessToken })).status), `move to ${tag}`).toBe(true);
        expect(rejected((await t.api.post(`/sessions/${sid}/files/move`, { from: `${p}/x`, to: 'moved' }, { token: a.accessToken })).status), `move from ${tag}`).toBe(true);
        expect(rejected((await t.api.delete(`/sessions/${sid}/files?path=${encodeURIComponent(`${p}/x`)}&recursive=true`, { token: a.accessToken })).status), `delete ${tag}`).toBe(true);
        // FormData percent-encodes control characters in file names, so those arrive as harmless names.
        // eslint-disable-next-line no-control-regex
        if (!/[\u0000-\u001f]/.test(p)) {
          expect(rejected((await files.upload(sid, '', { [p]: 'pwned' })).status), `upload name ${tag}`).toBe(true);
        }
        expect(rejected((await files.upload(sid, p, { 'x.txt': 'pwned' })).status), `upload dir ${tag}`).toBe(true);
      }
      // Reading a link answers symlink_not_followed, never the content; so does a path through one.
      const viaLink = await files.get(sid, 'out-file');
      expect(viaLink.json().error.code).toBe('symlink_not_followed');
      expect((await files.get(sid, 'inner/chain/secret.txt')).json().error.code).toBe('symlink_not_followed');
      expect(viaLink.buf.toString()).not.toContain('TOP SECRET');
      // Outside is untouched.
      expect(fs.readdirSync(outside)).toEqual(['secret.txt']);
      expect(fs.readFileSync(secret, 'utf8')).toBe('TOP SECRET');
      expect(fs.readdirSync(victimDir)).toEqual(['private.txt']);
      expect(fs.readFileSync(path.join(victimDir, 'private.txt'), 'utf8')).toBe('victim data');
      expect(fs.existsSync(path.join(t.dataDir, 'pwned'))).toBe(false);
      expect(fs.existsSync(path.join(ws, 'fresh.txt'))).toBe(true);
    });

    it('links are listed as links, deleted as links, and archives keep them as links', async () => {
      const list = await t.api.get(`/sessions/${sid}/files`, { token: a.accessToken });
      const link = list.body.items.find((e: { name: string }) => e.name === 'out-file');
      expect(link).toMatchObject({ type: 'symlink', size: 0 });
      // Deleting the link removes the link, never its target.
      expect((await t.api.delete(`/sessions/${sid}/files?path=out-dir&recursive=true`, { token: a.accessToken })).status).toBe(204);
      expect(fs.readFileSync(secret, 'utf8')).toBe('TOP SECRET');
      // Even a link to a file inside is not followed (the server never resolves a link): reads and
      // writes through it answer symlink_not_followed and leave link and target as they were.
      fs.symlinkSync('fresh.txt', path.join(ws, 'alias'));
      const put = await files.put(sid, 'alias', 'through alias');
      expect(put.status).toBe(400);
      expect(put.body.error.code).toBe('symlink_not_followed');
      expect((await files.get(sid, 'alias')).json().error.code).toBe('symlink_not_followed');
      expect(fs.readlinkSync(path.join(ws, 'alias'))).toBe('fresh.txt');
      expect((await files.put(sid, 'fresh.txt', 'direct')).status).toBe(200);
    });
  });

  it("another tenant's session, files and snapshots are 404 on every endpoint", async () => {
    const b = await registerAccount(t.api);
    const bf = new FilesClient(`${t.origin}/api/v5`, b.accessToken);
    const snap = await t.api.post(`/sessions/${sid}/snapshots`, {}, { token: a.accessToken });
    expect(snap.status).toBe(201);
    const checks = [
      (await bf.get(sid, 'fresh.txt')).status,
      (await bf.put(sid, 'fresh.txt', 'x')).status,
      (await bf.raw('GET', sid, '', {})).status,
      (await bf.raw('GET', sid, '/archive', {})).status,
      (await bf.upload(sid, '', { 'x.txt': 'x' })).status,
      (await t.api.post(`/sessions/${sid}/files/mkdir`, { path: 'x' }, { token: b.accessToken })).status,
      (await t.api.post(`/sessions/${sid}/files/move`, { from: 'fresh.txt', to: 'y' }, { token: b.accessToken })).status,
      (await t.api.delete(`/sessions/${sid}/files?path=fresh.txt`, { token: b.accessToken })).status,
      (await t.api.post(`/sessions/${sid}/snapshots`, {}, { token: b.accessToken })).status,
      (await t.api.get(`/sessions/${sid}/snapshots`, { token: b.accessToken })).status,
      (await t.api.post(`/sessions/${sid}/snapshots/${snap.body.id}/restore`, {}, { token: b.accessToken })).status,
      (await t.api.post('/sessions', { name: 'steal', fromSnapshot: snap.body.id }, { token: b.accessToken })).status,
      (await t.api.post('/sessions', { name: 'steal', forkOf: sid }, { token: b.accessToken })).status,
    ];
    expect(checks).toEqual(checks.map(() => 404));
    // B restoring its own session to A's snapshot id: 404 too.
    const bs = (await createSession(t.api, b.accessToken)).id;
    expect((await t.api.post(`/sessions/${bs}/snapshots/${snap.body.id}/restore`, {}, { token: b.accessToken })).status).toBe(404);
    expect(fs.readFileSync(path.join(ws, 'fresh.txt'), 'utf8')).toBe('direct');
    expect((await bf.get(sid, 'fresh.txt')).status).toBe(404);
    // Unauthenticated: 401.
    expect((await fetch(files.url(sid, '/content', { path: 'fresh.txt' }))).status).toBe(401);
  });
});
