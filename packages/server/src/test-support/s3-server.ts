import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

/** An S3-compatible server (s3rver) on a free loopback port, with one bucket, and the env that points Coditect at it. */
export async function startS3Server(bucket = 'coditect-test'): Promise<{ env: Record<string, string>; close(): Promise<void> }> {
  const { default: S3rver } = await import('s3rver');
  const port = await new Promise<number>((resolve) => {
    const srv = net.createServer().listen(0, '127.0.0.1', () => {
      const p = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(p));
    });
  });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'coditect-s3rver-'));
  const server = new S3rver({ port, address: '127.0.0.1', silent: true, directory: dir, configureBuckets: [{ name: bucket, configs: [] }] });
  await server.run();
  return {
    env: {
      CODITECT_BLOB_URL: `s3://${bucket}/instance`, CODITECT_S3_ENDPOINT: `http://127.0.0.1:${port}`,
      CODITECT_S3_ACCESS_KEY_ID: 'S3RVER', CODITECT_S3_SECRET_ACCESS_KEY: 'S3RVER',
    },
    async close() { await server.close(); fs.rmSync(dir, { recursive: true, force: true }); },
  };
}
