import type { EndpointName, Endpoints, HttpMethod, RequestOf, ResponseOf } from './endpoints.js';
import type { FieldIssue } from './errors.js';
import { isPublic } from './callers.js';

/**
 * A typed API client built from the `endpoints` table. It injects the access
 * token, and when a request answers 401 `token_expired` it refreshes the
 * session once — one refresh shared by every request in flight — and retries.
 * It has no DOM or Node dependencies beyond `fetch`, so the web app, the CLI
 * and the IDE extensions can all use it. It needs only each endpoint's method,
 * path and auth flag (a `RouteTable`), not its zod schemas, so a browser
 * bundle that does not validate does not have to ship zod.
 */

/** What the client needs to know of one endpoint. `path` includes the API prefix. */
export interface Route {
  method: HttpMethod;
  path: string;
  auth: boolean;
}
export type RouteTable = Record<EndpointName, Route>;

/** The route table of an endpoint table: `createApiClient({ routes: routeTable(endpoints, API_PREFIX) })`. */
export function routeTable(table: Endpoints, prefix: string): RouteTable {
  return Object.fromEntries(Object.entries(table).map(([name, e]) =>
    [name, { method: e.method, path: prefix + e.path, auth: !isPublic(e.callers) }])) as RouteTable;
}

/** An error response of the API, or a network failure (`status` 0, code `network_error`). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly requestId: string | undefined,
    readonly details: unknown,
    /** Seconds to wait, from `Retry-After` on 429/503. */
    readonly retryAfterSeconds: number | undefined,
  ) {
    super(message);
    this.name = 'ApiError';
  }

  /** The field problems an error names (`validation_failed`, `weak_password`, `email_taken`…; empty otherwise). */
  get fieldIssues(): FieldIssue[] {
    // validation_failed lists every field; weak_password, email_taken and the like name one.
    if (!Array.isArray(this.details)) return [];
    return this.details.filter(
      (d): d is FieldIssue => typeof d === 'object' && d !== null && typeof (d as FieldIssue).path === 'string',
    );
  }
}

/** Codes after which the session cannot be recovered by refreshing. */
export const SESSION_ENDED_CODES: ReadonlySet<string> = new Set([
  'session_revoked', 'refresh_token_reused', 'invalid_token', 'missing_token',
]);

/** How the client keeps the caller signed in. */
export interface ClientAuth {
  /** The current access token, if any. */
  getAccessToken(): string | undefined;
  /**
   * Gets a fresh access token (and stores it wherever `getAccessToken` reads).
   * Called at most once at a time per client; throw an ApiError when the
   * session is over.
   */
  refresh(): Promise<string>;
  /** Called once when a refresh failed: the session is over. */
  onSessionEnded?(error: ApiError): void;
}

export interface ApiClientOptions {
  /** The endpoints: `routeTable(endpoints, API_PREFIX)`, or a pre-computed copy of it. */
  routes: RouteTable;
  /** Origin (or origin + path) the API prefix is appended to; `''` for same-origin. */
  baseUrl?: string;
  fetch?: typeof fetch;
  auth?: ClientAuth;
  /** Extra headers sent with every request (e.g. the refresh-token transport marker). */
  headers?: Record<string, string>;
}

/** Only the parts an endpoint declares are required. */
type DefinedKeys<T> = { [K in keyof T as T[K] extends undefined ? never : K]: T[K] };
export type CallInput<N extends EndpointName> = DefinedKeys<RequestOf<N>> & { signal?: AbortSignal };
type Args<N extends EndpointName> = keyof DefinedKeys<RequestOf<N>> extends never
  ? [input?: { signal?: AbortSignal }]
  : [input: CallInput<N>];

export interface ApiClient {
  /** Calls endpoint `name`; resolves with its typed response, rejects with ApiError. */
  call<N extends EndpointName>(name: N, ...args: Args<N>): Promise<ResponseOf<N>>;
  /** Runs the shared single-flight refresh (e.g. to restore a session on page load). */
  refresh(): Promise<string>;
}

/** Fills `:param` segments and appends the query string (`path` already carries the API prefix). */
export function buildPath(path: string, params?: Record<string, unknown>, query?: Record<string, unknown>): string {
  const filled = path.replace(/:([A-Za-z0-9_]+)/g, (_, key: string) => {
    const value = params?.[key];
    if (value === undefined || value === null) throw new Error(`Missing path parameter "${key}" for ${path}`);
    return encodeURIComponent(String(value));
  });
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(query ?? {})) {
    if (value !== undefined && value !== null) search.set(key, String(value));
  }
  const qs = search.toString();
  return filled + (qs ? `?${qs}` : '');
}

function parseRetryAfter(value: string | null): number | undefined {
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, Math.ceil(seconds));
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, Math.ceil((date - Date.now()) / 1000));
}

/** Turns a non-2xx response into an ApiError (tolerating non-JSON bodies from proxies). */
export async function toApiError(res: Response): Promise<ApiError> {
  let body: unknown;
  try {
    body = await res.json();
  } catch {
    body = undefined;
  }
  const err = (body as { error?: { code?: unknown; message?: unknown; requestId?: unknown; details?: unknown } })?.error;
  return new ApiError(
    res.status,
    typeof err?.code === 'string' ? err.code : `http_${res.status}`,
    typeof err?.message === 'string' ? err.message : `Request failed with status ${res.status}`,
    typeof err?.requestId === 'string' ? err.requestId : undefined,
    err?.details,
    parseRetryAfter(res.headers.get('retry-after')),
  );
}

export function createApiClient(options: ApiClientOptions): ApiClient {
  const baseUrl = (options.baseUrl ?? '').replace(/\/$/, '');
  const doFetch = options.fetch ?? ((...a: Parameters<typeof fetch>) => globalThis.fetch(...a));
  const auth = options.auth;
  let inflightRefresh: Promise<string> | undefined;

  /** One refresh at a time: concurrent callers share the promise. */
  function sharedRefresh(): Promise<string> {
    if (!auth) return Promise.reject(new ApiError(401, 'missing_token', 'Not signed in', undefined, undefined, undefined));
    inflightRefresh ??= auth.refresh().then(
      (token) => {
        inflightRefresh = undefined;
        return token;
      },
      (err: unknown) => {
        inflightRefresh = undefined;
        if (err instanceof ApiError && (err.status === 401 || err.status === 403)) auth.onSessionEnded?.(err);
        throw err;
      },
    );
    return inflightRefresh;
  }

  async function send(name: EndpointName, input: Partial<CallInput<EndpointName>>, token: string | undefined) {
    const endpoint = options.routes[name];
    const headers: Record<string, string> = { accept: 'application/json', ...options.headers };
    const hasBody = 'body' in input && input.body !== undefined;
    if (hasBody) headers['content-type'] = 'application/json';
    if (endpoint.auth && token) headers.authorization = `Bearer ${token}`;
    const url = baseUrl + buildPath(endpoint.path, input.params as Record<string, unknown>, input.query as Record<string, unknown>);
    try {
      return await doFetch(url, {
        method: endpoint.method,
        headers,
        body: hasBody ? JSON.stringify(input.body) : undefined,
        credentials: 'same-origin',
        signal: input.signal,
      });
    } catch (err) {
      if ((err as Error)?.name === 'AbortError') throw err;
      throw new ApiError(0, 'network_error', 'Cannot reach the server; check your connection', undefined, undefined, undefined);
    }
  }

  async function call(name: EndpointName, input: Partial<CallInput<EndpointName>> = {}): Promise<unknown> {
    const endpoint = options.routes[name];
    if (endpoint.auth && !auth?.getAccessToken() && auth) await sharedRefresh();
    const token = auth?.getAccessToken();
    let res = await send(name, input, token);
    if (res.status === 401 && endpoint.auth && auth) {
      const error = await toApiError(res);
      if (error.code !== 'token_expired') {
        if (SESSION_ENDED_CODES.has(error.code)) auth.onSessionEnded?.(error);
        throw error;
      }
      // Another request may already have refreshed while this one was in flight.
      const current = auth.getAccessToken();
      const fresh = current && current !== token ? current : await sharedRefresh();
      res = await send(name, input, fresh);
      if (res.status === 401) {
        const again = await toApiError(res);
        auth.onSessionEnded?.(again);
        throw again;
      }
    }
    if (!res.ok) throw await toApiError(res);
    if (res.status === 204) return undefined;
    return res.json();
  }

  return {
    call: call as ApiClient['call'],
    refresh: sharedRefresh,
  };
}
