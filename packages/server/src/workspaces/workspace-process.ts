/**
 * One sandboxed IDE backend (Theia under bubblewrap) for one workspace session.
 *
 * Start: spawns bwrap (new process group), waits until `readyProbe` answers HTTP 200 (the IDE through
 * the tunnel the server listens on at {runDir}/ide.sock; see ide-tunnel.ts).
 * Stop: SIGTERM to the whole process group, SIGKILL after a grace period. The sandbox has its own
 * pid namespace, so when its init dies every process inside (terminals, tasks) dies with it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import {
  buildSandboxCommand,
  buildUnsandboxedCommand,
  type SandboxCommand,
  type SandboxCommandOptions,
} from './sandbox-command.js';

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
  /** 'bwrap' (default) or 'none' (DEVELOPMENT ONLY: no isolation at all). */
  sandbox?: 'bwrap' | 'none';
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
}

export interface WorkspaceProcess {
  readonly sessionId: string;
  /** pid of the bwrap process (the process group leader). */
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

/** Starts one sandboxed IDE and resolves once it answers HTTP 200 on its socket. */
export async function startWorkspaceProcess(opts: WorkspaceProcessOptions): Promise<WorkspaceProcess> {
  const logger = opts.logger ?? silentLogger;
  const readyTimeoutMs = opts.readyTimeoutMs ?? 60_000;
  const defaultGrace = opts.stopGraceMs ?? 5_000;
  const maxLines = opts.outputLines ?? 200;
  const env = { ...opts.env };
  if (opts.basePath) env.CODITECT_BASE_PATH = opts.basePath;
  const cmd: SandboxCommand =
    opts.sandbox === 'none' ? buildUnsandboxedCommand({ ...opts, env }) : buildSandboxCommand({ ...opts, env });
  const t0 = performance.now();
  const child: ChildProcess = spawn(cmd.command, cmd.args, {
    env: cmd.env,
    ...(cmd.cwd ? { cwd: cmd.cwd } : {}),
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true, // own process group: stop() signals the whole group
  });
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
      exitInfo = { code, signal, expected: stopping };
      resolve(exitInfo);
    });
  });
  child.on('error', e => logger.error({ sessionId: opts.sessionId, err: e.message }, 'workspace process error'));
  void exited.then(info => {
    const fields = { sessionId: opts.sessionId, pid, ...info };
    if (info.expected) logger.info(fields, 'workspace stopped');
    else logger.error({ ...fields, output: lines.slice(-20) }, 'workspace exited unexpectedly');
    // Stray processes of the group (should be none: the pid namespace died with its init).
    killGroup(pid, 'SIGKILL');
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
    const timer = setTimeout(() => {
      logger.warn({ sessionId: opts.sessionId, pid, graceMs }, 'workspace did not stop in time: SIGKILL');
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
