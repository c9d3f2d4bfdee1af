/**
 * One sandboxed IDE backend (Theia under bubblewrap or gVisor) for one workspace session.
 *
 * Start: spawns the runtime (new process group), waits until `readyProbe` answers HTTP 200 (the IDE
 * through the tunnel the server listens on at {runDir}/ide.sock; see ide-tunnel.ts). Stop: SIGTERM
 * to the whole process group (and, for gVisor, to every process of the sandbox through runsc),
 * SIGKILL after a grace period. The sandbox has its own pid namespace, so when its init dies every
 * process inside (terminals, tasks) dies with it; a gVisor sandbox is deleted (`runsc delete
 * -force`) before the exit is reported.
 */
import type { ChildProcess } from 'node:child_process';
import http from 'node:http';
import {
  buildGvisorCommand,
  buildSandboxCommand,
  buildUnsandboxedCommand,
  spawnSandboxCommand,
  type SandboxCommand,
  type SandboxCommandOptions,
} from './sandbox-command.js';
import { confineCommand, type SpawnConfinement } from './cgroups/confined-spawn.js';
import type { RunscPaths } from './sandbox/runsc.js';

/** The subset of a pino-like logger this module uses. */
export interface WorkspaceLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export const silentLogger: WorkspaceLogger = { info() {}, warn() {}, error() {} };

export interface WorkspaceExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** true when stop() asked for it; false for a crash or an exit on its own. */
  expected: boolean;
}

export interface WorkspaceProcessOptions extends SandboxCommandOptions {
  /** 'bwrap' (default, with seccomp), 'gvisor' (needs `runsc`) or 'none' (DEVELOPMENT ONLY: no isolation at all). */
  sandbox?: 'bwrap' | 'gvisor' | 'none';
  /** runsc and this node's state dirs (sandbox 'gvisor'). */
  runsc?: RunscPaths;
  /** Public base path of this IDE behind the proxy, e.g. `/ws/{sessionId}/` (scopes Theia's cookie). */
  basePath?: string;
  logger?: WorkspaceLogger;
  /** HTTP status of a request to the IDE (through the server's tunnel); 200 means ready. */
  readyProbe: () => Promise<number>;
  /** Max time to wait for HTTP 200 from readyProbe. Default 60 s. */
  readyTimeoutMs?: number;
  /** Time between SIGTERM and SIGKILL in stop(). Default 5 s. */
  stopGraceMs?: number;
  /** Called once when the process exits (crash or stop). */
  onExit?: (exit: WorkspaceExit) => void;
  /** Lines of IDE output kept for error reports. Default 200. */
  outputLines?: number;
  /** The cgroup to join and the file size limit, applied by a wrapper before the sandbox starts. */
  confinement?: SpawnConfinement;
}

export interface WorkspaceProcess {
  readonly sessionId: string;
  /** pid of the runtime's process (bwrap or runsc; the process group leader). */
  readonly pid: number;
  /** Host path where the server listens for the IDE's tunnel connections (the relay dials out to it). */
  readonly socketPath: string;
  /** Host path where the server should listen for this IDE's API calls (see README). */
  readonly apiSocketPath: string;
  readonly startedAt: Date;
  /** Milliseconds from spawn to the first HTTP 200 on the socket. */
  readonly readyMs: number;
  /** Resolves when the process has exited. */
  readonly exited: Promise<WorkspaceExit>;
  readonly running: boolean;
  /** Last lines the IDE printed (stdout and stderr). */
  recentOutput(): string[];
  /** SIGTERM the process group, SIGKILL after the grace period; resolves once it has exited. */
  stop(graceMs?: number): Promise<WorkspaceExit>;
}

export class WorkspaceStartError extends Error {
  readonly code = 'workspace_start_failed';
  constructor(message: string, readonly output: string[]) {
    super(message);
    this.name = 'WorkspaceStartError';
  }
}

/** Answers the HTTP status of GET `path` on a Unix socket, or 0 when it cannot connect. */
export function probeSocket(socketPath: string, path = '/', timeoutMs = 2000): Promise<number> {
  return new Promise(resolve => {
    const req = http.get({ socketPath, path, headers: { host: 'localhost' }, timeout: timeoutMs }, res => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(0));
  });
}

const sleep = (ms: number) => new Promise<void>(r => setTimeout(r, ms));

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      // already gone
    }
  }
}

function buildCommand(opts: WorkspaceProcessOptions, env: Record<string, string>): SandboxCommand {
  if (opts.sandbox === 'none') return buildUnsandboxedCommand({ ...opts, env });
  if (opts.sandbox === 'gvisor') {
    if (!opts.runsc) throw new Error('the gvisor runtime needs the runsc paths');
    return buildGvisorCommand({ ...opts, env, runsc: opts.runsc });
  }
  return buildSandboxCommand({ ...opts, env });
}

/** Starts one sandboxed IDE and resolves once it answers HTTP 200 on its socket. */
export async function startWorkspaceProcess(opts: WorkspaceProcessOptions): Promise<WorkspaceProcess> {
  const logger = opts.logger ?? silentLogger;
  const readyTimeoutMs = opts.readyTimeoutMs ?? 60_000;
  const defaultGrace = opts.stopGraceMs ?? 5_000;
  const maxLines = opts.outputLines ?? 200;
  const env = { ...opts.env };
  if (opts.basePath) env.CODITECT_BASE_PATH = opts.basePath;
  const cmd = buildCommand(opts, env);
  const t0 = performance.now();
  const argv = opts.confinement ? { ...cmd, ...confineCommand(cmd.command, cmd.args, opts.confinement) } : cmd;
  // Own process group (detached): stop() signals the whole group.
  const child: ChildProcess = spawnSandboxCommand(argv, { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  const pid = child.pid;
  if (pid === undefined) {
    const err = await new Promise<Error>(r => child.once('error', r));
    throw new WorkspaceStartError(`cannot spawn ${cmd.command}: ${err.message}`, []);
  }

  const lines: string[] = [];
  const collect = (stream: NodeJS.ReadableStream | null) => {
    if (!stream) return;
    let rest = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      const parts = (rest + chunk).split('\n');
      rest = parts.pop() ?? '';
      if (rest.length > 4096) rest = rest.slice(-4096);
      for (const line of parts) {
        lines.push(line.length > 2000 ? line.slice(0, 2000) + '…' : line);
        if (lines.length > maxLines) lines.shift();
      }
    });
  };
  collect(child.stdout);
  collect(child.stderr);

  let stopping = false;
  let exitInfo: WorkspaceExit | undefined;
  const exited = new Promise<WorkspaceExit>(resolve => {
    child.once('exit', (code, signal) => {
      const info: WorkspaceExit = { code, signal, expected: stopping };
      exitInfo = info;
      // Stray processes of the group (should be none: the pid namespace died with its init), and
      // what the runtime keeps (a gVisor sandbox), go before the exit is reported.
      killGroup(pid, 'SIGKILL');
      void (cmd.afterExit?.() ?? Promise.resolve())
        .catch((e: unknown) => logger.error({ sessionId: opts.sessionId, err: (e as Error).message }, 'workspace runtime clean-up failed'))
        .then(() => resolve(info));
    });
  });
  child.on('error', e => logger.error({ sessionId: opts.sessionId, err: e.message }, 'workspace process error'));
  void exited.then(info => {
    const fields = { sessionId: opts.sessionId, pid, ...info };
    if (info.expected) logger.info(fields, 'workspace stopped');
    else logger.error({ ...fields, output: lines.slice(-20) }, 'workspace exited unexpectedly');
    try {
      opts.onExit?.(info);
    } catch (e) {
      logger.error({ sessionId: opts.sessionId, err: (e as Error).message }, 'workspace onExit callback failed');
    }
  });

  const stop = async (graceMs = defaultGrace): Promise<WorkspaceExit> => {
    if (exitInfo) return exitInfo;
    stopping = true;
    killGroup(pid, 'SIGTERM');
    void cmd.kill?.('TERM');
    const timer = setTimeout(() => {
      logger.warn({ sessionId: opts.sessionId, pid, graceMs }, 'workspace did not stop in time: SIGKILL');
      void cmd.kill?.('KILL');
      killGroup(pid, 'SIGKILL');
    }, graceMs);
    try {
      return await exited;
    } finally {
      clearTimeout(timer);
    }
  };

  // Readiness: HTTP 200 through the tunnel (the relay dials it only once Theia listens).
  const deadline = t0 + readyTimeoutMs;
  let ready = false;
  while (performance.now() < deadline && !exitInfo) {
    if ((await opts.readyProbe()) === 200) {
      ready = true;
      break;
    }
    await sleep(50);
  }
  if (!ready) {
    const why = exitInfo
      ? `exited during start (code ${exitInfo.code}, signal ${exitInfo.signal})`
      : `not ready after ${readyTimeoutMs} ms`;
    if (!exitInfo) await stop(1000);
    throw new WorkspaceStartError(`workspace ${opts.sessionId} ${why}: ${lines.slice(-5).join(' | ')}`, lines.slice());
  }
  const readyMs = Math.round(performance.now() - t0);
  logger.info({ sessionId: opts.sessionId, pid, readyMs }, 'workspace ready');

  return {
    sessionId: opts.sessionId,
    pid,
    socketPath: cmd.ideSocketPath,
    apiSocketPath: cmd.apiSocketPath,
    startedAt: new Date(),
    readyMs,
    exited,
    get running() {
      return exitInfo === undefined;
    },
    recentOutput: () => lines.slice(),
    stop,
  };
}
