/**
 * Walks every endpoint of the contract with one credential and tells which
 * ones let it through: the test side of the `callers` column. The probes are
 * plain data (method, path, body) so they can be replayed from anywhere — a
 * script inside a workspace's sandbox included.
 */
import {
  API_PREFIX, compatEndpoints, endpoints, fileStreamEndpoints, type Callers, type TokenScope,
} from '@coditect/contract';

/** Every endpoint the contract lists: JSON, streaming and compatible, by a unique name. */
export const allEndpoints: Record<string, { method: string; path: string; callers: Callers }> = {
  ...endpoints, ...fileStreamEndpoints, ...compatEndpoints,
};

/** One request of the walk. */
export interface Probe {
  name: string;
  method: string;
  /** Full path with the API prefix, parameters filled. */
  path: string;
  /** JSON body (minimal: `{}`); absent for GET and DELETE. */
  body?: unknown;
}

/** What a probe got back. */
export interface ProbeResult extends Probe {
  status: number;
  /** The error's `code` (or, in Anthropic's shape, its `type`). */
  code: string | undefined;
}

/** The expected refusal code: ours, or Anthropic's name for a 403 on its door. */
export const refusalCode = (name: string): string => (name === 'anthropicMessages' ? 'permission_error' : 'insufficient_scope');

/** Fills `:param`s: `:id` with the given session id, `:provider` with a real provider, anything else a dummy uuid. */
export function probesFor(sessionId: string, only?: (name: string) => boolean): Probe[] {
  return Object.entries(allEndpoints).filter(([name]) => !only || only(name)).map(([name, e]) => ({
    name,
    method: e.method,
    path: API_PREFIX + e.path.replace(/:(\w+)/g, (_, p: string) =>
      p === 'id' ? sessionId : p === 'provider' ? 'openai' : '00000000-0000-4000-8000-000000000000'),
    ...(['POST', 'PUT', 'PATCH'].includes(e.method) ? { body: {} } : {}),
  }));
}

/** Refused because of who is calling (not what was asked): 401 or 403 (minimal bodies never reach a 403 of their own). */
export const refusedForCaller = (r: Pick<ProbeResult, 'status'>): boolean => r.status === 401 || r.status === 403;

/** The endpoints the table admits for the workspace token. */
export const workspaceAllowed = (): string[] =>
  Object.entries(allEndpoints).filter(([, e]) => !e.callers.public && e.callers.workspace).map(([n]) => n).sort();

/** The endpoints the table admits for a personal token with these scopes (public ones answer anyone). */
export const personalAllowed = (scopes: TokenScope[]): string[] =>
  Object.entries(allEndpoints).filter(([, e]) => e.callers.public || (e.callers.personalToken && scopes.includes(e.callers.personalToken)))
    .map(([n]) => n).sort();

/**
 * The same walk as a self-contained Node script (no imports but node:http):
 * it sends each probe with CODITECT_API_TOKEN (or the probe's own `token`) over CODITECT_API_SOCKET and
 * prints the results as one JSON line.
 */
export function walkScript(): string {
  return `
const http = require('node:http');
const plan = JSON.parse(process.env.CODITECT_PROBE_PLAN);
const token = process.env.CODITECT_API_TOKEN;
const send = (p) => new Promise((resolve) => {
  const body = p.body === undefined ? undefined : JSON.stringify(p.body);
  const req = http.request({ socketPath: process.env.CODITECT_API_SOCKET, method: p.method, path: p.path,
    headers: { authorization: 'Bearer ' + (p.token || token), ...(body ? { 'content-type': 'application/json' } : {}) } }, (res) => {
    let text = '';
    res.on('data', (d) => { if (text.length < 4096) text += d; });
    res.on('end', () => { let code; try { const e = JSON.parse(text).error; code = e.code ?? e.type; } catch {} resolve({ ...p, token: undefined, status: res.statusCode, code }); });
    res.on('error', () => resolve({ ...p, token: undefined, status: -1, code: 'stream_error' }));
  });
  req.setTimeout(30000, () => req.destroy(new Error('timeout')));
  req.on('error', (e) => resolve({ ...p, token: undefined, status: -1, code: e.code || e.message }));
  req.end(body);
});
(async () => {
  const out = [];
  for (const p of plan) out.push(await send(p));
  console.log(JSON.stringify(out));
})();
`;
}
