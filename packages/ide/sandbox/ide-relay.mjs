#!/usr/bin/env node
// Coditect IDE sandbox entry: runs inside the workspace sandbox (bubblewrap, no network but its own
// loopback) as one node process that
//   1. tunnels the IDE: dials out to the server's unix socket CODITECT_IDE_SOCKET (a small pool of
//      idle connections) and connects each one the server uses to Theia on 127.0.0.1:CODITECT_IDE_PORT
//   2. relays the API:  127.0.0.1:CODITECT_API_PORT      ->  unix socket CODITECT_API_SOCKET (host server)
//   3. loads the Theia backend (lib/backend/main.js) in this same process (saves a node process).
// The tunnel is dialled only once Theia listens, so "HTTP 200 through the tunnel" means ready.
// Node builtins only. Port 0 means "any free port" (useful outside a sandbox, in development).
import net from 'node:net';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const env = process.env;
const appDir = env.CODITECT_IDE_APP_DIR || path.resolve(here, '..');
const ideSocket = env.CODITECT_IDE_SOCKET;
const idePort = Number(env.CODITECT_IDE_PORT ?? 0);
const apiSocket = env.CODITECT_API_SOCKET;
const apiPort = Number(env.CODITECT_API_PORT ?? 0);
const workspaceDir = env.CODITECT_WORKSPACE_DIR || process.cwd();

function log(msg) {
  process.stderr.write(`[ide-relay] ${msg}\n`);
}

if (!ideSocket) {
  log('CODITECT_IDE_SOCKET is not set');
  process.exit(2);
}

/**
 * Pipes two sockets together. An end is passed on after what is still buffered has been written
 * (destroying the other side at once would cut off the tail of an answer); a failure ends both.
 */
function pipe(a, b) {
  a.pipe(b);
  b.pipe(a);
  const fail = () => {
    a.destroy();
    b.destroy();
  };
  a.on('error', fail);
  b.on('error', fail);
  a.on('close', () => b.end());
  b.on('close', () => a.end());
}

function listen(server, ...args) {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(...args, () => {
      server.off('error', reject);
      resolve(server.address());
    });
  });
}

// 2. API relay (before Theia loads, so CODITECT_API_URL is right for the backend and its terminals).
if (apiSocket) {
  const apiServer = net.createServer({ pauseOnConnect: true }, client => {
    const upstream = net.connect(apiSocket);
    upstream.once('connect', () => client.resume());
    pipe(client, upstream);
  });
  const address = await listen(apiServer, apiPort, '127.0.0.1');
  env.CODITECT_API_URL = `http://127.0.0.1:${address.port}`;
  log(`API relay 127.0.0.1:${address.port} -> ${apiSocket}`);
  // LLM CLIs and SDKs (Claude Code, Codex, aider) go through the gateway with the workspace token.
  // The sandbox runner sets these for its fixed port; here they follow the port actually bound.
  if (env.CODITECT_API_TOKEN) {
    const llm = `${env.CODITECT_API_URL}/api/v5/llm`;
    Object.assign(env, {
      ANTHROPIC_BASE_URL: `${llm}/anthropic`,
      ANTHROPIC_AUTH_TOKEN: env.CODITECT_API_TOKEN,
      ANTHROPIC_API_KEY: env.CODITECT_API_TOKEN,
      OPENAI_BASE_URL: `${llm}/openai/v1`,
      OPENAI_API_BASE: `${llm}/openai/v1`,
      OPENAI_API_KEY: env.CODITECT_API_TOKEN,
    });
  }
}

// 3. Theia backend, in this process.
process.argv = [process.argv[0], path.join(appDir, 'lib/backend/main.js'), '--hostname=127.0.0.1', `--port=${idePort}`, workspaceDir];
const require = createRequire(path.join(appDir, 'package.json'));
require(path.join(appDir, 'lib/backend/main.js'));
let address;
try {
  address = await globalThis.serverAddress;
} catch (e) {
  log(`Theia backend failed to start: ${e?.message ?? e}`);
  process.exit(1);
}
if (!address || typeof address.port !== 'number') {
  log('Theia backend did not report its address');
  process.exit(1);
}

// 1. IDE tunnel, now that Theia listens: the server listens on CODITECT_IDE_SOCKET (in a folder this
// sandbox sees read-only); we dial out and keep SPARES idle connections there. The first bytes on
// one are a browser request: connect it to Theia, pipe both ways, and dial a new spare.
const SPARES = 4;
let backoffMs = 100;
let stopping = false;
function dialSpare() {
  if (stopping) return;
  const tunnel = net.connect(ideSocket);
  let used = false;
  tunnel.once('connect', () => (backoffMs = 100));
  tunnel.once('data', first => {
    used = true;
    tunnel.pause();
    dialSpare();
    const upstream = net.connect(address.port, '127.0.0.1');
    upstream.write(first);
    pipe(tunnel, upstream);
  });
  tunnel.on('error', () => tunnel.destroy());
  tunnel.once('close', () => {
    if (used) return;
    // Closed before use (server restart, pool full): dial again, slower each time.
    setTimeout(dialSpare, backoffMs).unref();
    backoffMs = Math.min(backoffMs * 2, 5000);
  });
}
for (let i = 0; i < SPARES; i++) dialSpare();
log(`IDE tunnel ${ideSocket} -> 127.0.0.1:${address.port} (ready)`);

for (const signal of ['SIGTERM', 'SIGINT']) {
  process.once(signal, () => {
    stopping = true;
    process.exit(0);
  });
}
