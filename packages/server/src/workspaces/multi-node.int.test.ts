/**
 * Two nodes on one PostgreSQL: a workspace runs on one node, and whichever node
 * receives its traffic (API, or the workspace origin over HTTP and WebSocket) sends it to the
 * owner; when the owner dies, the workspace reopens on the survivor from its
 * latest snapshot. Real sandboxed Theia, real processes.
 */
import type { ChildProcess } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { once } from 'node:events';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describePostgres } from '../test-support/engines.js';
import { createSession, registerAccount, type Account } from '../test-support/factories.js';
import type { TestClient } from '../test-support/http-client.js';
import { spawnServer } from '../test-support/server-process.js';
import { createTestDatabase, startTestServer, tempDir, type TestServer } from '../test-support/test-server.js';
import { workspaceRequest } from '../test-support/workspace-client.js';
import { ensureIdeBuilt, sandboxPrereq, websocketOverSocket } from './test-support.js';

const sandbox = sandboxPrereq();
if (!sandbox.ok && process.env.CI === 'true') throw new Error(`multi-node tests need a sandbox in CI: ${sandbox.reason}`);

/** Every node serves workspaces on one origin pattern (the load balancer's); tests reach a node by its own port. */
const WORKSPACE_ORIGIN = 'http://{id}.ws.localhost:9';
/** workspaceRequest to a given node (the Host header says which workspace). */
const requestOn = (url: string, nodeOrigin: string, headers: Record<string, string> = {}) => {
  const u = new URL(url);
  return workspaceRequest(`http://${u.hostname}:${new URL(nodeOrigin).port}${u.pathname}${u.search}`, { headers: { host: u.host, ...headers } });
};

describePostgres('workspaces across two nodes', () => {
  if (!sandbox.ok) {
    it.skip(`skipped: ${sandbox.reason}`, () => {});
    return;
  }
  let nodeA: { proc: ChildProcess; api: TestClient; origin: string };
  let nodeB: TestServer;
  let a: Account;
  let sessionId: string;
  const sharedBlobs = tempDir('coditect-blobs-');
  // What every node of one deployment shares: keys and secrets, the database and the blob store.
  const env = { CODITECT_BLOB_URL: `file://${sharedBlobs}`, CODITECT_PLACEMENT_TTL_SECONDS: '3', CODITECT_JWT_SECRET: 'two-node-secret-two-node-secret-0123456789',
    CODITECT_JWT_PRIVATE_KEY: generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    CODITECT_LLM_MASTER_KEY: 'a'.repeat(64), CODITECT_WORKSPACE_ORIGIN: WORKSPACE_ORIGIN };

  beforeAll(async () => {
    await ensureIdeBuilt();
    const dataA = tempDir('coditect-node-a-');
    const databaseUrl = createTestDatabase('postgres', dataA);
    const spawned = await spawnServer({ ...env, CODITECT_NODE_ID: 'node-a', CODITECT_DATA_DIR: dataA, CODITECT_DATABASE_URL: databaseUrl });
    nodeA = { ...spawned, origin: new URL(spawned.api.baseUrl).origin };
    nodeB = await startTestServer('postgres', { ...env, CODITECT_NODE_ID: 'node-b' }, {}, databaseUrl);
    a = await registerAccount(nodeA.api);
    sessionId = (await createSession(nodeA.api, a.accessToken, 'roaming')).id;
  }, 15 * 60_000);
  afterAll(async () => {
    if (nodeA?.proc.exitCode === null) nodeA.proc.kill('SIGKILL');
    await nodeB?.close();
  });

  const open = (origin: string) => fetch(`${origin}/api/v5/sessions/${sessionId}/open`, { method: 'POST', headers: { authorization: `Bearer ${a.accessToken}` } });

  const urlOf = async (res: Response) => ((await res.json()) as { url: string }).url;

  it('opened on A, served through B: API, ticket, HTTP and WebSocket reach the owner', async () => {
    const opened = await open(nodeA.origin);
    expect(opened.status).toBe(200);
    const url = await urlOf(opened);
    expect(url.startsWith(`http://${sessionId}.ws.localhost:9/__coditect/ticket?t=`)).toBe(true);
    // B forwards open/status to A instead of starting a second IDE.
    const viaB = await open(nodeB.origin);
    expect(viaB.status).toBe(200);
    expect(nodeB.server.deps.workspaces.runner.size).toBe(0);
    expect((await nodeB.api.get(`/sessions/${sessionId}/status`, { token: a.accessToken })).body.status).toBe('running');
    // A's ticket is redeemed on B (the database is shared), once: A refuses it afterwards.
    const redeemed = await requestOn(url, nodeB.origin);
    expect(redeemed.status).toBe(303);
    const cookie = redeemed.cookies.find((c) => c.startsWith('coditect_ws='))!;
    expect((await requestOn(url, nodeA.origin)).status).toBe(401);
    const page = await requestOn(`http://${sessionId}.ws.localhost:9/`, nodeB.origin, { cookie });
    expect(page.status).toBe(200);
    expect(page.body).toContain('<html');
    const theiaCookie = page.cookies.find((c) => c.startsWith('theia-connection-token='));
    const port = Number(new URL(nodeB.origin).port);
    const ws = await websocketOverSocket({ port, host: '127.0.0.1' }, '/socket.io/?EIO=4&transport=websocket',
      { Host: `${sessionId}.ws.localhost:9`, Origin: `http://${sessionId}.ws.localhost:9`, Cookie: theiaCookie ? `${cookie}; ${theiaCookie}` : cookie });
    expect(ws.statusLine).toContain(' 101 ');
    expect((await requestOn(`http://${sessionId}.ws.localhost:9/`, nodeB.origin)).status).toBe(401);
  });

  it('a ticket is redeemed once only, even raced on both nodes at once', async () => {
    const tickets = await Promise.all(Array.from({ length: 40 }, async () => urlOf(await open(nodeA.origin))));
    let redeemed = 0;
    let refused = 0;
    for (const url of tickets) {
      // Eight tries of the same ticket at once, four on each node (one shared database).
      const answers = await Promise.all(Array.from({ length: 8 }, (_, i) => requestOn(url, i % 2 ? nodeA.origin : nodeB.origin)));
      redeemed += answers.filter((r) => r.status === 303).length;
      refused += answers.filter((r) => r.status === 401).length;
    }
    console.log(`ticket race: ${tickets.length} tickets × 8 tries on two nodes → ${redeemed} redeemed, ${refused} refused`);
    expect(redeemed).toBe(tickets.length);
    expect(refused).toBe(tickets.length * 7);
  }, 120_000);

  it('when A dies, the workspace reopens on B from its latest snapshot', async () => {
    const write = await fetch(`${nodeA.origin}/api/v5/sessions/${sessionId}/files/content?path=notes.txt`, {
      method: 'PUT', headers: { authorization: `Bearer ${a.accessToken}`, 'content-type': 'application/octet-stream' }, body: 'survives the node\n' });
    expect(write.status).toBeLessThan(300);
    expect((await nodeA.api.post(`/sessions/${sessionId}/snapshots`, {}, { token: a.accessToken })).status).toBe(201);
    nodeA.proc.kill('SIGKILL');
    await once(nodeA.proc, 'exit');
    // Until A's placement expires B still believes A owns it, and says so.
    expect((await open(nodeB.origin)).status).toBe(502);
    await new Promise((r) => setTimeout(r, 3500));
    const reopened = await open(nodeB.origin);
    expect(reopened.status).toBe(200);
    expect(nodeB.server.deps.workspaces.runner.size).toBe(1);
    const file = path.join(nodeB.dataDir, 'workspaces', a.tenantId, sessionId, 'notes.txt');
    expect(fs.readFileSync(file, 'utf8')).toBe('survives the node\n');
    const cookie = (await requestOn(await urlOf(reopened), nodeB.origin)).cookies.find((c) => c.startsWith('coditect_ws='))!;
    expect((await requestOn(`http://${sessionId}.ws.localhost:9/`, nodeB.origin, { cookie })).status).toBe(200);
  });
});
