/**
 * Runs at most one sandboxed IDE backend per workspace session on this node:
 * single-flight start, capacity limit, idle reaper, crash reporting, stopAll() for shutdown.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { IdeTunnel } from './ide-tunnel.js';
import { findOnPath, SANDBOX } from './sandbox-command.js';
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

export class WorkspaceRunnerClosedError extends Error {
  readonly code = 'workspace_runner_closed';
  readonly statusCode = 503;
  constructor() {
    super('The workspace runner is shutting down');
    this.name = 'WorkspaceRunnerClosedError';
  }
}

export interface SandboxSupport {
  ok: boolean;
  /** Why sandboxed workspaces cannot run here (when !ok). */
  reason?: string;
  bwrapPath?: string;
}

let supportCache: Promise<SandboxSupport> | undefined;

/**
 * Checks that bubblewrap exists and can actually create the namespaces we use
 * (it can fail in containers without user namespaces). Cached per process unless `fresh`.
 */
export function checkSandboxSupport(fresh = false): Promise<SandboxSupport> {
  if (supportCache && !fresh) return supportCache;
  supportCache = new Promise<SandboxSupport>(resolve => {
    const bwrapPath = findOnPath('bwrap');
    if (!bwrapPath) {
      resolve({ ok: false, reason: 'bubblewrap (bwrap) is not installed: apt-get install bubblewrap' });
      return;
    }
    execFile(
      bwrapPath,
      ['--unshare-all', '--unshare-user', '--die-with-parent', '--ro-bind', '/', '/', '--proc', '/proc', '--dev', '/dev', 'true'],
      { timeout: 10_000 },
      (err, _stdout, stderr) => {
        if (err) resolve({ ok: false, bwrapPath, reason: `bwrap cannot create a sandbox here: ${String(stderr || err.message).trim()}` });
        else resolve({ ok: true, bwrapPath });
      },
    );
  });
  return supportCache;
}

export interface WorkspaceStartRequest {
  /** Host path of the session's workspace directory (created if missing). */
  workspaceDir: string;
  /** Environment for the IDE backend, e.g. { CODITECT_API_TOKEN }. */
  env?: Record<string, string>;
  /** Persistent HOME for the session (settings, shell history); a tmpfs when omitted. */
  homeDir?: string;
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
  /** Replaceable for tests. */
  sandboxSupport?: () => Promise<SandboxSupport>;
  /** Replaceable for tests. */
  start?: (opts: WorkspaceProcessOptions) => Promise<WorkspaceProcess>;
}

interface Entry {
  sessionId: string;
  promise: Promise<WorkspaceProcess>;
  process?: WorkspaceProcess;
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

  constructor(private readonly opts: WorkspaceRunnerOptions) {
    this.logger = opts.logger ?? silentLogger;
    this.idleTimeoutMs = opts.idleTimeoutMs ?? 15 * 60_000;
    this.maxRunning = opts.maxRunning ?? 20;
    const interval = opts.reapIntervalMs ?? 30_000;
    if (interval > 0) {
      this.timer = setInterval(() => void this.reapIdle(), interval);
      this.timer.unref();
    }
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
    const support = await (this.opts.sandboxSupport ?? checkSandboxSupport)();
    let sandbox: 'bwrap' | 'none' = 'bwrap';
    if (!support.ok) {
      if (!this.opts.dangerouslyAllowUnsandboxed) throw new WorkspaceSandboxUnavailableError(support.reason ?? 'unknown');
      this.logger.warn({ sessionId, reason: support.reason }, 'UNSANDBOXED workspace: the IDE runs with the server user, files and network');
      sandbox = 'none';
    }
    const runDir = this.runDir(sessionId);
    fs.mkdirSync(req.workspaceDir, { recursive: true });
    fs.mkdirSync(runDir, { recursive: true, mode: 0o700 });
    await this.opts.beforeStart?.(sessionId, runDir);
    let tunnel: IdeTunnel;
    try {
      tunnel = await IdeTunnel.listen(path.join(runDir, SANDBOX.ideSocketName));
    } catch (e) {
      await this.runAfterExit(sessionId, runDir);
      throw e;
    }
    entry.tunnel = tunnel;
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
    if (support.bwrapPath) startOpts.bwrapPath = support.bwrapPath;
    if (this.opts.readyTimeoutMs !== undefined) startOpts.readyTimeoutMs = this.opts.readyTimeoutMs;
    if (this.opts.stopGraceMs !== undefined) startOpts.stopGraceMs = this.opts.stopGraceMs;
    try {
      const proc = await start(startOpts);
      entry.process = proc;
      entry.lastActivity = Date.now();
      return proc;
    } catch (e) {
      await tunnel.close();
      await this.runAfterExit(sessionId, runDir);
      throw e;
    }
  }

  private handleExit(entry: Entry, exit: WorkspaceExit): void {
    const { sessionId } = entry;
    if (this.entries.get(sessionId) === entry && entry.process) this.entries.delete(sessionId);
    if (!entry.process) return; // failed during start: startEntry reports it
    void entry.tunnel?.close();
    void this.runAfterExit(sessionId, this.runDir(sessionId));
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
