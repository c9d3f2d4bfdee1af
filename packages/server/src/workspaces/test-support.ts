/** Helpers for the workspace tests (not used by the server). */
import { spawn, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import { createRequire } from 'node:module';
import net from 'node:net';
import path from 'node:path';
import { IdeTunnel } from './ide-tunnel.js';
import { defaultIdeAppDir, findOnPath, spawnSandboxCommand, type SandboxCommand } from './sandbox-command.js';

export interface Prereq {
  ok: boolean;
  reason?: string;
}

/**
 * bwrap must exist and work. When it does not: skip loudly, except under CI=true where the
 * caller fails instead (the tests must not silently pass without a sandbox in CI).
 */
export function sandboxPrereq(): Prereq {
  const bwrap = findOnPath('bwrap');
  if (!bwrap) return { ok: false, reason: 'bubblewrap (bwrap) is not installed (apt-get install bubblewrap)' };
  const r = spawnSync(bwrap, ['--unshare-all', '--unshare-user', '--ro-bind', '/', '/', '--proc', '/proc', '--dev', '/dev', 'true'], {
    encoding: 'utf8',
    timeout: 10_000,
  });
  if (r.status !== 0) return { ok: false, reason: `bwrap cannot create a sandbox: ${(r.stderr || r.error?.message || '').trim()}` };
  return { ok: true };
}

/**
 * Makes sure packages/ide is installed and built (runs scripts/ide-build.mjs, which serialises
 * concurrent callers with a lock). Asynchronous so a test worker stays responsive meanwhile.
 */
export async function ensureIdeBuilt(): Promise<void> {
  const ideDir = defaultIdeAppDir();
  const script = path.resolve(ideDir, '../../scripts/ide-build.mjs');
  await new Promise<void>((resolve, reject) => {
    const child = spawn(process.execPath, [script], { stdio: 'inherit' });
    child.on('error', reject);
    child.on('exit', code => (code === 0 ? resolve() : reject(new Error(`ide-build.mjs exited ${code}`))));
  });
  if (!fs.existsSync(path.join(ideDir, 'lib/backend/main.js'))) throw new Error('IDE build produced no lib/backend/main.js');
}

export interface HttpResult {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** Where a test helper connects: a Unix socket path, a TCP address, or an IDE tunnel (one pooled connection). */
export type Dial = string | net.NetConnectOpts | IdeTunnel;

/** A connected socket to `target`. */
export function dial(target: Dial): Promise<net.Socket> {
  if (target instanceof IdeTunnel) return target.take(10_000);
  return new Promise((resolve, reject) => {
    const sock = typeof target === 'string' ? net.connect(target) : net.connect(target);
    sock.once('connect', () => {
      sock.off('error', reject);
      resolve(sock);
    });
    sock.once('error', reject);
  });
}

export async function httpGetSocket(target: Dial, urlPath: string, headers: Record<string, string> = {}): Promise<HttpResult> {
  const socket = await dial(target);
  return new Promise((resolve, reject) => {
    const req = http.get({ createConnection: () => socket, path: urlPath, headers: { host: 'localhost:8080', ...headers } }, res => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', d => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
  });
}

export interface UpgradeResult {
  statusLine: string;
  /** First WebSocket text frame, when the upgrade succeeded. */
  firstMessage?: string;
}

/** A raw WebSocket handshake over a Unix socket (no dependency): returns the status line and first text frame. */
export async function websocketOverSocket(target: Dial, urlPath: string, headers: Record<string, string>): Promise<UpgradeResult> {
  const sock = await dial(target);
  return new Promise((resolve, reject) => {
    const key = crypto.randomBytes(16).toString('base64');
    let buf = Buffer.alloc(0);
    let statusLine: string | undefined;
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new Error(`no WebSocket answer; got ${JSON.stringify(buf.toString('latin1').slice(0, 200))}`));
    }, 10_000);
    const finish = (r: UpgradeResult) => {
      clearTimeout(timer);
      sock.destroy();
      resolve(r);
    };
    {
      const lines = [
        `GET ${urlPath} HTTP/1.1`,
        ...(headers.Host ? [] : ['Host: localhost:8080']),
        'Connection: Upgrade',
        'Upgrade: websocket',
        'Sec-WebSocket-Version: 13',
        `Sec-WebSocket-Key: ${key}`,
        ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`),
        '',
        '',
      ];
      sock.write(lines.join('\r\n'));
    }
    sock.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      if (statusLine === undefined) {
        const end = buf.indexOf('\r\n\r\n');
        if (end < 0) return;
        statusLine = buf.subarray(0, buf.indexOf('\r\n')).toString('latin1');
        buf = buf.subarray(end + 4);
        if (!statusLine.includes(' 101 ')) return finish({ statusLine });
      }
      // one unmasked server frame: FIN+opcode, len (7/16 bit), payload
      if (buf.length < 2) return;
      let len = buf[1]! & 0x7f;
      let off = 2;
      if (len === 126) {
        if (buf.length < 4) return;
        len = buf.readUInt16BE(2);
        off = 4;
      }
      if (buf.length < off + len) return;
      finish({ statusLine, firstMessage: buf.subarray(off, off + len).toString('utf8') });
    });
    sock.on('error', e => {
      clearTimeout(timer);
      reject(e);
    });
  });
}

/** Pids of all descendants of pid (via /proc). */
export function descendants(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${name}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const list = children.get(ppid) ?? [];
      list.push(Number(name));
      children.set(ppid, list);
    } catch {
      // exited
    }
  }
  const out: number[] = [];
  const walk = (p: number) => {
    for (const c of children.get(p) ?? []) {
      out.push(c);
      walk(c);
    }
  };
  walk(pid);
  return out;
}

export function isAlive(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/\) Z /.test(stat);
  } catch {
    return false;
  }
}

/** Sum of VmRSS (kB) of pid and its descendants. */
export function treeRssKb(pid: number): number {
  let total = 0;
  for (const p of [pid, ...descendants(pid)]) {
    try {
      const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${p}/status`, 'utf8'));
      if (m) total += Number(m[1]);
    } catch {
      // exited
    }
  }
  return total;
}

/** Per-process RSS and PSS (kB; PSS shares pages like the node binary fairly between processes). */
export function treeMemory(pid: number): { pid: number; cmd: string; rssKb: number; pssKb: number }[] {
  const out: { pid: number; cmd: string; rssKb: number; pssKb: number }[] = [];
  for (const p of [pid, ...descendants(pid)]) {
    try {
      const rollup = fs.readFileSync(`/proc/${p}/smaps_rollup`, 'utf8');
      const rss = Number(/^Rss:\s+(\d+)/m.exec(rollup)?.[1] ?? 0);
      const pss = Number(/^Pss:\s+(\d+)/m.exec(rollup)?.[1] ?? 0);
      const cmd = fs.readFileSync(`/proc/${p}/cmdline`, 'utf8').replace(/\0/g, ' ').trim().slice(0, 60);
      out.push({ pid: p, cmd, rssKb: rss, pssKb: pss });
    } catch {
      // exited
    }
  }
  return out;
}

/*
 * Minimal structural types for the playwright-core API the browser tests use: playwright-core is a
 * dev dependency of packages/ide (its own npm project), not of the server, so the server's
 * typecheck must not need its types.
 */
export interface PwPage {
  on(event: 'pageerror', cb: (e: Error) => void): void;
  on(event: 'console', cb: (m: { type(): string; text(): string }) => void): void;
  on(event: 'response', cb: (r: { status(): number; url(): string }) => void): void;
  goto(url: string): Promise<unknown>;
  waitForSelector(selector: string, opts?: { timeout?: number }): Promise<unknown>;
  waitForFunction(expression: string, arg?: unknown, opts?: { timeout?: number }): Promise<unknown>;
  /** Evaluates a JavaScript expression in the page. */
  evaluate(expression: string): Promise<unknown>;
  dblclick(selector: string): Promise<void>;
  click(selector: string, opts?: { button?: 'left' | 'right'; timeout?: number }): Promise<void>;
  fill(selector: string, value: string): Promise<void>;
  keyboard: { type(text: string): Promise<void>; press(key: string): Promise<void> };
  waitForTimeout(ms: number): Promise<void>;
  screenshot(opts: { path: string }): Promise<unknown>;
  close(): Promise<void>;
}
export interface PwContext {
  newPage(): Promise<PwPage>;
  close(): Promise<void>;
}
export interface PwBrowser {
  newContext(): Promise<PwContext>;
  close(): Promise<void>;
}
export interface Playwright {
  chromium: { launch(opts: { executablePath: string; args?: string[] }): Promise<PwBrowser> };
}

/** playwright-core from packages/ide/node_modules, or undefined. */
export function loadPlaywright(): Playwright | undefined {
  try {
    return createRequire(path.join(defaultIdeAppDir(), 'package.json'))('playwright-core') as Playwright;
  } catch {
    return undefined;
  }
}

/**
 * Runs a sandbox command (a probe given as its `entry`) to its end and answers the JSON on the last
 * line it printed; rejects with its stderr when it exits non-zero.
 */
export function runSandboxProbe<T>(cmd: SandboxCommand): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const child = spawnSandboxCommand(cmd, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout!.on('data', (d) => (out += d));
    child.stderr!.on('data', (d) => (err += d));
    child.on('exit', (code) => {
      if (code !== 0) return reject(new Error(`probe exited ${code}: ${err}`));
      try {
        resolve(JSON.parse(out.trim().split('\n').pop()!) as T);
      } catch (e) {
        reject(e as Error);
      }
    });
  });
}

/** One request with a bearer token on a Unix socket (a workspace's API socket); JSON bodies parsed, others kept as text. */
export function requestViaSocket(socketPath: string, method: string, urlPath: string, token: string, body?: unknown) {
  return new Promise<{ status: number; body: any }>((resolve, reject) => {
    const req = http.request({ socketPath, method, path: urlPath, headers: {
      authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) } }, (res) => {
      let text = '';
      res.on('data', (d) => (text += d));
      res.on('end', () => {
        let parsed: unknown = text || undefined;
        try { parsed = text ? JSON.parse(text) : undefined; } catch { /* SSE or text */ }
        resolve({ status: res.statusCode ?? 0, body: parsed });
      });
    });
    req.on('error', reject);
    req.end(body ? JSON.stringify(body) : undefined);
  });
}
