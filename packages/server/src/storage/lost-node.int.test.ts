/**
 * Lost node, bounded loss: two nodes on one PostgreSQL and one blob store; a
 * workspace runs its IDE on node B and takes a stream of file writes through
 * B's files API; B is killed with SIGKILL in the middle of it. The workspace
 * reopens on node A from B's continuous sync point: every write B
 * acknowledged more than 5 s before the kill is there with its content, and
 * the open answers `restoredFrom`. Real processes, real sandboxed Theia.
 */
import { generateKeyPairSync } from 'node:crypto';
import { once } from 'node:events';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describePostgres } from '../test-support/engines.js';
import { createSession, registerAccount, type Account } from '../test-support/factories.js';
import { spawnServer } from '../test-support/server-process.js';
import { createTestDatabase, startTestServer, tempDir, type TestServer } from '../test-support/test-server.js';
import { ensureIdeBuilt, sandboxPrereq } from '../workspaces/test-support.js';

const sandbox = sandboxPrereq();
if (!sandbox.ok && process.env.CI === 'true') throw new Error(`lost-node test needs a sandbox in CI: ${sandbox.reason}`);

/** How long the load runs on B before the kill; writes keep going until the kill itself. */
const LOAD_MS = 12_000;
const RECOVERY_POINT_MS = 5_000;

describePostgres('lost node: a workspace reopens elsewhere with all but the last seconds of edits', () => {
  if (!sandbox.ok) {
    it.skip(`skipped: ${sandbox.reason}`, () => {});
    return;
  }
  let nodeA: TestServer;
  let nodeB: Awaited<ReturnType<typeof spawnServer>>;
  let originB: string;
  let a: Account;
  const sharedBlobs = tempDir('coditect-blobs-');
  const env = { CODITECT_BLOB_URL: `file://${sharedBlobs}`, CODITECT_PLACEMENT_TTL_SECONDS: '3', CODITECT_JWT_SECRET: 'lost-node-secret-lost-node-secret-0123456789',
    CODITECT_JWT_PRIVATE_KEY: generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    CODITECT_LLM_MASTER_KEY: 'b'.repeat(64), CODITECT_WORKSPACE_ORIGIN: 'http://{id}.ws.localhost:9',
    // The named-snapshot timer is off: whatever survives, survives through the continuous sync.
    CODITECT_SNAPSHOT_INTERVAL_SECONDS: '0' };

  beforeAll(async () => {
    await ensureIdeBuilt();
    const dataB = tempDir('coditect-node-b-');
    const databaseUrl = createTestDatabase('postgres', dataB);
    nodeB = await spawnServer({ ...env, CODITECT_NODE_ID: 'node-b', CODITECT_DATA_DIR: dataB, CODITECT_DATABASE_URL: databaseUrl });
    originB = new URL(nodeB.api.baseUrl).origin;
    nodeA = await startTestServer('postgres', { ...env, CODITECT_NODE_ID: 'node-a' }, {}, databaseUrl);
    a = await registerAccount(nodeB.api);
  }, 15 * 60_000);
  afterAll(async () => {
    if (nodeB?.proc.exitCode === null) nodeB.proc.kill('SIGKILL');
    await nodeA?.close();
  });

  const open = (origin: string, sid: string) => fetch(`${origin}/api/v5/sessions/${sid}/open`, { method: 'POST', headers: { authorization: `Bearer ${a.accessToken}` } });

  it('SIGKILL of the owner under an editing load: every write acknowledged > 5 s before is restored on the survivor', async () => {
    const sid = (await createSession(nodeB.api, a.accessToken, 'edited on B')).id;
    expect((await open(originB, sid)).status).toBe(200);

    // The editing load: a new file per write, and one file overwritten each time (its last acknowledged version counts).
    const acked: { i: number; at: number }[] = [];
    let writing = true;
    const put = (p: string, body: string) => fetch(`${originB}/api/v5/sessions/${sid}/files/content?path=${encodeURIComponent(p)}`, {
      method: 'PUT', headers: { authorization: `Bearer ${a.accessToken}`, 'content-type': 'application/octet-stream' }, body });
    const load = (async () => {
      for (let i = 0; writing; i++) {
        try {
          const [one, counter] = await Promise.all([put(`edit-${i}.txt`, `edit number ${i}\n`), put('counter.txt', String(i))]);
          if (one.status < 300 && counter.status < 300) acked.push({ i, at: Date.now() });
        } catch { /* the node is gone: an unacknowledged write */ }
        await new Promise((r) => setTimeout(r, 50));
      }
    })();
    await new Promise((r) => setTimeout(r, LOAD_MS));
    nodeB.proc.kill('SIGKILL');
    const killedAt = Date.now();
    await once(nodeB.proc, 'exit');
    writing = false;
    await load;

    // A reopens it once B's placement has lapsed (until then A forwards to the dead owner: 502).
    let reopened: Response | undefined;
    for (let tries = 0; tries < 60; tries++) {
      reopened = await open(nodeA.origin, sid);
      if (reopened.status !== 502) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    expect(reopened!.status).toBe(200);
    const body = (await reopened!.json()) as { restoredFrom?: string };
    expect(body.restoredFrom).toBeDefined();
    const restoredAt = Date.parse(body.restoredFrom!);
    expect(restoredAt).toBeLessThanOrEqual(killedAt);

    const dir = path.join(nodeA.dataDir, 'workspaces', a.tenantId, sid);
    const due = acked.filter((w) => w.at < killedAt - RECOVERY_POINT_MS);
    const missing = due.filter((w) => {
      const f = path.join(dir, `edit-${w.i}.txt`);
      return !fs.existsSync(f) || fs.readFileSync(f, 'utf8') !== `edit number ${w.i}\n`;
    });
    const counter = Number(fs.readFileSync(path.join(dir, 'counter.txt'), 'utf8'));
    const present = acked.filter((w) => fs.existsSync(path.join(dir, `edit-${w.i}.txt`))).length;
    console.log(`lost node: ${acked.length} writes acknowledged by B, ${due.length} of them > 5 s before the kill, `
      + `${missing.length} of those missing on A; ${present} of all present; recovery point ${killedAt - restoredAt} ms before the kill`);
    expect(due.length).toBeGreaterThan(5);
    expect(missing.map((w) => w.i)).toEqual([]);
    expect(counter).toBeGreaterThanOrEqual(due.at(-1)!.i);
    expect(nodeA.server.deps.workspaces.runner.size).toBe(1);
  }, 5 * 60_000);
});
