import { once } from 'node:events';
import http from 'node:http';
import { expect, it } from 'vitest';
import { spawnServer } from '../src/test-support/server-process.js';
import { tempDir } from '../src/test-support/test-server.js';

/** A POST on its own fresh connection (no pooled keep-alive socket the server may close as idle). */
function postOnNewConnection(base: string, path: string, body: unknown): Promise<number> {
  const url = new URL(base + path);
  return new Promise((resolve, reject) => {
    const req = http.request({ host: url.hostname, port: url.port, path: url.pathname, method: 'POST', agent: false,
      headers: { 'content-type': 'application/json' } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
}

it('SIGTERM drains in-flight requests, then exits 0', async () => {
  const { proc, api } = await spawnServer({ CODITECT_DATA_DIR: tempDir('coditect-shutdown-') });
  // Registrations queue behind each other for argon2: once the first has answered, the rest
  // were received long ago and are still in flight when the signal lands.
  const requests = Array.from({ length: 8 }, (_, i) => postOnNewConnection(api.baseUrl, '/auth/register',
    { email: `drain-${i}@example.com`, password: 'drain password', firstName: 'D', lastName: 'R' }));
  await Promise.race(requests);
  proc.kill('SIGTERM');
  expect(await Promise.all(requests)).toEqual(Array(8).fill(201));
  const [code] = await once(proc, 'exit');
  expect(code).toBe(0);
  await expect(api.get('/health')).rejects.toThrow();
});
