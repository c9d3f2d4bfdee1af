/**
 * The transport under an attacker's DNS: a name whose answer flips between an
 * allowed address and a denied one on every lookup. Each call resolves once
 * and connects to the address it checked, so not one request may reach the
 * denied service, however the answers interleave.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EgressPolicy } from '../../egress/egress-policy.js';
import { readText, send, type CallContext } from './transport.js';
import { UpstreamError } from './types.js';

const ITERATIONS = 2_000;

/** A server on `host:port` that counts requests and closes every connection (each call connects anew). */
async function counter(host: string, port: number): Promise<{ server: http.Server; hits: () => number }> {
  let n = 0;
  const server = http.createServer((req, res) => {
    req.resume();
    n++;
    res.writeHead(200, { connection: 'close', 'content-type': 'application/json' }).end(`{"host":"${host}"}`);
  });
  await new Promise<void>((resolve, reject) => { server.once('error', reject); server.listen(port, host, resolve); });
  return { server, hits: () => n };
}

describe('transport with the egress policy under DNS rebinding', () => {
  let good: Awaited<ReturnType<typeof counter>>;
  let secret: Awaited<ReturnType<typeof counter>>;
  let port = 0;

  beforeAll(async () => {
    // The same port on two loopback addresses: only the address decides which server answers.
    for (let attempt = 0; attempt < 20 && !secret; attempt++) {
      good = await counter('127.0.0.2', 0);
      port = (good.server.address() as AddressInfo).port;
      try {
        secret = await counter('127.0.0.1', port);
      } catch {
        await new Promise<void>((r) => good.server.close(() => r()));
      }
    }
    expect(secret).toBeDefined();
  });
  afterAll(async () => {
    await Promise.all([good, secret].map((c) => new Promise<void>((r) => c.server.close(() => r()))));
  });

  it(`${ITERATIONS} calls with answers flipping on every lookup: zero reach the denied address`, async () => {
    let lookups = 0;
    const policy = new EgressPolicy({
      allow: '127.0.0.2/32',
      // Odd lookups answer the allowed address, even ones the denied: a design that resolved twice (check, then
      // connect) would land on 127.0.0.1 after every passing check.
      resolver: async () => [{ address: ++lookups % 2 ? '127.0.0.2' : '127.0.0.1', family: 4 }],
    });
    const ctx: CallContext = { provider: 'openai-compatible', label: 'OpenAI-compatible', egress: policy };
    let served = 0;
    let denied = 0;
    for (let i = 0; i < ITERATIONS; i++) {
      try {
        const res = await send(ctx, `http://rebind.test:${port}/v1/chat/completions`, { body: '{}' }, new AbortController().signal);
        expect(await readText(res)).toBe('{"host":"127.0.0.2"}');
        served++;
      } catch (err) {
        expect(err).toBeInstanceOf(UpstreamError);
        expect(err).toMatchObject({ kind: 'denied' });
        denied++;
      }
    }
    expect(lookups).toBe(ITERATIONS);
    expect(served).toBe(ITERATIONS / 2);
    expect(denied).toBe(ITERATIONS / 2);
    expect(good.hits()).toBe(ITERATIONS / 2);
    expect(secret.hits()).toBe(0);
    console.log(`[egress] ${ITERATIONS} calls under a flipping DNS: ${served} served by the allowed address, ${denied} refused, `
      + `${secret.hits()} reached the denied one`);
  });

  it('refuses an address literal in any spelling without a lookup or a byte sent', async () => {
    const policy = new EgressPolicy({ resolver: async () => { throw new Error('no lookup expected'); } });
    const ctx: CallContext = { provider: 'openai-compatible', label: 'OpenAI-compatible', egress: policy };
    const before = secret.hits();
    for (const host of ['127.0.0.1', '2130706433', '0x7f.1', '0177.0.0.1', '127.1', '[::ffff:127.0.0.1]', '[::ffff:7f00:1]', '127.0.0.1.']) {
      const err = await send(ctx, `http://${host}:${port}/v1/x`, { body: '{}' }, new AbortController().signal).catch((e: unknown) => e);
      expect(err, host).toMatchObject({ kind: 'denied', message: expect.stringContaining('loopback') });
    }
    expect(secret.hits()).toBe(before);
  });
});
