/**
 * Limits through the API: a node without a writable cgroup refuses to start workspaces with 503
 * `workspace_limits_unavailable`; GET /sessions/{id}/status reports CPU, memory, processes and disk
 * (workspace + HOME); a tenant over its quota gets writes blocked inside its running IDE. Real
 * bwrap, real cgroups, real Theia for the running part.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeEachEngine } from '../test-support/engines.js';
import { createSession, registerAccount, type Account } from '../test-support/factories.js';
import { FilesClient } from '../test-support/files-client.js';
import { startTestServer, type TestServer } from '../test-support/test-server.js';
import { detectCgroups } from './cgroups/detect-cgroups.js';
import { ensureIdeBuilt, sandboxPrereq } from './test-support.js';

const MiB = 1024 ** 2;
const sandbox = sandboxPrereq();
const cgroups = await detectCgroups(); // the parent the server itself uses
const skipReason = !sandbox.ok ? sandbox.reason : !cgroups.ok ? `no writable cgroup: ${cgroups.reason}` : undefined;
if (skipReason) {
  if (process.env.CI === 'true') throw new Error(`workspace limit tests need bwrap and cgroups in CI: ${skipReason}`);
  console.warn(`\n*** WORKSPACE LIMIT TESTS SKIPPED: ${skipReason} ***\n`);
}

describeEachEngine('workspace limits unavailable', (engine) => {
  let t: TestServer;
  let a: Account;
  let fakeRoot: string;
  beforeAll(async () => {
    // A cgroup "root" without any controller delegated: nothing can be limited there.
    fakeRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'coditect-nocg-'));
    fs.writeFileSync(path.join(fakeRoot, 'cgroup.controllers'), 'io\n');
    t = await startTestServer(engine, { CODITECT_CGROUP_ROOT: fakeRoot });
    a = await registerAccount(t.api);
  });
  afterAll(async () => {
    await t?.close();
    fs.rmSync(fakeRoot, { recursive: true, force: true });
  });

  it.skipIf(!sandbox.ok)('refuses to open a workspace with 503 workspace_limits_unavailable saying why', async () => {
    const s = await createSession(t.api, a.accessToken);
    const res = await t.api.post(`/sessions/${s.id}/open`, undefined, { token: a.accessToken });
    expect(res.status).toBe(503);
    expect(res.body.error.code).toBe('workspace_limits_unavailable');
    expect(res.body.error.message).toMatch(/limits cannot be enforced.*controllers cpu, memory, pids are not delegated/);
    expect(t.server.deps.workspaces.runner.size).toBe(0);
  });

  it('reports disk use of a stopped session (workspace + HOME) with null CPU and memory', async () => {
    const s = await createSession(t.api, a.accessToken);
    const files = new FilesClient(`${t.origin}/api/v5`, a.accessToken);
    expect((await files.put(s.id, 'a.bin', Buffer.alloc(100_000))).status).toBe(200);
    const res = await t.api.get(`/sessions/${s.id}/status`, { token: a.accessToken });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      status: 'stopped',
      usage: { cpuSeconds: null, memoryBytes: null, pids: null, diskBytes: 100_000, tenantDiskBytes: 100_000,
        diskQuotaBytes: 1024 ** 3, diskQuotaExceeded: false, diskState: 'ok' },
    });
    // Deleting the session gives its bytes back to the tenant.
    expect((await t.api.delete(`/sessions/${s.id}`, { token: a.accessToken })).status).toBe(204);
    expect((await t.api.get('/storage/usage', { token: a.accessToken })).body.usedBytes).toBe(0);
  });
});

describe.skipIf(Boolean(skipReason))('workspace limits of a running IDE (real bwrap, cgroups, Theia)', () => {
  let t: TestServer;
  let a: Account;
  beforeAll(async () => {
    await ensureIdeBuilt();
    t = await startTestServer('sqlite', {
      CODITECT_STORAGE_QUOTA: '64MiB', CODITECT_STORAGE_QUOTA_SLACK: '512MiB', CODITECT_WORKSPACE_PIDS: '300',
      CODITECT_WORKSPACE_MEMORY: '1536MiB', CODITECT_SNAPSHOT_INTERVAL_SECONDS: '0',
    });
    a = await registerAccount(t.api);
  }, 15 * 60_000);
  afterAll(async () => { await t?.close(); });

  const status = async (id: string) => (await t.api.get(`/sessions/${id}/status`, { token: a.accessToken })).body;
  async function until<T>(fn: () => Promise<T>, ok: (v: T) => boolean, what: string): Promise<T> {
    for (let i = 0; i < 200; i++) {
      const v = await fn();
      if (ok(v)) return v;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`timed out waiting for ${what}`);
  }

  it('reports CPU, memory and processes; counts HOME; blocks writes inside once the tenant is over quota', async () => {
    const s = await createSession(t.api, a.accessToken);
    expect((await t.api.post(`/sessions/${s.id}/open`, undefined, { token: a.accessToken })).status).toBe(200);
    const running = await until(() => status(s.id), (b) => b.usage?.cpuSeconds !== null && b.usage?.cpuPercent !== null, 'a usage sample');
    console.log(`[limits] running IDE: ${JSON.stringify(running.usage)}`);
    expect(running.status).toBe('running');
    expect(running.usage.memoryBytes).toBeGreaterThan(10 * MiB);
    expect(running.usage.memoryLimitBytes).toBe(1536 * MiB);
    expect(running.usage.pids).toBeGreaterThan(1);
    expect(running.usage.pidsLimit).toBe(300);
    expect(running.usage.cpuLimit).toBe(1);

    // What the IDE writes into HOME counts for the tenant (written here from the host, as the IDE would).
    const home = path.join(t.dataDir, 'workspace-homes', a.tenantId, s.id);
    fs.writeFileSync(path.join(home, 'big-cache.bin'), Buffer.alloc(70 * MiB, 1));
    const over = await until(() => status(s.id), (b) => b.usage.diskState === 'writes_blocked', 'the quota block');
    expect(over.usage.diskBytes).toBeGreaterThanOrEqual(70 * MiB);
    expect(over.usage.diskQuotaExceeded).toBe(true);
    // The files API sees the same tenant total, and every process of the IDE now has RLIMIT_FSIZE 0.
    const files = new FilesClient(`${t.origin}/api/v5`, a.accessToken);
    expect((await files.put(s.id, 'x.txt', Buffer.from('x'))).body.error.code).toBe('quota_exceeded');
    const cgroup = t.server.deps.workspaces.runner.cgroup(s.id)!;
    const pids = await cgroup.pids();
    expect(pids.length).toBeGreaterThan(1);
    for (const pid of pids) {
      const limits = fs.readFileSync(`/proc/${pid}/limits`, 'utf8');
      expect(limits).toMatch(/Max file size\s+0\s+\d+\s+bytes/); // soft 0: writes fail with EFBIG
    }

    // Freeing space lifts the block (the soft limit goes back up to the hard one set at start).
    fs.rmSync(path.join(home, 'big-cache.bin'));
    const after = await until(() => status(s.id), (b) => b.usage.diskState === 'ok', 'the block to lift');
    expect(after.usage.diskQuotaExceeded).toBe(false);
    expect((await t.api.post(`/sessions/${s.id}/stop`, undefined, { token: a.accessToken })).body.status).toBe('stopped');
    // Its cgroup is gone with it.
    expect(cgroup.procsFiles.filter((f) => fs.existsSync(path.dirname(f)))).toEqual([]);
  }, 120_000);
});
