/**
 * Containment from the attacker's side, on real bubblewrap and real cgroups (v1 on these machines,
 * v2 where the host has it): a fork bomb, a 4 GiB allocation, a CPU spinner per core and an endless
 * writer each run inside one workspace sandbox while a second workspace sandbox and an HTTP server
 * in this process are probed. Both keep answering; the offender is contained; nothing outside it is
 * lost. Skipped (with the reason) where bwrap or a writable cgroup is missing; failing under CI=true.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildSandboxCommand, spawnSandboxCommand } from '../sandbox-command.js';
import { descendants, sandboxPrereq } from '../test-support.js';
import type { WorkspaceLimits } from '../workspace-limits.js';
import { probeSocket, startWorkspaceProcess, type WorkspaceProcess } from '../workspace-process.js';
import { WorkspaceUsageMonitor } from '../usage/usage-monitor.js';
import { measureDiskBytes } from '../usage/disk-usage.js';
import type { CgroupDriver, CgroupUsage, WorkspaceCgroup } from './cgroup-types.js';
import { confineCommand } from './confined-spawn.js';
import { detectCgroups } from './detect-cgroups.js';

const MiB = 1024 ** 2;
const parentName = `coditect-test-${process.pid}`;
const sandbox = sandboxPrereq();
const cgroups = await detectCgroups({ parentName });
const skipReason = !sandbox.ok ? sandbox.reason : !cgroups.ok ? `no writable cgroup: ${cgroups.reason}` : undefined;
if (skipReason) {
  if (process.env.CI === 'true') throw new Error(`containment tests need bwrap and cgroups in CI: ${skipReason}`);
  console.warn(`\n*** CONTAINMENT TESTS SKIPPED: ${skipReason} ***\n`);
}

/** Small limits so each attack is quick; the mechanisms are the production ones. */
const LIMITS: WorkspaceLimits = { cpus: 0.5, memoryBytes: 256 * MiB, swapBytes: 0, pids: 64, tmpBytes: 32 * MiB };

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  out: string;
  /** Highest counters seen while it ran, and the last ones. */
  peak: { pids: number; memoryBytes: number };
  last: CgroupUsage;
  wallSeconds: number;
}

describe.skipIf(Boolean(skipReason))('containment (real bwrap, real cgroups)', () => {
  let driver: CgroupDriver;
  let root: string;
  let victim: WorkspaceProcess;
  let victimCgroup: WorkspaceCgroup;
  let victimSocket: string;
  let api: http.Server;
  let apiPort: number;
  const sentinel = () => path.join(root, 'outside', 'keep.txt');

  beforeAll(async () => {
    driver = (cgroups as { driver: CgroupDriver }).driver;
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'coditect-limits-'));
    fs.mkdirSync(path.join(root, 'outside'));
    fs.writeFileSync(sentinel(), 'precious\n');
    api = http.createServer((_req, res) => res.end('ok'));
    await new Promise<void>((r) => api.listen(0, '127.0.0.1', r));
    apiPort = (api.address() as { port: number }).port;
    // The second workspace: a tiny HTTP server on a socket in its workspace folder, in its own cgroup
    // (its run dir is read-only inside, as for every workspace).
    victimCgroup = await driver.create('ws-victim', LIMITS);
    const serve = "require('http').createServer((q,r)=>r.end('alive')).listen('/workspace/probe.sock')";
    victimSocket = path.join(dir('victim-ws'), 'probe.sock');
    victim = await startWorkspaceProcess({
      sessionId: 'victim', workspaceDir: dir('victim-ws'), runDir: dir('victim-run'), cliDir: false,
      entry: [fs.realpathSync(process.execPath), '-e', serve], limits: LIMITS,
      confinement: { procsFiles: victimCgroup.procsFiles }, readyTimeoutMs: 20_000,
      readyProbe: () => probeSocket(victimSocket),
    });
  }, 60_000);

  afterAll(async () => {
    await victim?.stop(1000);
    await victimCgroup?.destroy();
    api?.close();
    if (root) fs.rmSync(root, { recursive: true, force: true });
    // The test's own parent cgroups (empty now).
    for (const base of ['cpu', 'cpuacct', 'memory', 'pids']) {
      const own = fs.readFileSync('/proc/self/cgroup', 'utf8').split('\n').find((l) => l.split(':')[1]?.split(',').includes(base));
      try {
        if (own) fs.rmdirSync(path.join('/sys/fs/cgroup', base, own.split(':')[2]!, parentName));
      } catch { /* not there (v2, or co-mounted) */ }
    }
  });

  function dir(name: string): string {
    const d = path.join(root, name);
    fs.mkdirSync(d, { recursive: true });
    return d;
  }

  /** Runs `script` (sh) as the entry of a workspace sandbox confined to a fresh cgroup. */
  async function runConfined(name: string, script: string, opts: {
    fileSizeLimitBytes?: number; onStart?: (cg: WorkspaceCgroup) => void; onSpawn?: (pid: number, cg: WorkspaceCgroup) => Promise<void>;
  } = {}): Promise<Run> {
    const cgroup = await driver.create(`ws-${name}`, LIMITS);
    opts.onStart?.(cgroup);
    const cmd = buildSandboxCommand({
      sessionId: name, workspaceDir: dir(`${name}-ws`), runDir: dir(`${name}-run`), homeDir: dir(`${name}-home`),
      cliDir: false, entry: ['/bin/sh', '-c', script], limits: LIMITS,
    });
    const argv = confineCommand(cmd.command, cmd.args, { procsFiles: cgroup.procsFiles, fileSizeLimitBytes: opts.fileSizeLimitBytes });
    const t0 = performance.now();
    const child = spawnSandboxCommand({ ...cmd, ...argv }, { stdio: ['ignore', 'pipe', 'pipe'] });
    const spawned = opts.onSpawn?.(child.pid!, cgroup);
    let out = '';
    child.stdout!.on('data', (d) => (out += d));
    child.stderr!.on('data', (d) => (out += d));
    const peak = { pids: 0, memoryBytes: 0 };
    const sampler = setInterval(() => {
      void cgroup.usage().then((u) => {
        peak.pids = Math.max(peak.pids, u.pids);
        peak.memoryBytes = Math.max(peak.memoryBytes, u.memoryBytes);
      }, () => {});
    }, 50);
    const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((r) => child.on('exit', (c, s) => r([c, s])));
    clearInterval(sampler);
    await spawned;
    const wallSeconds = (performance.now() - t0) / 1000;
    const last = await cgroup.usage();
    await cgroup.destroy();
    return { code, signal, out, peak, last, wallSeconds };
  }

  /** Probes the second workspace and the HTTP server until `attack` settles; answers the results. */
  async function probeDuring<T>(attack: Promise<T>): Promise<{ result: T; ok: number; failed: string[] }> {
    let done = false;
    const settled = attack.finally(() => { done = true; });
    let ok = 0;
    const failed: string[] = [];
    while (!done) {
      const [ws, web] = await Promise.all([
        probeSocket(victimSocket, '/', 10_000),
        fetch(`http://127.0.0.1:${apiPort}/`, { signal: AbortSignal.timeout(10_000) }).then((r) => r.status, (e: Error) => e.message),
      ]);
      if (ws === 200 && web === 200) ok++;
      else failed.push(`workspace ${ws}, api ${web}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    return { result: await settled, ok, failed };
  }

  function expectNothingOutsideLost(): void {
    expect(fs.readFileSync(sentinel(), 'utf8')).toBe('precious\n');
    expect(victim.running).toBe(true);
  }

  it('puts bwrap and everything it forks in the cgroup: every process of the sandbox is inside', async () => {
    let seen: { tree: number[]; inside: number[] } | undefined;
    const run = await runConfined('join', 'sleep 1.5 & sleep 1.5; wait', {
      onSpawn: async (pid, cg) => {
        await new Promise((r) => setTimeout(r, 700));
        seen = { tree: [pid, ...descendants(pid)], inside: await cg.pids() };
      },
    });
    expect(run.code).toBe(0);
    // bwrap, its init in the new pid namespace, sh and two sleeps.
    expect(seen!.tree.length).toBeGreaterThanOrEqual(4);
    expect(seen!.tree.filter((p) => !seen!.inside.includes(p))).toEqual([]);
  });

  it('a fork bomb hits pids.max (fork fails with EAGAIN) while the other workspace and the API answer', async () => {
    const bomb = [
      'import os, errno, time',
      'n, first, end = 0, None, time.time() + 3',
      'while time.time() < end:',
      '    try:',
      '        pid = os.fork()',
      '    except OSError as e:',
      '        if first is None: first = errno.errorcode.get(e.errno); print("FORK_FAILED", n, first, flush=True)',
      '        time.sleep(0.005); continue',
      '    if pid == 0:',
      '        while True:',  // every child is a bomb too
      '            try: os.fork()',
      '            except OSError: time.sleep(0.005)',
      '    n += 1',
      'print("PARENT_FORKED", n, flush=True)',
    ].join('\n');
    const { result: run, ok, failed } = await probeDuring(runConfined('forkbomb', `python3 -c '${bomb}'`));
    console.log(`[limits] fork bomb: peak pids ${run.peak.pids} of ${LIMITS.pids}, forks refused ${run.last.forksRefused}, ${run.out.match(/FORK_FAILED.*|PARENT_FORKED.*/g)?.join('; ')}, probes ok ${ok}`);
    expect(run.out).toMatch(/FORK_FAILED \d+ EAGAIN/);
    expect(run.peak.pids).toBeLessThanOrEqual(LIMITS.pids);
    expect(run.last.forksRefused).toBeGreaterThan(0);
    expect(failed).toEqual([]);
    expect(ok).toBeGreaterThanOrEqual(3);
    expectNothingOutsideLost();
  });

  it('a 4 GiB allocation is OOM-killed inside at the memory limit; the rest keeps answering', async () => {
    const alloc = [
      'import sys',
      'chunks = []',
      'for i in range(64):',
      '    chunks.append(b"x" * (64 << 20))',  // touched pages: really charged
      '    print("ALLOCATED", (i + 1) * 64, "MiB", flush=True)',
    ].join('\n');
    const { result: run, ok, failed } = await probeDuring(runConfined('alloc', `python3 -c '${alloc}'; echo "EXIT $?"; sleep 2`));
    const reached = Math.max(0, ...[...run.out.matchAll(/ALLOCATED (\d+)/g)].map((m) => Number(m[1])));
    console.log(`[limits] 4 GiB allocation: reached ${reached} MiB, peak memory ${(run.peak.memoryBytes / MiB).toFixed(0)} MiB of ${LIMITS.memoryBytes / MiB}, ${run.out.match(/EXIT \d+/)?.[0]}, oom kills ${run.last.oomKills}, probes ok ${ok}`);
    expect(run.out).toMatch(/EXIT 137/); // SIGKILL from the OOM killer
    expect(reached).toBeLessThan(4096);
    expect(run.peak.memoryBytes).toBeLessThanOrEqual(LIMITS.memoryBytes);
    expect(run.last.oomKills).toBeGreaterThanOrEqual(1);
    expect(failed).toEqual([]);
    expect(ok).toBeGreaterThanOrEqual(3);
    expectNothingOutsideLost();
  });

  it('a CPU spinner per core gets its quota, not the node', async () => {
    const cores = os.availableParallelism();
    const spin = `for i in $(seq ${cores}); do (while :; do :; done) & done; sleep 4; kill $(jobs -p)`;
    const { result: run, ok, failed } = await probeDuring(runConfined('spinner', spin));
    const share = run.last.cpuSeconds / run.wallSeconds;
    console.log(`[limits] spinner x${cores}: ${run.last.cpuSeconds.toFixed(2)} CPU s in ${run.wallSeconds.toFixed(2)} s wall = ${share.toFixed(2)} cores (quota ${LIMITS.cpus}), probes ok ${ok}`);
    expect(run.last.cpuSeconds).toBeGreaterThan(0.5);
    expect(run.last.cpuSeconds).toBeLessThanOrEqual(LIMITS.cpus * run.wallSeconds * 1.5);
    expect(failed).toEqual([]);
    expect(ok).toBeGreaterThanOrEqual(3);
    expectNothingOutsideLost();
  });

  /** Runs `writer` in a sandbox watched by a disk monitor: one tenant with only this workspace. */
  async function runWriter(name: string, writer: string, quota: number, slack: number) {
    let cgroup: WorkspaceCgroup | undefined;
    let stopped = false;
    const monitor = new WorkspaceUsageMonitor({
      slackBytes: slack, intervalMs: 200, logger: { info() {}, warn() {}, error() {} },
      stopWorkspace: async () => { stopped = true; await cgroup?.killAll(); },
      account: { record: async (_t, _s, b) => ({ tenantBytes: b.workspace + b.home, quotaBytes: quota }) },
    });
    const run = await probeDuring(runConfined(name, writer, {
      fileSizeLimitBytes: quota + slack, // what the host sets: the quota left + slack
      onStart: (cg) => {
        cgroup = cg;
        monitor.track({ tenantId: 't', sessionId: name, pid: 1, workspaceDir: path.join(root, `${name}-ws`),
          homeDir: path.join(root, `${name}-home`), extraDirs: [path.join(root, `${name}-run`)], cgroup: cg });
      },
    }));
    monitor.close();
    const [ws, home, runDir] = await measureDiskBytes([`${name}-ws`, `${name}-home`, `${name}-run`].map((d) => path.join(root, d)));
    return { ...run, stopped, taken: ws! + home! + runDir! };
  }

  const WRITE_LOOP = [
    'i=0',
    'while [ $i -lt 100000 ]; do',
    '  head -c 1048576 /dev/zero > /workspace/f$i || { echo "WRITE_FAILED after $i MiB"; break; }',
    '  i=$((i+1))',
    'done',
  ].join('\n');

  it('an endless writer gets EFBIG inside once its tenant is over quota, can still delete, and /tmp fills at its size', async () => {
    const quota = 32 * MiB;
    const slack = 32 * MiB;
    const writer = [
      // /tmp is a sized tmpfs: it fills up with ENOSPC at its size.
      `head -c ${64 * MiB} /dev/zero > /tmp/fill || echo "TMP_FULL $(du -m /tmp/fill | cut -f1) MiB"`, 'rm -f /tmp/fill',
      WRITE_LOOP,
      'head -c 1048576 /dev/zero > /home/coditect/more || echo "HOME_WRITE_FAILED"',
      'rm -f /workspace/f0 && echo "DELETE_OK"',
      'sleep 1',
    ].join('\n');
    const run = await runWriter('writer', writer, quota, slack);
    console.log(`[limits] writer: ${run.result.out.match(/TMP_FULL.*|WRITE_FAILED.*|HOME_WRITE_FAILED|DELETE_OK/g)?.join('; ')}; on disk after ${(run.taken / MiB).toFixed(1)} MiB (quota ${quota / MiB} + slack ${slack / MiB}); stopped outright: ${run.stopped}; probes ok ${run.ok}`);
    expect(run.result.out).toMatch(/TMP_FULL (3[0-2]|2\d) MiB/);
    expect(run.result.out).toMatch(/No space left on device/);
    expect(run.stopped).toBe(false);
    expect(run.result.out).toMatch(/File too large/);
    expect(run.result.out).toMatch(/WRITE_FAILED after \d+ MiB/);
    expect(run.result.out).toContain('HOME_WRITE_FAILED');
    expect(run.result.out).toContain('DELETE_OK'); // the user can still free space
    expect(run.taken).toBeLessThanOrEqual(quota + slack);
    expect(run.failed).toEqual([]);
    expect(run.ok).toBeGreaterThanOrEqual(1);
    expectNothingOutsideLost();
  });

  it('a writer that lifts its own soft limit is stopped past quota + slack; no single file outgrows the hard limit', async () => {
    const quota = 32 * MiB;
    const slack = 32 * MiB;
    const writer = [
      // One file first: the hard RLIMIT_FSIZE (quota left + slack) caps it.
      'cat /dev/zero > /workspace/one || echo "ONE_FILE_STOPPED $(du -m /workspace/one | cut -f1) MiB"',
      'rm -f /workspace/one',
      'while :; do',
      '  ulimit -S -f "$(ulimit -H -f)"', // the attacker undoes the block each round
      '  head -c 1048576 /dev/zero > /workspace/g$(date +%s%N) 2>/dev/null',
      'done',
    ].join('\n');
    const run = await runWriter('lifter', writer, quota, slack);
    console.log(`[limits] soft-limit lifter: ${run.result.out.match(/ONE_FILE_STOPPED.*/)?.[0]}; on disk after ${(run.taken / MiB).toFixed(1)} MiB (quota ${quota / MiB} + slack ${slack / MiB}); stopped outright: ${run.stopped}; probes ok ${run.ok}`);
    expect(run.result.out).toMatch(/ONE_FILE_STOPPED 64 MiB/);
    expect(run.stopped).toBe(true);
    // Past quota + slack it is stopped at the next sample; what it wrote meanwhile is the overshoot.
    expect(run.taken).toBeLessThanOrEqual(quota + 2 * slack);
    expect(run.failed).toEqual([]);
    expectNothingOutsideLost();
  });

  it('destroy kills a live fork bomb (no pid namespace to end it) and removes the cgroup', async () => {
    const cg = await driver.create('ws-livebomb', LIMITS);
    const argv = confineCommand('/bin/bash', ['-c', 'b() { b | b & }; b; sleep 60'], { procsFiles: cg.procsFiles });
    const child = spawn(argv.command, argv.args, { stdio: 'ignore', detached: true });
    child.unref();
    await new Promise((r) => setTimeout(r, 1000));
    const during = await cg.usage();
    await cg.destroy();
    console.log(`[limits] live fork bomb: ${during.pids} pids (limit ${LIMITS.pids}), ${during.forksRefused} forks refused before destroy`);
    expect(during.pids).toBeGreaterThan(LIMITS.pids / 2);
    expect(during.pids).toBeLessThanOrEqual(LIMITS.pids);
    expect(cg.procsFiles.every((f) => !fs.existsSync(path.dirname(f)))).toBe(true);
  });

  it('removes the workspace cgroup on destroy, killing what is left (a sleeper that escaped its process group)', async () => {
    const cg = await driver.create('ws-leftover', LIMITS);
    const argv = confineCommand('/bin/sh', ['-c', 'setsid sleep 300 & sleep 300'], { procsFiles: cg.procsFiles });
    const child = spawn(argv.command, argv.args, { stdio: 'ignore', detached: true });
    for (let i = 0; i < 100 && (await cg.pids()).length < 2; i++) await new Promise((r) => setTimeout(r, 20));
    const pids = await cg.pids();
    expect(pids.length).toBeGreaterThanOrEqual(2);
    await cg.destroy();
    for (const p of pids) expect(fs.existsSync(`/proc/${p}/stat`) && !/\) Z /.test(fs.readFileSync(`/proc/${p}/stat`, 'utf8'))).toBe(false);
    expect(cg.procsFiles.every((f) => !fs.existsSync(path.dirname(f)))).toBe(true);
    child.unref();
  });
});
