import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BlobNotFoundError, blobKey, type BlobStore } from './blob-store.js';
import { LocalBlobStore } from './local-blob-store.js';
import { S3BlobStore } from './s3-blob-store.js';

const freePort = () => new Promise<number>((resolve) => {
  const srv = net.createServer().listen(0, '127.0.0.1', () => {
    const { port } = srv.address() as net.AddressInfo;
    srv.close(() => resolve(port));
  });
});

interface Backend { name: string; open(): Promise<{ store: BlobStore; close(): Promise<void> }> }

const backends: Backend[] = [
  {
    name: 'local disk',
    async open() {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'coditect-blobs-'));
      return { store: new LocalBlobStore(dir), close: async () => fs.rmSync(dir, { recursive: true, force: true }) };
    },
  },
  {
    name: 'S3 (s3rver on loopback)',
    async open() {
      const { default: S3rver } = await import('s3rver');
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'coditect-s3rver-'));
      const port = await freePort();
      const server = new S3rver({ port, address: '127.0.0.1', silent: true, directory: dir, configureBuckets: [{ name: 'coditect-test', configs: [] }] });
      await server.run();
      const store = new S3BlobStore({
        kind: 's3', bucket: 'coditect-test', prefix: 'blobs', endpoint: `http://127.0.0.1:${port}`, region: 'us-east-1',
        credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' }, forcePathStyle: true,
      });
      return {
        store,
        close: async () => { await store.close(); await server.close(); fs.rmSync(dir, { recursive: true, force: true }); },
      };
    },
  },
];

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const T1 = '11111111-1111-4111-8111-111111111111';
const T2 = '22222222-2222-4222-8222-222222222222';

for (const backend of backends) {
  describe(`blob store: ${backend.name}`, () => {
    let store: BlobStore;
    let close: () => Promise<void>;
    let tmp: string;
    beforeAll(async () => {
      ({ store, close } = await backend.open());
      tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'coditect-blobtmp-'));
    });
    afterAll(async () => { await close(); fs.rmSync(tmp, { recursive: true, force: true }); });

    it('stores files and buffers, reads them back as streams and files', async () => {
      const data = randomBytes(3 * 1024 * 1024 + 17);
      const file = path.join(tmp, 'in.bin');
      fs.writeFileSync(file, data);
      const key = blobKey(T1, sha(data));
      expect(await store.has(key)).toBe(false);
      await store.putFile(key, file, data.length);
      expect(await store.has(key)).toBe(true);
      const chunks: Buffer[] = [];
      for await (const c of await store.read(key)) chunks.push(c as Buffer);
      expect(sha(Buffer.concat(chunks))).toBe(sha(data));
      await store.readToFile(key, path.join(tmp, 'out.bin'));
      expect(sha(fs.readFileSync(path.join(tmp, 'out.bin')))).toBe(sha(data));

      const small = Buffer.from('manifest');
      await store.putBuffer(blobKey(T1, sha(small)), small);
      const moved = path.join(tmp, 'moved.bin');
      fs.writeFileSync(moved, 'moved');
      await store.moveFile(blobKey(T1, sha(Buffer.from('moved'))), moved, 5);
      expect(fs.existsSync(moved)).toBe(false);
      expect(await store.has(blobKey(T1, sha(Buffer.from('moved'))))).toBe(true);
    });

    it('keys are per tenant: the same bytes under another tenant are another object', async () => {
      const data = Buffer.from('same bytes');
      await store.putBuffer(blobKey(T1, sha(data)), data);
      expect(await store.has(blobKey(T2, sha(data)))).toBe(false);
      const keys: string[] = [];
      for await (const o of store.list(`tenants/${T2}/`)) keys.push(o.key);
      expect(keys).toEqual([]);
      const t1: { key: string; size: number }[] = [];
      for await (const o of store.list(`tenants/${T1}/`)) t1.push(o);
      expect(t1.map((o) => o.key)).toContain(blobKey(T1, sha(data)));
      expect(t1.find((o) => o.key === blobKey(T1, sha(data)))?.size).toBe(data.length);
    });

    it('missing objects reject with BlobNotFoundError; delete removes', async () => {
      const key = blobKey(T1, sha(Buffer.from('never stored')));
      await expect(store.read(key)).rejects.toBeInstanceOf(BlobNotFoundError);
      const data = Buffer.from('to delete');
      await store.putBuffer(blobKey(T1, sha(data)), data);
      await store.delete(blobKey(T1, sha(data)));
      expect(await store.has(blobKey(T1, sha(data)))).toBe(false);
    });

    it('rejects keys that are not sha256 names', () => {
      expect(() => blobKey(T1, '../../etc/passwd')).toThrow();
    });
  });
}
