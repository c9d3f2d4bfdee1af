/**
 * Runs at most one sandboxed IDE backend per workspace session on this node:
 * runtime choice (bubblewrap + seccomp or gVisor, decided once at start), single-flight start,
 * capacity limit, idle reaper, crash reporting, stopAll() for shutdown.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { WorkspaceCgroup } from './cgroups/cgroup-types.js';
import { createWorkspaceCgroup, type WorkspaceCgroupOptions } from './cgroups/workspace-cgroups.js';
import { cleanLeftoverSandboxes, containerId, deleteSandbox, runscPaths } from './sandbox/runsc.js';
import {
  checkSandboxSupport,
  chooseRuntime,
  type RuntimeChoice,
  type SandboxSupport,
  type WorkspaceRuntimeSetting,
} from './sandbox/runtime-choice.js';
import { findOnPath, SANDBOX } from './sandbox/sandbox-layout.js';
import type { WorkspaceLimits } from './workspace-limits.js';
import type { RuntimeCheck } from './sandbox/runsc.js';
import { IdeTunnel } from './ide-tunnel.js';
import {
  silentLogger,
  startWorkspaceProcess,
  type WorkspaceExit,
  type WorkspaceLogger,
  type WorkspaceProcess,
  type WorkspaceProcessOptions,
} from './workspace-process.js';

export type WorkspaceStatus = 'stopped' | 'starting' | 'running';

export class WorkspaceCapacityError extends Error {
  readonly code = 'workspace_capacity';
  readonly statusCode = 503;
  constructor(readonly limit: number) {
    super(`This server already runs its maximum of ${limit} workspaces; close another workspace or try again later.`);
    this.name = 'WorkspaceCapacityError';
  }
}

export class WorkspaceSandboxUnavailableError extends Error {
  readonly code = 'workspace_sandbox_unavailable';
  readonly statusCode = 503;
  constructor(readonly reason: string) {
    super(`Workspaces cannot start: ${reason}`);
    this.name = 'WorkspaceSandboxUnavailableError';
  }
}

/** The runtime the operator asked for (CODITECT_WORKSPACE_RUNTIME) cannot run here. */
export class WorkspaceRuntimeUnavailableError extends Error {
  readonly code = 'workspace_runtime_unavailable';
  readonly statusCode = 503;
  constructor(readonly runtime: string, readonly reason: string) {
    super(`Workspaces cannot start: the ${runtime} runtime is unavailable: ${reason}`);
    this.name = 'WorkspaceRuntimeUnavailableError';
  }
}

export { checkSandboxSupport, type RuntimeChoice, type SandboxSupport, type WorkspaceRuntimeSetting };

export class WorkspaceRunnerClosedError extends Error {
  readonly code = 'workspace_runner_closed';
  readonly statusCode = 503;
  constructor() {
    super('The workspace runner is shutting down');
    this.name = 'WorkspaceRunnerClosedError';
  }
}

export interface WorkspaceStartRequest {
  /** Host path of the session's workspace directory (created if missing). */
  workspaceDir: string;
  /** Environment for the IDE backend, e.g. { CODITECT_API_TOKEN }. */
  env?: Record<string, string>;
  /** Persistent HOME for the session (settings, shell history); a tmpfs when omitted. */
  homeDir?: string;
  /** RLIMIT_FSIZE for every process inside: no single file grows past it (e.g. the quota left). */
  fileSizeLimitBytes?: number;
}

export interface WorkspaceRunnerOptions {
  /** Run dirs live at {runRoot}/{sessionId} (ide.sock, api.sock, generated etc/). Keep it outside the data dir. */
  runRoot: string;
  /** Built Theia application (packages/ide). */
  ideAppDir?: string;
  logger?: WorkspaceLogger;
  /** Stop a workspace with no open connection for this long. Default 15 min. */
  idleTimeoutMs?: number;
  /** How often the idle reaper runs. Default 30 s; 0 disables the timer (call reapIdle() yourself). */
  reapIntervalMs?: number;
  /** Maximum workspaces starting or running at once on this node. Default 20. */
  maxRunning?: number;
  readyTimeoutMs?: number;
  stopGraceMs?: number;
  /** Public base path of a session's IDE. Default `/` (each IDE is served on an origin of its own). */
  basePath?: (sessionId: string) => string;
  /**
   * DEVELOPMENT ONLY: run workspaces without bubblewrap when it is unavailable. The IDE then runs
   * with the server's own user, files and network. Wire it to a loudly named flag
   * (e.g. CODITECT_DANGEROUS_UNSANDBOXED_WORKSPACES=1), never on by default.
   */
  dangerouslyAllowUnsandboxed?: boolean;
  /** Called when a running workspace exits without being asked to (it restarts on the next open). */
  onCrash?: (sessionId: string, exit: WorkspaceExit, output: string[]) => void;
  /** Called before a process starts; e.g. to listen on api.sock. Errors abort the start. */
  beforeStart?: (sessionId: string, runDir: string) => Promise<void> | void;
  /** Called after a process has exited (stop or crash); e.g. to close the api.sock listener. */
  afterExit?: (sessionId: string, runDir: string) => Promise<void> | void;
  /** CPU, memory and process limits through one cgroup per workspace. Unset: none (runner tests only). */
  cgroups?: WorkspaceCgroupOptions;
  /** Replaceable for tests. */
  /** What each workspace may use (gVisor: linux.resources + cgroupsPath; both: the /tmp size). */
  limits?: WorkspaceLimits;
  /** CODITECT_WORKSPACE_RUNTIME: 'bwrap' (default), 'gvisor' or 'auto'. */
  runtime?: WorkspaceRuntimeSetting;
  /** runsc executable (gvisor, auto); default: found on PATH. */
  runscPath?: string;
  /** Replaceable for tests: bubblewrap's self-test. */
  sandboxSupport?: () => Promise<SandboxSupport>;
  /** Replaceable for tests: runsc's self-test. */
  runscCheck?: (runscPath: string) => Promise<RuntimeCheck>;
  /** Replaceable for tests. */
  start?: (opts: WorkspaceProcessOptions) => Promise<WorkspaceProcess>;
}

interface Entry {
  sessionId: string;
  promise: Promise<WorkspaceProcess>;
  process?: WorkspaceProcess;
  cgroup?: WorkspaceCgroup | undefined;
  /** Settles once the exited workspace's cgroup is gone and afterExit ran. */
  released?: Promise<void>;
  /** The server's end of the IDE tunnel ({runDir}/ide.sock); open while the entry lives. */
  tunnel?: IdeTunnel;
  connections: number;
  lastActivity: number;
}

const SESSION_ID_RE = /^[A-Za-z0-9_-]{1,128}$/;

export class WorkspaceRunner {
  private readonly entries = new Map<string, Entry>();
  private readonly logger: WorkspaceLogger;
  private readonly idleTimeoutMs: number;
  private readonly maxRunning: number;
  private readonly timer: NodeJS.Timeout | undefined;
  private closed = false;
  private readonly choice: Promise<RuntimeChoice>;

  constructor(private readonly opts: WorkspaceRunnerOptions) {
    this.logger = opts.logger ?? silentLogger;
    this.choice = this.decideRuntime();
    this.idleTimeoutMs = opts.idleTimeoutMs ?? 15 * 60_000;
    this.maxRunning = opts.maxRunning ?? 20;
    const interval = opts.reapIntervalMs ?? 30_000;
    if (interval > 0) {
      this.timer = setInterval(() => void this.reapIdle(), interval);
      this.timer.unref();
    }
  }

  /**
   * Cleans what a crashed server left in this node's runsc state dir, then decides the runtime
   * (one log line saying which and why).
   */
  private async decideRuntime(): Promise<RuntimeChoice> {
    const runscPath = this.opts.runscPath ?? findOnPath('runsc');
    if (runscPath && fs.existsSync(runscPaths(this.opts.runRoot, runscPath).stateDir)) {
      try {
        const ids = await cleanLeftoverSandboxes(runscPaths(this.opts.runRoot, runscPath));
        if (ids.length) this.logger.warn({ sandboxes: ids }, 'deleted gVisor sandboxes a previous server left behind');
      } catch (e) {
        this.logger.error({ err: (e as Error).message }, 'could not clean leftover gVisor sandboxes');
      }
    }
    const choice = await chooseRuntime({
      setting: this.opts.runtime ?? 'bwrap',
      runRoot: this.opts.runRoot,
      ...(runscPath ? { runscPath } : {}),
      ...(this.opts.sandboxSupport ? { bwrapCheck: this.opts.sandboxSupport } : {}),
      ...(this.opts.runscCheck ? { runscCheck: this.opts.runscCheck } : {}),
    });
    if (choice.ok) this.logger.info({ runtime: choice.runtime, reason: choice.reason }, `workspaces run on ${choice.runtime}`);
    else this.logger.error({ runtime: choice.runtime, reason: choice.reason }, `workspace runtime ${choice.runtime} unavailable`);
    return choice;
  }

  /** The runtime this node's workspaces run on (decided once, at construction). */
  runtime(): Promise<RuntimeChoice> {
    return this.choice;
  }

  /** Number of workspaces starting or running. */
  get size(): number {
    return this.entries.size;
  }

  status(sessionId: string): WorkspaceStatus {
    const e = this.entries.get(sessionId);
    if (!e) return 'stopped';
    return e.process?.running ? 'running' : 'starting';
  }

  /** The running process, if the session's IDE is up. */
  get(sessionId: string): WorkspaceProcess | undefined {
    const p = this.entries.get(sessionId)?.process;
    return p?.running ? p : undefined;
  }

  /** The cgroup of a starting or running workspace (undefined when it runs without limits). */
  cgroup(sessionId: string): WorkspaceCgroup | undefined {
    return this.entries.get(sessionId)?.cgroup;
  }

  /** The IDE tunnel of a running session: take() a connection per proxied request or WebSocket. */
  tunnel(sessionId: string): IdeTunnel | undefined {
    const e = this.entries.get(sessionId);
    return e?.process?.running ? e.tunnel : undefined;
  }

  sessionIds(): string[] {
    return [...this.entries.keys()];
  }

  runDir(sessionId: string): string {
    return path.join(this.opts.runRoot, sessionId);
  }

  /**
   * Makes sure the session's IDE runs; concurrent calls share one start. Throws
   * WorkspaceCapacityError (503 workspace_capacity), WorkspaceSandboxUnavailableError,
   * WorkspaceStartError or WorkspaceRunnerClosedError.
   */
  ensureRunning(sessionId: string, req: WorkspaceStartRequest): Promise<WorkspaceProcess> {
    if (!SESSION_ID_RE.test(sessionId)) return Promise.reject(new Error(`invalid session id: ${sessionId}`));
    if (this.closed) return Promise.reject(new WorkspaceRunnerClosedError());
    const existing = this.entries.get(sessionId);
    if (existing) {
      existing.lastActivity = Date.now();
      return existing.promise;
    }
    if (this.entries.size >= this.maxRunning) return Promise.reject(new WorkspaceCapacityError(this.maxRunning));
    const entry: Entry = { sessionId, connections: 0, lastActivity: Date.now(), promise: undefined as never };
    entry.promise = this.startEntry(entry, req);
    this.entries.set(sessionId, entry);
    entry.promise.catch(() => {
      if (this.entries.get(sessionId) === entry) this.entries.delete(sessionId);
    });
    return entry.promise;
  }

  private async startEntry(entry: Entry, req: WorkspaceStartRequest): Promise<WorkspaceProcess> {
    const { sessionId } = entry;
    const choice = await this.choice;
    let sandbox: 'bwrap' | 'gvisor' | 'none' = choice.runtime;
    if (!choice.ok) {
      // gVisor asked for and unavailable: no fallback to a weaker runtime.
      if (choice.runtime === 'gvisor') throw new WorkspaceRuntimeUnavailableError('gvisor', choice.reason);
      if (!this.opts.dangerouslyAllowUnsandboxed) throw new WorkspaceSandboxUnavailableError(choice.reason);
      this.logger.warn({ sessionId, reason: choice.reason }, 'UNSANDBOXED workspace: the IDE runs with the server user, files and network');
      sandbox = 'none';
    }
    const runDir = this.runDir(sessionId);
    fs.mkdirSync(req.workspaceDir, { recursive: true });
    fs.mkdirSync(runDir, { recursive: true, mode: 0o700 });
    // A sandbox of the same name that outlived its process (a failed clean-up) would block runsc run.
    if (sandbox === 'gvisor' && choice.runsc) await deleteSandbox(choice.runsc, containerId(sessionId)).catch(() => {});
    // gVisor puts its sandbox into a cgroup of its own (cgroupsPath + linux.resources).
    const limits = sandbox === 'gvisor' ? undefined : this.opts.cgroups;
    entry.cgroup = limits ? await createWorkspaceCgroup(sessionId, limits, this.logger) : undefined;
    let tunnel: IdeTunnel;
    try {
      await this.opts.beforeStart?.(sessionId, runDir);
      // The server listens on ide.sock; the relay inside dials out to it (it cannot replace it).
      tunnel = entry.tunnel = await IdeTunnel.listen(path.join(runDir, SANDBOX.ideSocketName));
    } catch (e) {
      await this.releaseCgroup(entry);
      await this.runAfterExit(sessionId, runDir);
      throw e;
    }
    const start = this.opts.start ?? startWorkspaceProcess;
    const startOpts: WorkspaceProcessOptions = {
      sessionId,
      workspaceDir: req.workspaceDir,
      runDir,
      basePath: (this.opts.basePath ?? (() => '/'))(sessionId),
      readyProbe: () => tunnel.probe(),
      logger: this.logger,
      sandbox,
      onExit: exit => this.handleExit(entry, exit),
    };
    if (req.env) startOpts.env = req.env;
    if (req.homeDir) startOpts.homeDir = req.homeDir;
    if (this.opts.ideAppDir) startOpts.ideAppDir = this.opts.ideAppDir;
    if (choice.bwrapPath) startOpts.bwrapPath = choice.bwrapPath;
    if (choice.runsc) startOpts.runsc = choice.runsc;
    if (this.opts.limits) startOpts.limits = this.opts.limits;
    if (this.opts.readyTimeoutMs !== undefined) startOpts.readyTimeoutMs = this.opts.readyTimeoutMs;
    if (this.opts.stopGraceMs !== undefined) startOpts.stopGraceMs = this.opts.stopGraceMs;
    // gVisor applies the file size limit inside (OCI rlimits): on runsc itself it would kill the sandbox.
    if (sandbox === 'gvisor' && req.fileSizeLimitBytes !== undefined) startOpts.fileSizeLimitBytes = req.fileSizeLimitBytes;
    else if (entry.cgroup || req.fileSizeLimitBytes !== undefined) {
      startOpts.confinement = { procsFiles: entry.cgroup?.procsFiles ?? [], fileSizeLimitBytes: req.fileSizeLimitBytes };
    }
    try {
      const proc = await start(startOpts);
      entry.process = proc;
      entry.lastActivity = Date.now();
      return proc;
    } catch (e) {
      await tunnel.close();
      await this.releaseCgroup(entry);
      await this.runAfterExit(sessionId, runDir);
      throw e;
    }
  }

  /** Kills what is left in the workspace's cgroup and removes it. */
  private async releaseCgroup(entry: Entry): Promise<void> {
    const cgroup = entry.cgroup;
    if (!cgroup) return;
    try {
      await cgroup.destroy();
    } catch (e) {
      this.logger.error({ sessionId: entry.sessionId, err: (e as Error).message }, 'cannot remove the workspace cgroup');
    }
  }

  private handleExit(entry: Entry, exit: WorkspaceExit): void {
    const { sessionId } = entry;
    if (this.entries.get(sessionId) === entry && entry.process) this.entries.delete(sessionId);
    if (!entry.process) return; // failed during start: startEntry reports it
    void entry.tunnel?.close();
    entry.released = this.releaseCgroup(entry).then(() => this.runAfterExit(sessionId, this.runDir(sessionId)));
    if (!exit.expected) {
      try {
        this.opts.onCrash?.(sessionId, exit, entry.process.recentOutput());
      } catch (e) {
        this.logger.error({ sessionId, err: (e as Error).message }, 'onCrash callback failed');
      }
    }
  }

  private async runAfterExit(sessionId: string, runDir: string): Promise<void> {
    try {
      await this.opts.afterExit?.(sessionId, runDir);
    } catch (e) {
      this.logger.error({ sessionId, err: (e as Error).message }, 'afterExit callback failed');
    }
  }

  /** Marks activity (e.g. an HTTP request through the proxy). */
  touch(sessionId: string): void {
    const e = this.entries.get(sessionId);
    if (e) e.lastActivity = Date.now();
  }

  /** Registers an open connection (e.g. a proxied WebSocket); call the returned function when it closes. */
  acquire(sessionId: string): () => void {
    const e = this.entries.get(sessionId);
    if (!e) return () => {};
    e.connections++;
    e.lastActivity = Date.now();
    let released = false;
    return () => {
      if (released) return;
      released = true;
      e.connections = Math.max(0, e.connections - 1);
      e.lastActivity = Date.now();
    };
  }

  /** Stops the session's IDE (waits for a start in progress first). */
  async stop(sessionId: string): Promise<void> {
    const e = this.entries.get(sessionId);
    if (!e) return;
    let proc: WorkspaceProcess;
    try {
      proc = await e.promise;
    } catch {
      return; // its start failed: nothing runs
    }
    if (this.entries.get(sessionId) === e) this.entries.delete(sessionId);
    await proc.stop();
    await e.released;
  }

  /** Stops every running workspace whose last connection closed more than idleTimeoutMs ago. */
  async reapIdle(now = Date.now()): Promise<string[]> {
    const idle = [...this.entries.values()].filter(
      e => e.process?.running && e.connections === 0 && now - e.lastActivity >= this.idleTimeoutMs,
    );
    await Promise.all(
      idle.map(async e => {
        this.logger.info({ sessionId: e.sessionId, idleMs: now - e.lastActivity }, 'stopping idle workspace');
        await this.stop(e.sessionId);
      }),
    );
    return idle.map(e => e.sessionId);
  }

  /** Graceful shutdown: refuses new starts and stops every workspace. */
  async stopAll(): Promise<void> {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    await Promise.all([...this.entries.keys()].map(id => this.stop(id)));
  }
}
