/**
 * The cgroup drivers against trees they can be checked on: v2 against a fake tree (a temp dir with
 * the v2 files: this host has no v2 controllers), v1 against the real hierarchies here, and the
 * detection against mountinfo texts of v1, v2 and hybrid hosts.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_WORKSPACE_LIMITS } from '../workspace-limits.js';
import { confineCommand } from './confined-spawn.js';
import { openCgroupV2 } from './cgroup-v2.js';
import { detectCgroups, parseCgroupMounts, parseOwnCgroups } from './detect-cgroups.js';

const tmp: string[] = [];
afterEach(() => {
  for (const d of tmp.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

/** A directory that looks like a delegated v2 cgroup. */
function fakeV2Root(controllers = 'cpuset cpu io memory pids'): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'coditect-fake-cg2-'));
  tmp.push(root);
  fs.writeFileSync(path.join(root, 'cgroup.controllers'), `${controllers}\n`);
  fs.writeFileSync(path.join(root, 'cgroup.subtree_control'), '');
  fs.writeFileSync(path.join(root, 'cgroup.procs'), '');
  return root;
}

const read = (f: string) => fs.readFileSync(f, 'utf8').trim();
const rmTree = (d: string) => fs.promises.rm(d, { recursive: true, force: true });

function runConfined(procsFiles: string[], script: string, fileSizeLimitBytes?: number): Promise<string> {
  const argv = confineCommand('/bin/sh', ['-c', script], { procsFiles, fileSizeLimitBytes });
  return new Promise((resolve, reject) => {
    const child = spawn(argv.command, argv.args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('error', reject);
    child.on('exit', () => resolve(out));
  });
}

describe('cgroup v2 driver (fake tree)', () => {
  it('enables cpu, memory and pids down the path and writes cpu.max, memory.max, memory.swap.max, pids.max', async () => {
    const root = fakeV2Root();
    const driver = await openCgroupV2({ root, removeDir: rmTree });
    expect(driver.version).toBe('v2');
    expect(read(path.join(root, 'cgroup.subtree_control'))).toBe('+cpu +memory +pids');
    expect(read(path.join(root, 'coditect', 'cgroup.subtree_control'))).toBe('+cpu +memory +pids');
    const cg = await driver.create('ws-a', { cpus: 1.5, memoryBytes: 2 * 1024 ** 3, swapBytes: 256 * 1024 ** 2, pids: 512, tmpBytes: 1 });
    const dir = path.join(root, 'coditect', 'ws-a');
    expect(read(path.join(dir, 'cpu.max'))).toBe('150000 100000');
    expect(read(path.join(dir, 'memory.max'))).toBe(String(2 * 1024 ** 3));
    expect(read(path.join(dir, 'memory.swap.max'))).toBe(String(256 * 1024 ** 2));
    expect(read(path.join(dir, 'pids.max'))).toBe('512');
    expect(cg.procsFiles).toEqual([path.join(dir, 'cgroup.procs')]);
  });

  it('reads usage from cpu.stat, memory.current, memory.events, pids.current and pids.events', async () => {
    const root = fakeV2Root();
    const cg = await (await openCgroupV2({ root, removeDir: rmTree })).create('ws-b', DEFAULT_WORKSPACE_LIMITS);
    const dir = path.join(root, 'coditect', 'ws-b');
    fs.writeFileSync(path.join(dir, 'cpu.stat'), 'usage_usec 2500000\nuser_usec 2000000\nsystem_usec 500000\n');
    fs.writeFileSync(path.join(dir, 'memory.current'), '104857600\n');
    fs.writeFileSync(path.join(dir, 'memory.events'), 'low 0\nhigh 0\nmax 3\noom 1\noom_kill 1\n');
    fs.writeFileSync(path.join(dir, 'pids.current'), '17\n');
    fs.writeFileSync(path.join(dir, 'pids.events'), 'max 9\n');
    expect(await cg.usage()).toEqual({
      cpuSeconds: 2.5, memoryBytes: 104857600, memoryLimitBytes: DEFAULT_WORKSPACE_LIMITS.memoryBytes,
      pids: 17, pidsLimit: 512, oomKills: 1, forksRefused: 9,
    });
  });

  it('the spawn wrapper writes its own pid into cgroup.procs before it execs the command', async () => {
    const root = fakeV2Root();
    const cg = await (await openCgroupV2({ root, removeDir: rmTree })).create('ws-c', DEFAULT_WORKSPACE_LIMITS);
    // `exec` keeps the pid: the command prints the pid that is already in cgroup.procs.
    const out = await runConfined([...cg.procsFiles], `echo "PID $$"; echo "JOINED $(cat ${cg.procsFiles[0]})"`);
    const pid = /PID (\d+)/.exec(out)![1];
    expect(out).toContain(`JOINED ${pid}`);
    fs.writeFileSync(cg.procsFiles[0]!, ''); // the fake cannot drop exited pids itself
    await cg.destroy();
    expect(fs.existsSync(path.dirname(cg.procsFiles[0]!))).toBe(false);
  });

  it('refuses a root the controllers are not delegated to, and a start fails when the pid cannot join', async () => {
    await expect(openCgroupV2({ root: fakeV2Root('cpu io') })).rejects.toThrow(/memory, pids are not delegated/);
    const out = await runConfined(['/nonexistent/cgroup.procs'], 'echo SHOULD_NOT_RUN');
    expect(out).toContain('cannot join cgroup');
    expect(out).not.toContain('SHOULD_NOT_RUN');
  });

  it('sets RLIMIT_FSIZE and ignores SIGXFSZ, so an oversized write fails with EFBIG instead of killing the writer', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'coditect-fsize-'));
    tmp.push(dir);
    const out = await runConfined([], `head -c 100000 /dev/zero > ${dir}/f; echo "rc=$?"; ulimit -f`, 4096);
    expect(out).toMatch(/File too large/);
    expect(out).toMatch(/rc=1/);
    expect(fs.statSync(path.join(dir, 'f')).size).toBe(4096);
  });

  it('detection takes v2 at CODITECT_CGROUP_ROOT and explains a root that is not usable', async () => {
    const root = fakeV2Root();
    const ok = await detectCgroups({ root });
    expect(ok.ok && ok.driver.version).toBe('v2');
    const bad = await detectCgroups({ root: fakeV2Root('io') });
    expect(bad).toEqual({ ok: false, reason: expect.stringMatching(/cgroup v2 at .*controllers cpu, memory, pids are not delegated/) });
  });
});

describe('cgroup detection', () => {
  it('parses v1, v2 and hybrid mountinfo and /proc/self/cgroup', () => {
    const mounts = parseCgroupMounts([
      '35 24 0:30 / /sys/fs/cgroup/unified rw,nosuid - cgroup2 cgroup2 rw,nsdelegate',
      '36 24 0:31 / /sys/fs/cgroup/cpu,cpuacct rw - cgroup cgroup rw,cpu,cpuacct',
      '37 24 0:32 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory',
      '38 24 0:33 / /sys/fs/cgroup/systemd rw - cgroup cgroup rw,xattr,name=systemd',
      '39 24 0:34 / /proc rw - proc proc rw',
    ].join('\n'));
    expect(mounts.map((m) => [m.mountPoint, m.fsType, m.controllers.join(',')])).toEqual([
      ['/sys/fs/cgroup/unified', 'cgroup2', ''],
      ['/sys/fs/cgroup/cpu,cpuacct', 'cgroup', 'cpu,cpuacct'],
      ['/sys/fs/cgroup/memory', 'cgroup', 'memory'],
      ['/sys/fs/cgroup/systemd', 'cgroup', 'xattr'],
    ]);
    const own = parseOwnCgroups('4:memory:/a/b\n2:cpu,cpuacct:/\n0::/system.slice/x.service\n');
    expect(own.get('memory')).toBe('/a/b');
    expect(own.get('cpu,cpuacct')).toBe('/');
    expect(own.get('')).toBe('/system.slice/x.service');
  });

  it('says why when no hierarchy is there (v2 without controllers, no v1)', async () => {
    const proc = fs.mkdtempSync(path.join(os.tmpdir(), 'coditect-proc-'));
    tmp.push(proc);
    const unified = fakeV2Root('');
    fs.writeFileSync(path.join(proc, 'mountinfo'), `35 24 0:30 / ${unified} rw - cgroup2 cgroup2 rw\n`);
    fs.writeFileSync(path.join(proc, 'cgroup'), '0::/\n');
    const r = await detectCgroups({ procSelf: proc });
    expect(r.ok).toBe(false);
    expect(!r.ok && r.reason).toMatch(/cgroup v2 at .*not delegated.*cgroup v1: no cpu, memory, pids hierarchy mounted/);
  });
});
