/**
 * The server's end of a workspace IDE's tunnel. The server LISTENS on `{runDir}/ide.sock` (a folder
 * the sandbox sees read-only, so nothing inside can replace or redirect the socket); the relay in
 * the sandbox DIALS OUT and keeps a few idle connections here. To forward a browser request the
 * proxy takes one idle connection and writes the request on it; the relay, on the first bytes,
 * connects that connection to Theia on its loopback port and dials a new spare.
 *
 * Bounds: at most `maxIdle` idle connections are kept (extras are closed at once) and at most
 * `maxConnections` in all (the kernel-level listener refuses more), so a sandbox cannot exhaust the
 * server's descriptors by dialling in a loop.
 */
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';

export interface IdeTunnelOptions {
  /** Idle connections kept ready; more are closed on arrival. Default 8. */
  maxIdle?: number;
  /** Connections in all (idle + in use) from this sandbox. Default 256. */
  maxConnections?: number;
}

/** No idle tunnel connection arrived in time: the IDE is gone, stuck or not started yet. */
export class TunnelUnavailableError extends Error {
  readonly code = 'workspace_unavailable';
  constructor(waitedMs: number) {
    super(`no IDE tunnel connection within ${waitedMs} ms`);
    this.name = 'TunnelUnavailableError';
  }
}

function destroyOnData(this: net.Socket): void {
  this.destroy();
}

interface Waiter {
  resolve: (socket: net.Socket) => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout;
}

/** One workspace's tunnel listener and its pool of idle connections from the relay. */
export class IdeTunnel {
  private readonly idle: net.Socket[] = [];
  private readonly waiters: Waiter[] = [];
  private readonly all = new Set<net.Socket>();
  private closed = false;

  private constructor(
    private readonly server: net.Server,
    /** Host path of the listening socket. */
    readonly socketPath: string,
    private readonly maxIdle: number,
  ) {
    server.on('connection', (socket) => this.arrive(socket));
  }

  /** Listens on `socketPath` (replacing a stale socket file left by a previous run). */
  static async listen(socketPath: string, opts: IdeTunnelOptions = {}): Promise<IdeTunnel> {
    fs.rmSync(socketPath, { force: true });
    const server = net.createServer({ pauseOnConnect: true });
    server.maxConnections = opts.maxConnections ?? 256;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(socketPath, () => {
        server.off('error', reject);
        resolve();
      });
    });
    return new IdeTunnel(server, socketPath, opts.maxIdle ?? 8);
  }

  /** Idle connections ready right now (for tests and metrics). */
  get idleCount(): number {
    return this.idle.length;
  }

  private arrive(socket: net.Socket): void {
    socket.on('error', () => socket.destroy());
    this.all.add(socket);
    socket.once('close', () => this.all.delete(socket));
    const waiter = this.waiters.shift();
    if (waiter) {
      clearTimeout(waiter.timer);
      waiter.resolve(socket.resume());
      return;
    }
    if (this.closed || this.idle.length >= this.maxIdle) {
      socket.destroy();
      return;
    }
    this.idle.push(socket);
    // Read while idle, so a connection the relay closed leaves the pool at once; an idle
    // connection has nothing to say before a request is written on it.
    socket.on('data', destroyOnData);
    socket.resume();
    socket.once('close', () => {
      const i = this.idle.indexOf(socket);
      if (i >= 0) this.idle.splice(i, 1);
    });
  }

  /**
   * Takes one connection to the IDE for one request or WebSocket (the caller owns and closes it).
   * Waits up to `timeoutMs` for the relay to dial in when none is idle.
   */
  take(timeoutMs = 10_000): Promise<net.Socket> {
    while (this.idle.length) {
      const socket = this.idle.shift()!;
      socket.off('data', destroyOnData);
      if (!socket.destroyed && socket.readable && socket.writable) return Promise.resolve(socket);
      socket.destroy();
    }
    if (this.closed) return Promise.reject(new TunnelUnavailableError(0));
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        resolve,
        reject,
        timer: setTimeout(() => {
          const i = this.waiters.indexOf(waiter);
          if (i >= 0) this.waiters.splice(i, 1);
          reject(new TunnelUnavailableError(timeoutMs));
        }, timeoutMs),
      };
      this.waiters.push(waiter);
    });
  }

  /** Answers the HTTP status of `GET path` through the tunnel, or 0 (readiness: 200 from Theia). */
  async probe(path = '/', timeoutMs = 2000): Promise<number> {
    let socket: net.Socket;
    try {
      socket = await this.take(timeoutMs);
    } catch {
      return 0;
    }
    return new Promise((resolve) => {
      const req = http.request({ method: 'GET', path, headers: { host: 'localhost' }, timeout: timeoutMs,
        createConnection: () => socket }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('timeout', () => req.destroy());
      req.on('error', () => resolve(0));
      req.end();
    });
  }

  /** Stops listening, closes idle connections and fails waiting takers. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const w of this.waiters.splice(0)) {
      clearTimeout(w.timer);
      w.reject(new TunnelUnavailableError(0));
    }
    this.idle.length = 0;
    for (const s of this.all) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    fs.rmSync(this.socketPath, { force: true });
  }
}
