/**
 * /metrics off the public port: a listener of its own (loopback), or the public
 * port with a bearer token; labels bounded whatever URLs, methods and models
 * clients send.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachEngine } from '../test-support/engines.js';
import { registerAccount } from '../test-support/factories.js';
import { startTestServer, type TestServer } from '../test-support/test-server.js';

const TOKEN = 'metrics-token-0123456789abcdef';

describeEachEngine('metrics listener', (engine) => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer(engine, { CODITECT_METRICS_LISTEN: '127.0.0.1:0', CODITECT_METRICS_TOKEN: TOKEN });
  });
  afterAll(async () => { await t.close(); });

  it('serves Prometheus text on its own loopback listener', async () => {
    await t.api.get('/health');
    const url = t.server.metricsUrl!;
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const res = await fetch(`${url}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/plain');
    const text = await res.text();
    expect(text).toMatch(/coditect_http_request_duration_seconds_count\{method="GET",route="\/api\/v5\/health",status="200"\} [1-9]/);
    expect(text).toContain('coditect_process_resident_memory_bytes');
    expect(text).toMatch(/^coditect_workspaces_running 0$/m);
    if (engine === 'postgres') expect(text).toMatch(/coditect_db_pool_connections\{state="total"\} [1-9]/);
    expect((await fetch(`${url}/other`)).status).toBe(404);
  });

  it('on the public port: only with the bearer token, else 404', async () => {
    expect((await fetch(`${t.origin}/metrics`)).status).toBe(404);
    expect((await fetch(`${t.origin}/metrics`, { headers: { authorization: 'Bearer wrong-token-wrong-token' } })).status).toBe(404);
    const ok = await fetch(`${t.origin}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(ok.status).toBe(200);
    expect(await ok.text()).toContain('coditect_http_request_duration_seconds');
  });

  it('labels stay bounded: route templates of the contract, everything else `other`', async () => {
    const a = await registerAccount(t.api);
    const marks = Array.from({ length: 50 }, () => randomUUID());
    for (const m of marks) {
      await t.api.get(`/sessions/${m}`, { token: a.accessToken }); // 404, but a known template
      await fetch(`${t.origin}/unknown/${m}`);
      await fetch(`${t.origin}/api/v5/nope-${m}`, { method: 'DELETE' });
    }
    const text = await (await fetch(`${t.server.metricsUrl!}/metrics`)).text();
    for (const m of marks) expect(text).not.toContain(m);
    expect(text).toMatch(/route="\/api\/v5\/sessions\/:id",status="404"\} 50/);
    expect(text).toMatch(/route="other",status="404"\} (\d+)/);
    const routes = new Set([...text.matchAll(/route="([^"]*)"/g)].map((x) => x[1]));
    expect(routes.size).toBeLessThan(20);
  });
});

describeEachEngine('metrics listener off', (engine) => {
  let t: TestServer;
  beforeAll(async () => { t = await startTestServer(engine, { CODITECT_METRICS_LISTEN: 'off' }); });
  afterAll(async () => { await t.close(); });

  it('no listener, and the public port answers 404', async () => {
    expect(t.server.metricsUrl).toBeUndefined();
    expect((await fetch(`${t.origin}/metrics`)).status).toBe(404);
  });
});
