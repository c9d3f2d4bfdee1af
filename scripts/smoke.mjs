#!/usr/bin/env node
// Smoke test against any Coditect deployment:
//
//   npm run smoke -- --url https://coditect.example.com [options]
//
//   --url URL          the public base URL (required; or SMOKE_URL)
//   --email E --password P
//                      use an existing account (sign-in only) instead of signing up a fresh one
//   --model provider/model
//                      model for the LLM check (default: the first listed model, preferring
//                      local/ollama/lmstudio ones, which cost nothing)
//   --no-llm           skip the LLM call even when a provider is configured
//   --no-workspace     skip opening a workspace
//   --ca FILE          trust this CA certificate (self-signed deployments)
//   --insecure         do not verify the TLS certificate at all
//   --timeout MS       per-request timeout (default 30000)
//   --json             print the results as JSON (one object) instead of a table
//
// It signs up a throwaway user (unless --email is given), runs a session round trip,
// opens and stops a workspace when workspaces are available, streams one short LLM
// answer when a provider is configured, then deletes what it created and signs out
// everywhere. There is no account-deletion endpoint yet, so a fresh smoke user
// (smoke+<random>@example.invalid) remains; pass --email to reuse one account.
// Exit status: 0 when every check passed or was skipped, 1 when one failed, 2 on bad usage.
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { randomBytes } from 'node:crypto';

const argv = process.argv.slice(2);
const opts = { url: process.env.SMOKE_URL, timeout: 30_000, llm: true, workspace: true, json: false, insecure: false };
for (let i = 0; i < argv.length; i++) {
  const a = argv[i];
  const next = () => {
    const v = argv[++i];
    if (v === undefined) usage(`${a} needs a value`);
    return v;
  };
  switch (a) {
    case '--url': opts.url = next(); break;
    case '--email': opts.email = next(); break;
    case '--password': opts.password = next(); break;
    case '--model': opts.model = next(); break;
    case '--ca': opts.ca = fs.readFileSync(next()); break;
    case '--insecure': opts.insecure = true; break;
    case '--timeout': opts.timeout = Number(next()); break;
    case '--no-llm': opts.llm = false; break;
    case '--no-workspace': opts.workspace = false; break;
    case '--json': opts.json = true; break;
    case '-h': case '--help': usage(); break;
    default: usage(`unknown option ${a}`);
  }
}
if (!opts.url) usage('--url is required');
if (Boolean(opts.email) !== Boolean(opts.password)) usage('give --email and --password together');

function usage(problem) {
  const text = fs.readFileSync(new URL(import.meta.url), 'utf8').split('\n').filter((l) => l.startsWith('//')).slice(0, 18)
    .map((l) => l.slice(3)).join('\n');
  if (problem) console.error(`smoke: ${problem}\n`);
  console.error(text);
  process.exit(problem ? 2 : 0);
}

const base = new URL(opts.url.replace(/\/+$/, '') + '/');
const api = (p) => new URL(`api/v5${p}`, base);
const agentOptions = { keepAlive: true, ca: opts.ca, rejectUnauthorized: !opts.insecure };
const agent = base.protocol === 'https:' ? new https.Agent(agentOptions) : new http.Agent({ keepAlive: true });

/** One HTTP request; the body is read whole unless `stream` is given (then it is called per chunk). */
function request(method, url, { body, headers = {}, stream } = {}) {
  const payload = body === undefined ? undefined : Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
  const lib = url.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const req = lib.request(url, {
      method, agent,
      headers: {
        accept: 'application/json', 'user-agent': 'coditect-smoke/1',
        ...(payload ? { 'content-type': 'application/json', 'content-length': payload.length } : {}),
        ...headers,
      },
      timeout: opts.timeout,
    }, (res) => {
      const chunks = [];
      res.on('data', (c) => { chunks.push(c); stream?.(c); });
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json;
        try { json = text ? JSON.parse(text) : undefined; } catch { /* not JSON */ }
        resolve({ status: res.statusCode, headers: res.headers, text, json });
      });
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`timed out after ${opts.timeout} ms`)));
    req.on('error', reject);
    req.end(payload);
  });
}

const results = [];
const state = { sessions: [], conversations: [] };
class Skip extends Error {}
const expectStatus = (res, status, what) => {
  if (res.status !== status) {
    const detail = res.json?.error ? `${res.json.error.code}: ${res.json.error.message}` : res.text.slice(0, 200);
    throw new Error(`${what}: expected ${status}, got ${res.status} ${detail}`);
  }
  return res.json;
};

async function check(name, fn) {
  const started = Date.now();
  try {
    const note = await fn();
    results.push({ name, status: 'pass', ms: Date.now() - started, note: note ?? '' });
  } catch (err) {
    const skipped = err instanceof Skip;
    results.push({ name, status: skipped ? 'skip' : 'FAIL', ms: Date.now() - started, note: err.message });
  }
  return results.at(-1).status === 'pass';
}

let auth; // { accessToken, refreshToken }
const bearer = () => ({ authorization: `Bearer ${auth.accessToken}` });
const email = opts.email ?? `smoke+${Date.now().toString(36)}${randomBytes(4).toString('hex')}@example.invalid`;
const password = opts.password ?? `Smoke-${randomBytes(12).toString('base64url')}`;

await check('health', async () => {
  const body = expectStatus(await request('GET', api('/health')), 200, 'GET /api/v5/health');
  if (body?.status !== 'ok') throw new Error(`unexpected body ${JSON.stringify(body)}`);
});

await check('ready', async () => {
  const body = expectStatus(await request('GET', api('/ready')), 200, 'GET /api/v5/ready');
  if (body?.status !== 'ready') throw new Error(`unexpected body ${JSON.stringify(body)}`);
});

await check('https redirect', async () => {
  if (base.protocol !== 'https:') throw new Skip('the URL is not https');
  if (base.port && base.port !== '443') throw new Skip('non-standard https port: no http counterpart to test');
  const res = await request('GET', new URL(`http://${base.hostname}/api/v5/health`)).catch((err) => ({ error: err }));
  if (res.error) throw new Skip(`plain http not reachable (${res.error.code ?? res.error.message})`);
  if (![301, 308].includes(res.status) || !String(res.headers.location).startsWith('https://')) {
    throw new Error(`http answered ${res.status} ${res.headers.location ?? ''} instead of a redirect to https`);
  }
});

const signedUp = await check(opts.email ? 'sign-up (skipped: existing account)' : 'sign-up', async () => {
  if (opts.email) throw new Skip('--email given');
  const body = expectStatus(await request('POST', api('/auth/register'),
    { body: { email, password, firstName: 'Smoke', lastName: 'Test' } }), 201, 'POST /auth/register');
  if (!body?.accessToken || !body?.refreshToken) throw new Error('no tokens in the answer');
  return email;
});

const signedIn = await check('sign-in', async () => {
  if (!signedUp && !opts.email) throw new Skip('no account (sign-up failed)');
  const body = expectStatus(await request('POST', api('/auth/login'), { body: { email, password } }), 200, 'POST /auth/login');
  auth = { accessToken: body.accessToken, refreshToken: body.refreshToken };
  const me = expectStatus(await request('GET', api('/users/me'), { headers: bearer() }), 200, 'GET /users/me');
  if (me.email !== email.toLowerCase()) throw new Error(`/users/me answered ${me.email}`);
});

await check('token refresh', async () => {
  if (!signedIn) throw new Skip('not signed in');
  const body = expectStatus(await request('POST', api('/auth/refresh'), { body: { refreshToken: auth.refreshToken } }), 200,
    'POST /auth/refresh');
  auth = { accessToken: body.accessToken, refreshToken: body.refreshToken };
  expectStatus(await request('GET', api('/users/me'), { headers: bearer() }), 200, 'GET /users/me with the new token');
});

let sessionId;
await check('session round trip', async () => {
  if (!signedIn) throw new Skip('not signed in');
  const name = `smoke ${new Date().toISOString()}`;
  const created = expectStatus(await request('POST', api('/sessions'), { headers: bearer(), body: { name } }), 201, 'POST /sessions');
  sessionId = created.id;
  state.sessions.push(sessionId);
  const got = expectStatus(await request('GET', api(`/sessions/${sessionId}`), { headers: bearer() }), 200, 'GET /sessions/{id}');
  if (got.name !== name) throw new Error(`read back name ${JSON.stringify(got.name)}`);
  const renamed = `${name} (renamed)`;
  expectStatus(await request('PATCH', api(`/sessions/${sessionId}`), { headers: bearer(), body: { name: renamed } }), 200,
    'PATCH /sessions/{id}');
  const list = expectStatus(await request('GET', api('/sessions?limit=100'), { headers: bearer() }), 200, 'GET /sessions');
  const row = list.items?.find((s) => s.id === sessionId);
  if (!row || row.name !== renamed) throw new Error('the renamed session is not in the list');
  return sessionId;
});

await check('workspace open', async () => {
  if (!opts.workspace) throw new Skip('--no-workspace');
  if (!sessionId) throw new Skip('no session');
  const res = await request('POST', api(`/sessions/${sessionId}/open`), { headers: bearer(), body: {} });
  const code = res.json?.error?.code;
  if (res.status === 503 && ['workspace_sandbox_unavailable', 'service_unavailable', 'workspace_capacity'].includes(code)) {
    throw new Skip(`workspaces unavailable here (${code}: ${res.json.error.message})`);
  }
  const body = expectStatus(res, 200, 'POST /sessions/{id}/open');
  // The IDE lives on its own origin: trade the one-time ticket there for that origin's cookie.
  const ticket = await request('GET', new URL(body.url), { headers: { accept: 'text/html' } });
  if (ticket.status !== 303) throw new Error(`the workspace ticket answered ${ticket.status} (wildcard DNS/certificate for the workspace origin?)`);
  const cookies = [ticket.headers['set-cookie'] ?? []].flat().map((c) => c.split(';')[0]).join('; ');
  if (!cookies) throw new Error('no workspace cookie was set');
  const page = await request('GET', new URL('/', body.url), { headers: { cookie: cookies, accept: 'text/html' } });
  if (page.status !== 200 || !/<html/i.test(page.text)) throw new Error(`GET ${new URL('/', body.url)} answered ${page.status}`);
  expectStatus(await request('POST', api(`/sessions/${sessionId}/stop`), { headers: bearer(), body: {} }), 200, 'POST /sessions/{id}/stop');
  return `IDE served at ${new URL(body.url).origin}`;
});

await check('llm call', async () => {
  if (!opts.llm) throw new Skip('--no-llm');
  if (!signedIn) throw new Skip('not signed in');
  const models = expectStatus(await request('GET', api('/llm/models'), { headers: bearer() }), 200, 'GET /llm/models');
  const items = models.items ?? [];
  const free = ['local', 'ollama', 'lmstudio'];
  const model = opts.model ?? (items.find((m) => free.includes(m.provider)) ?? items[0])?.id;
  const listingErrors = (models.errors ?? []).map((e) => `${e.provider}: ${e.message}`).join('; ');
  if (!model && listingErrors) throw new Error(`providers are configured but none listed a model (${listingErrors})`);
  if (!model) throw new Skip('no LLM provider configured');
  let buffer = '';
  const events = [];
  const res = await request('POST', api('/llm/chat'), {
    headers: { ...bearer(), accept: 'text/event-stream' },
    body: { model, messages: [{ role: 'user', content: 'Reply with the single word: pong' }], maxTokens: 16, persist: false },
    stream: (chunk) => {
      buffer += chunk.toString('utf8');
      let i;
      while ((i = buffer.indexOf('\n\n')) >= 0) {
        const frame = buffer.slice(0, i);
        buffer = buffer.slice(i + 2);
        const data = frame.split('\n').filter((l) => l.startsWith('data:')).map((l) => l.slice(5).trim()).join('\n');
        if (data) try { events.push(JSON.parse(data)); } catch { /* keep-alive or comment */ }
      }
    },
  });
  expectStatus(res, 200, 'POST /llm/chat');
  const error = events.find((e) => e.type === 'error');
  if (error) throw new Error(`${model}: ${error.code}: ${error.message}`);
  const text = events.filter((e) => e.type === 'delta').map((e) => e.text).join('');
  const usage = events.find((e) => e.type === 'usage');
  if (!text) throw new Error(`${model}: no text streamed`);
  if (!events.some((e) => e.type === 'done')) throw new Error(`${model}: the stream did not finish`);
  return `${model}: ${JSON.stringify(text.slice(0, 40))}${usage ? `, ${usage.inputTokens ?? '?'}+${usage.outputTokens ?? '?'} tokens` : ''}`;
});

await check('cleanup', async () => {
  if (!auth) throw new Skip('nothing to clean up');
  for (const id of state.sessions) {
    const res = await request('DELETE', api(`/sessions/${id}`), { headers: bearer() });
    if (res.status !== 204 && res.status !== 404) expectStatus(res, 204, `DELETE /sessions/${id}`);
  }
  expectStatus(await request('POST', api('/auth/logout-all'), { headers: bearer() }), 204, 'POST /auth/logout-all');
  const after = await request('GET', api('/users/me'), { headers: bearer() });
  if (after.status !== 401) throw new Error(`the access token still works after logout-all (${after.status})`);
  return opts.email ? 'sessions deleted, signed out' : `sessions deleted, signed out; account ${email} remains (no account deletion endpoint)`;
});

agent.destroy();
const failed = results.filter((r) => r.status === 'FAIL');
if (opts.json) {
  console.log(JSON.stringify({ url: base.href, ok: failed.length === 0, results }));
} else {
  const w = Math.max(...results.map((r) => r.name.length));
  console.log(`\nCoditect smoke test — ${base.href}\n`);
  console.log(`  ${'check'.padEnd(w)}  result  time    note`);
  console.log(`  ${'-'.repeat(w)}  ------  ------  ----`);
  for (const r of results) {
    console.log(`  ${r.name.padEnd(w)}  ${r.status.padEnd(6)}  ${`${r.ms}ms`.padStart(6)}  ${r.note}`);
  }
  const counts = ['pass', 'skip', 'FAIL'].map((s) => `${results.filter((r) => r.status === s).length} ${s.toLowerCase()}`);
  console.log(`\n  ${failed.length ? 'FAILED' : 'OK'}: ${counts.join(', ')}\n`);
}
process.exit(failed.length ? 1 : 0);
