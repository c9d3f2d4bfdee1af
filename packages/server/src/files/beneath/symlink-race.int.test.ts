import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EscapeProbe } from '../../test-support/escape-probe.js';
import { createSession, registerAccount, type Account } from '../../test-support/factories.js';
import { treeDigest } from '../../test-support/files-client.js';
import { startTestServer, tempDir, type TestServer } from '../../test-support/test-server.js';
import { workspaceDir } from '../../workspaces/workspace-paths.js';

/**
 * The attacker's side of "paths resolved by descriptor": a racer process
 * (symlink-racer.mjs) swaps folders and a file inside tenant A's workspace
 * for symlinks — relative and absolute, to the server's secrets, the SQLite
 * database, the data dir and tenant V's workspace — and for a FIFO, in a
 * tight loop, while every file operation runs against those very paths.
 * Zero escapes: no secret or foreign bytes in any answer, archive, snapshot
 * blob or fork; no foreign name in any listing; nothing outside A's
 * workspace written, moved or deleted; no request hangs. SQLite only: the
 * database engine plays no part, and its file is one of the targets.
 */

const RACER = fileURLToPath(new URL('./symlink-racer.mjs', import.meta.url));
/** Iterations per operation (each iteration is one request against a racing path, unless said otherwise). */
const N = { list: 800, recursiveList: 700, read: 900, write: 400, mkdir: 300, move: 300, delete: 300, archive: 200, snapshot: 150, restore: 100, fork: 40 };
const WORKERS = 3;
const REQUEST_TIMEOUT_MS = 20_000;

interface Tally { iterations: number; escapes: number; ok: number; hangs: number; statuses: Record<number, number>; details: string[] }

describe('symlink races against every workspace file operation [sqlite]', { timeout: 90_000 }, () => {
  const r = randomBytes(4).toString('hex');
  const names = {
    secretCanary: `canary-${r}`, victimDir: `victim-${r}`, victimFile: `private-${r}.txt`, rootCanary: `rootcanary-${r}`,
  };
  const contents = { secret: `SECRET-CANARY-${r}`, victim: `VICTIM-DATA-${r}`, root: `ROOT-CANARY-${r}` };
  /** Names that exist only outside A's workspace: none may show up in anything A gets back. */
  const foreignNames = new Set([names.secretCanary, names.victimDir, names.victimFile, names.rootCanary, 'secrets', 'workspaces', 'test.db', 'blobs']);
  let t: TestServer;
  let a: Account;
  let v: Account;
  let sid: string;
  let ws: string;
  let victimWs: string;
  let baseline: string;
  let racer: ChildProcess;
  let cleanSnapshot: string;
  const tallies: Record<string, Tally> = {};

  const api = async (method: string, p: string, opts: { body?: unknown; raw?: string; headers?: Record<string, string> } = {}) => {
    const headers: Record<string, string> = { authorization: `Bearer ${a.accessToken}`, ...opts.headers };
    let body: string | undefined;
    if (opts.body !== undefined) { headers['content-type'] = 'application/json'; body = JSON.stringify(opts.body); }
    if (opts.raw !== undefined) { headers['content-type'] = 'application/octet-stream'; body = opts.raw; }
    try {
      const res = await fetch(`${t.origin}/api/v5${p}`, { method, headers, body, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
      return { status: res.status, buf: Buffer.from(await res.arrayBuffer()) };
    } catch (err) {
      if ((err as Error).name === 'TimeoutError') return { status: 0, buf: Buffer.alloc(0) };
      throw err;
    }
  };
  const q = (params: Record<string, string>) => new URLSearchParams(params).toString();
  const files = (sub: string, params: Record<string, string>) => `/sessions/${sid}/files${sub}?${q(params)}`;

  let probe: EscapeProbe;
  const markersIn = (buf: Buffer) => probe.markersIn(buf);
  const foreignIn = (p: string) => probe.foreignIn(p);

  /** Runs `fn` `n` times over a few concurrent workers; `fn` answers the status and what escaped (empty: nothing). */
  async function hammer(op: string, n: number, fn: (i: number) => Promise<{ status: number; escaped: string[] }>) {
    const tally: Tally = (tallies[op] ??= { iterations: 0, escapes: 0, ok: 0, hangs: 0, statuses: {}, details: [] });
    let next = 0;
    await Promise.all(Array.from({ length: WORKERS }, async () => {
      while (next < n) {
        const i = next++;
        const { status, escaped } = await fn(i);
        tally.iterations++;
        tally.statuses[status] = (tally.statuses[status] ?? 0) + 1;
        if (status === 0) tally.hangs++;
        if (status >= 200 && status < 300) tally.ok++;
        if (escaped.length) { tally.escapes++; if (tally.details.length < 5) tally.details.push(`#${i}: ${escaped.join(', ')}`); }
      }
    }));
    return tally;
  }

  /** Everything outside A's own workspaces that an escape could change, as one comparable string. */
  function outsideState(): string {
    const top = fs.readdirSync(t.dataDir).filter((n) => !/^test\.db-(wal|shm|journal)$/.test(n)).sort();
    return JSON.stringify({
      top,
      secrets: treeDigest(path.join(t.dataDir, 'secrets')),
      victimTenant: treeDigest(path.join(t.dataDir, 'workspaces', v.tenantId)),
      rootCanary: fs.readFileSync(path.join(t.dataDir, names.rootCanary), 'utf8'),
      rootDecoy: fs.existsSync(path.join(t.dataDir, 'decoy')),
    });
  }

  /** After each operation's phase: did anything outside change? (Attributed to that phase.) */
  function checkOutside(op: string) {
    const now = outsideState();
    if (now !== baseline) {
      tallies[op]!.escapes++;
      tallies[op]!.details.push(`outside changed: ${diff(JSON.parse(baseline), JSON.parse(now))}`);
      baseline = now;
    }
  }
  const diff = (x: Record<string, unknown>, y: Record<string, unknown>) =>
    Object.keys(x).filter((k) => JSON.stringify(x[k]) !== JSON.stringify(y[k])).join(', ');

  beforeAll(async () => {
    t = await startTestServer('sqlite', { CODITECT_SNAPSHOT_INTERVAL_SECONDS: '0' });
    a = await registerAccount(t.api);
    v = await registerAccount(t.api);
    sid = (await createSession(t.api, a.accessToken, 'attacker')).id;
    const vs = (await createSession(t.api, v.accessToken, 'victim')).id;
    ws = workspaceDir(t.dataDir, a.tenantId, sid);
    victimWs = workspaceDir(t.dataDir, v.tenantId, vs);
    const secrets = path.join(t.dataDir, 'secrets');
    const masterKey = path.join(secrets, 'llm-master-key');
    expect(fs.existsSync(masterKey), 'the server generated its LLM master key').toBe(true);
    expect(fs.readFileSync(path.join(t.dataDir, 'test.db')).subarray(0, 15).toString()).toBe('SQLite format 3');
    probe = new EscapeProbe([fs.readFileSync(masterKey), Buffer.from('SQLite format 3\0'),
      ...Object.values(contents).map((c) => Buffer.from(c))], foreignNames);

    // What lives outside A's workspace.
    fs.writeFileSync(path.join(secrets, names.secretCanary), contents.secret);
    fs.writeFileSync(path.join(secrets, 'decoy'), 'decoy');
    fs.writeFileSync(path.join(t.dataDir, names.rootCanary), contents.root);
    fs.writeFileSync(path.join(t.dataDir, 'decoy'), 'decoy');
    fs.mkdirSync(path.join(victimWs, names.victimDir, 'decoy'), { recursive: true });
    fs.writeFileSync(path.join(victimWs, names.victimDir, names.victimFile), contents.victim);
    fs.mkdirSync(path.join(victimWs, 'decoy'));

    // A's workspace: the racing folders d and n/d, the racing file f.
    for (const d of ['d', 'n/d']) {
      fs.mkdirSync(path.join(ws, d, 'sub'), { recursive: true });
      fs.writeFileSync(path.join(ws, d, 'llm-master-key'), 'benign, not the key');
      fs.writeFileSync(path.join(ws, d, 'sub', 'y.txt'), 'y');
    }
    fs.writeFileSync(path.join(ws, 'f'), 'benign file');
    fs.writeFileSync(path.join(ws, 'keep.txt'), 'keep');
    const snap = await t.api.post(`/sessions/${sid}/snapshots`, { label: 'clean' }, { token: a.accessToken });
    expect(snap.status).toBe(201);
    cleanSnapshot = snap.body.id;
    // The restore target also carries rs- names, so a restore that wrote outside would leave them there.
    fs.mkdirSync(path.join(ws, 'd', 'rs-dir'));
    fs.writeFileSync(path.join(ws, 'd', 'rs-dir', 'rs-file.txt'), 'restored');
    const withRs = await t.api.post(`/sessions/${sid}/snapshots`, { label: 'with rs' }, { token: a.accessToken });
    cleanSnapshot = withRs.body.id;
    fs.rmSync(path.join(ws, 'd', 'rs-dir'), { recursive: true });
    baseline = outsideState();

    const dataRel = (slotDir: string, target: string) => path.relative(path.join(ws, slotDir), target);
    const dirTargets = (slotDir: string) => [
      dataRel(slotDir, secrets), dataRel(slotDir, victimWs), dataRel(slotDir, path.join(victimWs, names.victimDir)),
      dataRel(slotDir, t.dataDir), secrets, victimWs, path.join(victimWs, names.victimDir), t.dataDir,
    ];
    const fifo = path.join(ws, '..', `fifo-${r}`); // outside the workspace, same filesystem: hard-linked in as `f`
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    const config = {
      slots: [
        { path: 'd', kind: 'dir', targets: dirTargets('') },
        { path: 'n/d', kind: 'dir', targets: dirTargets('n') },
        { path: 'f', kind: 'file', targets: [masterKey, path.join(t.dataDir, 'test.db'), dataRel('', masterKey),
          dataRel('', path.join(victimWs, names.victimDir, names.victimFile)), { fifo }, path.join(secrets, names.secretCanary)] },
      ],
    };
    expect(dirTargets('')[0]).toBe('../../../secrets');
    const cfgFile = path.join(tempDir('coditect-racer-'), 'racer.json');
    fs.writeFileSync(cfgFile, JSON.stringify(config));
    racer = spawn(process.execPath, [RACER, cfgFile], { cwd: ws, stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((resolve) => racer.stdout!.once('data', () => resolve()));
  }, 60_000);

  afterAll(async () => {
    let swaps = '?';
    if (racer && racer.exitCode === null) {
      const out: Buffer[] = [];
      racer.stdout!.on('data', (c: Buffer) => out.push(c));
      const exited = new Promise((resolve) => racer.once('exit', resolve));
      racer.kill('SIGTERM');
      await exited;
      swaps = String((JSON.parse(Buffer.concat(out).toString() || '{}') as { swaps?: number }).swaps ?? '?');
    }
    const rows = Object.entries(tallies).map(([op, x]) =>
      `${op.padEnd(15)} ${String(x.iterations).padStart(6)} iterations  ${String(x.escapes).padStart(3)} escapes  ${String(x.ok).padStart(5)} 2xx  ${x.hangs} hangs  ${JSON.stringify(x.statuses)}`);
    const total = Object.values(tallies).reduce((s, x) => s + x.iterations, 0);
    console.log(`[symlink race] racer swaps: ${swaps}; total iterations ${total}\n${rows.join('\n')}`);
    await t?.close();
  });

  const expectNoEscape = (op: string) => {
    const x = tallies[op]!;
    expect(x.escapes, x.details.join('\n')).toBe(0);
    expect(x.hangs).toBe(0);
    // The race ran against real work, not only against refusals.
    expect(x.ok).toBeGreaterThan(0);
  };

  it('list: no foreign name in a folder listing', async () => {
    await hammer('list', N.list, async (i) => {
      const p = ['', 'd', 'n/d', 'n', 'd/sub'][i % 5]!;
      const res = await api('GET', files('', { path: p }));
      const items = res.status === 200 ? (JSON.parse(res.buf.toString()) as { items: { path: string }[] }).items : [];
      return { status: res.status, escaped: items.flatMap((e) => foreignIn(e.path)) };
    });
    checkOutside('list');
    expectNoEscape('list');
  });

  it('recursive list: no foreign name in a recursive listing', async () => {
    await hammer('recursive list', N.recursiveList, async (i) => {
      const res = await api('GET', files('', { path: ['', 'd', 'n'][i % 3]!, recursive: 'true' }));
      const items = res.status === 200 ? (JSON.parse(res.buf.toString()) as { items: { path: string }[] }).items : [];
      return { status: res.status, escaped: items.flatMap((e) => foreignIn(e.path)) };
    });
    checkOutside('recursive list');
    expectNoEscape('recursive list');
  });

  it('read: no secret, database or foreign bytes (plain, Range, ETag); a FIFO never hangs', async () => {
    const paths = ['f', 'd/llm-master-key', `d/${names.secretCanary}`, `d/${names.victimDir}/${names.victimFile}`,
      `d/${names.victimFile}`, 'd/test.db', 'n/d/llm-master-key', `n/d/${names.secretCanary}`, `d/${names.rootCanary}`, 'd/sub/y.txt'];
    await hammer('read', N.read, async (i) => {
      const headers: Record<string, string> = i % 3 === 1 ? { range: 'bytes=0-' } : i % 3 === 2 ? { 'if-none-match': '"x"' } : {};
      const res = await api('GET', files('/content', { path: paths[i % paths.length]! }), { headers });
      return { status: res.status, escaped: markersIn(res.buf) };
    });
    checkOutside('read');
    expectNoEscape('read');
  });

  it('write: nothing lands outside, the file slot never writes through its link', async () => {
    await hammer('write', N.write, async (i) => {
      const target = [`d/pwned-${i % 4}.txt`, `n/d/pwned-${i % 4}.txt`, `d/deep-${i % 3}/pwned.txt`, 'f', `d/sub/pwned-${i % 2}.txt`][i % 5]!;
      const res = await api('PUT', files('/content', { path: target, parents: i % 2 ? 'true' : 'false' }), { raw: 'pwned' });
      return { status: res.status, escaped: [] };
    });
    checkOutside('write');
    expectNoEscape('write');
  });

  it('mkdir: no folder made outside', async () => {
    await hammer('mkdir', N.mkdir, async (i) => {
      const p = [`d/mk-${i % 4}`, `n/d/mk-${i % 4}/inner`, `d/sub/mk-${i % 2}`][i % 3]!;
      const res = await api('POST', `/sessions/${sid}/files/mkdir`, { body: { path: p, parents: true } });
      return { status: res.status, escaped: [] };
    });
    checkOutside('mkdir');
    expectNoEscape('mkdir');
  });

  it('move: nothing moved in from outside or out to it', async () => {
    await hammer('move', N.move, async (i) => {
      const kind = i % 3;
      if (kind === 0) {
        // A secret or a victim's folder, moved into the workspace through a swapped link: must never succeed.
        const from = [`d/${names.secretCanary}`, `d/${names.victimDir}`, `n/d/${names.victimFile}`][i % 3]!;
        const res = await api('POST', `/sessions/${sid}/files/move`, { body: { from, to: `stolen-${i}` } });
        return { status: res.status, escaped: res.status === 204 ? [`moved ${from} in`] : [] };
      }
      // Own files moved out to the racing folders.
      await api('PUT', files('/content', { path: `mv-src-${i}.txt` }), { raw: 'mine' });
      const res = await api('POST', `/sessions/${sid}/files/move`, {
        body: { from: `mv-src-${i}.txt`, to: `${kind === 1 ? 'd' : 'n/d'}/mv-${i % 4}.txt`, overwrite: true },
      });
      return { status: res.status, escaped: [] };
    });
    for (const e of fs.readdirSync(ws)) {
      if (e.startsWith('stolen-')) tallies.move!.details.push(`found ${e}`);
    }
    checkOutside('move');
    expectNoEscape('move');
    expect(tallies.move!.details).toEqual([]);
  });

  it('delete: nothing removed outside', async () => {
    await hammer('delete', N.delete, async (i) => {
      const kind = i % 3;
      if (kind === 2) {
        const res = await api('DELETE', files('', { path: `d/${names.secretCanary}` }));
        return { status: res.status, escaped: res.status === 204 ? ['deleted a secret'] : [] };
      }
      const dir = kind === 0 ? 'd/decoy' : 'n/d/decoy';
      await api('POST', `/sessions/${sid}/files/mkdir`, { body: { path: `${dir}/inner`, parents: true } });
      const res = await api('DELETE', files('', { path: dir, recursive: 'true' }));
      return { status: res.status, escaped: [] };
    });
    checkOutside('delete');
    expectNoEscape('delete');
  });

  it('archive: no secret, database or foreign name in tar.gz or zip', async () => {
    await hammer('archive', N.archive, async (i) => {
      const format = i % 2 ? 'zip' : 'tar.gz';
      const res = await api('GET', files('/archive', { path: ['', 'd', 'n'][i % 3]!, format }));
      if (res.status !== 200) return { status: res.status, escaped: [] };
      return { status: res.status, escaped: format === 'zip' ? await probe.inZip(res.buf) : await probe.inTarGz(res.buf) };
    });
    checkOutside('archive');
    expectNoEscape('archive');
  });

  it('snapshot scan: no secret, database or foreign name in any blob', async () => {
    await hammer('snapshot', N.snapshot, async () => {
      const res = await api('POST', `/sessions/${sid}/snapshots`, { body: {} });
      return { status: res.status, escaped: [] };
    });
    const leaked = probe.inBlobs(path.join(t.dataDir, 'blobs', 'tenants', a.tenantId));
    if (leaked.length) { tallies.snapshot!.escapes += leaked.length; tallies.snapshot!.details.push(...leaked.slice(0, 5)); }
    checkOutside('snapshot');
    expectNoEscape('snapshot');
  });

  it('restore: nothing written or removed outside while the racer swaps the folders being restored', async () => {
    await hammer('restore', N.restore, async () => {
      const res = await api('POST', `/sessions/${sid}/snapshots/${cleanSnapshot}/restore`, { body: {} });
      return { status: res.status, escaped: [] };
    });
    checkOutside('restore');
    expectNoEscape('restore');
  });

  it('fork: the copy holds no secret, database or foreign name, nor do its blobs', async () => {
    await hammer('fork', N.fork, async (i) => {
      const res = await api('POST', '/sessions', { body: { name: `fork ${i}`, forkOf: sid } });
      if (res.status !== 201) return { status: res.status, escaped: [] };
      const fork = JSON.parse(res.buf.toString()) as { id: string };
      const escaped = probe.inTree(workspaceDir(t.dataDir, a.tenantId, fork.id));
      await api('DELETE', `/sessions/${fork.id}`);
      return { status: res.status, escaped };
    });
    const leaked = probe.inBlobs(path.join(t.dataDir, 'blobs', 'tenants', a.tenantId));
    if (leaked.length) { tallies.fork!.escapes += leaked.length; tallies.fork!.details.push(...leaked.slice(0, 5)); }
    checkOutside('fork');
    expectNoEscape('fork');
    const total = Object.values(tallies).reduce((s, x) => s + x.iterations, 0);
    expect(total).toBeGreaterThanOrEqual(4000);
  });
});
