/** Runner logic with a fake process starter (no bwrap, no Theia): fast and deterministic. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { WorkspaceExit, WorkspaceProcess, WorkspaceProcessOptions } from './workspace-process.js';
import { WorkspaceLimitsUnavailableError, type CgroupDriver } from './cgroups/cgroup-types.js';
import * as runnerModule from './workspace-runner.js';
import { WorkspaceCapacityError, WorkspaceRunner, WorkspaceRunnerClosedError, WorkspaceSandboxUnavailableError } from './workspace-runner.js';

interface Fake extends WorkspaceProcess {
  crash(): void;
}

function fakeStarter(delayMs = 20) {
  const started: WorkspaceProcessOptions[] = [];
  const procs: Fake[] = [];
  const start = async (opts: WorkspaceProcessOptions): Promise<WorkspaceProcess> => {
    started.push(opts);
    await new Promise(r => setTimeout(r, delayMs));
    let resolveExit!: (e: WorkspaceExit) => void;
    const exited = new Promise<WorkspaceExit>(r => (resolveExit = r));
    let running = true;
    const end = (expected: boolean) => {
      if (!running) return;
      running = false;
      const e: WorkspaceExit = { code: expected ? 0 : 1, signal: null, expected };
      opts.onExit?.(e);
      resolveExit(e);
    };
    const p: Fake = {
      sessionId: opts.sessionId,
      pid: 10_000 + procs.length,
      socketPath: path.join(opts.runDir, 'ide.sock'),
      apiSocketPath: path.join(opts.runDir, 'api.sock'),
      startedAt: new Date(),
      readyMs: delayMs,
      exited,
      get running() {
        return running;
      },
      recentOutput: () => ['boom'],
      stop: async () => {
        end(true);
        return exited;
      },
      crash: () => end(false),
    };
    procs.push(p);
    return p;
  };
  return { start, started, procs };
}

describe('WorkspaceRunner', () => {
  let root: string;
  beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'coditect-runner-'));
  });
  afterEach(() => {
    fs.rmSync(root, { recursive: true, force: true });
  });

  const make = (extra: Partial<ConstructorParameters<typeof WorkspaceRunner>[0]> = {}) => {
    const fake = fakeStarter();
    const runner = new WorkspaceRunner({ runRoot: path.join(root, 'run'), reapIntervalMs: 0, start: fake.start, dangerouslyAllowUnsandboxed: true, ...extra });
    return { runner, fake };
  };
  const ws = (id: string) => ({ workspaceDir: path.join(root, 'ws', id) });

  it('starts once for concurrent opens of one session, and reports status', async () => {
    const { runner, fake } = make();
    expect(runner.status('s1')).toBe('stopped');
    const p1 = runner.ensureRunning('s1', ws('s1'));
    const p2 = runner.ensureRunning('s1', ws('s1'));
    expect(runner.status('s1')).toBe('starting');
    const [a, b] = await Promise.all([p1, p2]);
    expect(a).toBe(b);
    expect(fake.started).toHaveLength(1);
    expect(fake.started[0]!.basePath).toBe('/');
    expect(runner.status('s1')).toBe('running');
    expect(fs.existsSync(path.join(root, 'ws', 's1'))).toBe(true);
    expect(await runner.ensureRunning('s1', ws('s1'))).toBe(a);
    expect(fake.started).toHaveLength(1);
  });

  it('refuses past the capacity limit with workspace_capacity', async () => {
    const { runner } = make({ maxRunning: 2 });
    await runner.ensureRunning('s1', ws('s1'));
    await runner.ensureRunning('s2', ws('s2'));
    const err = await runner.ensureRunning('s3', ws('s3')).catch(e => e);
    expect(err).toBeInstanceOf(WorkspaceCapacityError);
    expect(err.code).toBe('workspace_capacity');
    await runner.stop('s1');
    await expect(runner.ensureRunning('s3', ws('s3'))).resolves.toBeTruthy();
  });

  it('stops idle workspaces, but not while a connection is open', async () => {
    const { runner } = make({ idleTimeoutMs: 1000 });
    await runner.ensureRunning('s1', ws('s1'));
    await runner.ensureRunning('s2', ws('s2'));
    const release = runner.acquire('s2');
    const later = Date.now() + 5000;
    expect(await runner.reapIdle(later)).toEqual(['s1']);
    expect(runner.status('s1')).toBe('stopped');
    expect(runner.status('s2')).toBe('running');
    release();
    expect(await runner.reapIdle(Date.now() + 500)).toEqual([]);
    expect(await runner.reapIdle(Date.now() + 5000)).toEqual(['s2']);
  });

  it('reports a crash and restarts on the next open', async () => {
    const onCrash = vi.fn();
    const afterExit = vi.fn();
    const { runner, fake } = make({ onCrash, afterExit });
    await runner.ensureRunning('s1', ws('s1'));
    fake.procs[0]!.crash();
    expect(onCrash).toHaveBeenCalledWith('s1', { code: 1, signal: null, expected: false }, ['boom']);
    expect(runner.status('s1')).toBe('stopped');
    await new Promise(r => setTimeout(r, 0));
    expect(afterExit).toHaveBeenCalledWith('s1', path.join(root, 'run', 's1'));
    const again = await runner.ensureRunning('s1', ws('s1'));
    expect(again).toBe(fake.procs[1]);
    expect(fake.started).toHaveLength(2);
  });

  it('a failed start is not cached', async () => {
    let fail = true;
    const fake = fakeStarter();
    const runner = new WorkspaceRunner({
      runRoot: path.join(root, 'run'),
      reapIntervalMs: 0,
      dangerouslyAllowUnsandboxed: true,
      start: async o => {
        if (fail) throw new Error('nope');
        return fake.start(o);
      },
    });
    await expect(runner.ensureRunning('s1', ws('s1'))).rejects.toThrow('nope');
    expect(runner.status('s1')).toBe('stopped');
    fail = false;
    await expect(runner.ensureRunning('s1', ws('s1'))).resolves.toBeTruthy();
  });

  it('stopAll stops everything and refuses new starts', async () => {
    const { runner, fake } = make();
    await Promise.all(['a', 'b', 'c'].map(id => runner.ensureRunning(id, ws(id))));
    await runner.stopAll();
    expect(fake.procs.every(p => !p.running)).toBe(true);
    expect(runner.size).toBe(0);
    await expect(runner.ensureRunning('d', ws('d'))).rejects.toBeInstanceOf(WorkspaceRunnerClosedError);
  });

  it('rejects session ids that are not safe path segments', async () => {
    const { runner } = make();
    await expect(runner.ensureRunning('../x', ws('x'))).rejects.toThrow('invalid session id');
  });

  it('without a working bwrap, refuses unless the development flag is set', async () => {
    const missing = async () => ({ ok: false, reason: 'bubblewrap (bwrap) is not installed' });
    const fake = fakeStarter();
    const strict = new WorkspaceRunner({ runRoot: path.join(root, 'run'), reapIntervalMs: 0, start: fake.start, sandboxSupport: missing });
    const err = await strict.ensureRunning('s1', ws('s1')).catch(e => e);
    expect(err).toBeInstanceOf(WorkspaceSandboxUnavailableError);
    expect(err.message).toContain('bubblewrap');
    expect(fake.started).toHaveLength(0);
    const dev = new WorkspaceRunner({
      runRoot: path.join(root, 'run'), reapIntervalMs: 0, start: fake.start, sandboxSupport: missing, dangerouslyAllowUnsandboxed: true,
    });
    await dev.ensureRunning('s1', ws('s1'));
    expect(fake.started[0]!.sandbox).toBe('none');
    const ok = new WorkspaceRunner({
      runRoot: path.join(root, 'run'), reapIntervalMs: 0, start: fake.start, sandboxSupport: async () => ({ ok: true, bwrapPath: '/usr/bin/bwrap' }),
    });
    await ok.ensureRunning('s2', ws('s2'));
    expect(fake.started[1]!.sandbox).toBe('bwrap');
  });

  it('without a writable cgroup, refuses with workspace_limits_unavailable unless the development flag is set', async () => {
    const none = async () => ({ ok: false as const, reason: 'cgroup v1: no cpu, memory, pids hierarchy mounted' });
    const limits = { cpus: 1, memoryBytes: 1 << 30, swapBytes: 0, pids: 100, tmpBytes: 1 << 20 };
    const warn = vi.fn();
    const { runner: strict, fake } = make({ cgroups: { limits, cgroups: none } });
    const err = await strict.ensureRunning('l1', ws('l1')).catch(e => e);
    expect(err).toBeInstanceOf(WorkspaceLimitsUnavailableError);
    expect(err.code).toBe('workspace_limits_unavailable');
    expect(err.message).toContain('no cpu, memory, pids hierarchy');
    expect(fake.started).toHaveLength(0);
    const { runner: dev, fake: devFake } = make({ cgroups: { limits, cgroups: none, dangerouslyUnlimited: true },
      logger: { info() {}, warn, error() {} } });
    await dev.ensureRunning('l2', ws('l2'));
    expect(devFake.started[0]!.confinement).toBeUndefined();
    expect(warn.mock.calls[0]![1]).toMatch(/UNLIMITED workspace/);
  });

  it('creates one cgroup per run, spawns into it, and removes it when the workspace stops', async () => {
    const events: string[] = [];
    const driver: CgroupDriver = {
      version: 'v2', describe: 'fake',
      create: async (name, limits) => {
        events.push(`create ${name.replace(/-[a-z0-9]+$/, '')} ${limits.pids}`);
        return { name, procsFiles: [`/fake/${name}/cgroup.procs`], usage: async () => { throw new Error('unused'); },
          pids: async () => [], killAll: async () => {}, destroy: async () => { events.push('destroy'); } };
      },
    };
    const limits = { cpus: 1, memoryBytes: 1 << 30, swapBytes: 0, pids: 100, tmpBytes: 1 << 20 };
    const { runner, fake } = make({ limits, cgroups: { limits, cgroups: async () => ({ ok: true, driver }) } });
    await runner.ensureRunning('c1', { ...ws('c1'), fileSizeLimitBytes: 4096 });
    expect(fake.started[0]!.confinement).toEqual({ procsFiles: [expect.stringMatching(/^\/fake\/ws-c1-.*\/cgroup.procs$/)], fileSizeLimitBytes: 4096 });
    expect(fake.started[0]!.limits).toEqual(limits);
    expect(runner.cgroup('c1')).toBeDefined();
    await runner.stop('c1');
    expect(events).toEqual(['create ws-c1 100', 'destroy']);
  });

  it('checkSandboxSupport reports this machine', async () => {
    const support = await runnerModule.checkSandboxSupport();
    expect(typeof support.ok).toBe('boolean');
    if (!support.ok) expect(support.reason).toBeTruthy();
  });
});
