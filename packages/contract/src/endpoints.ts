import { z } from 'zod';
import { fileEndpoints } from './file-endpoints.js';
import { LoginRequest, LoginResponse, RefreshRequest, RegisterRequest, RegisterResponse, TokenPair } from './auth.js';
import {
  CreateSessionRequest, ListSessionsQuery, SessionPage, UpdateSessionRequest, WorkspaceSession,
} from './sessions.js';
import { llmEndpoints } from './llm.js';
import { OpenWorkspaceResponse, WorkspaceStatusResponse } from './workspaces.js';
import { ChangePasswordRequest, DeviceList, IdParams, UpdateProfileRequest, User } from './users.js';
import { PUBLIC, USER_ONLY, type Callers } from './callers.js';

/** The prefix every endpoint path lives under. */
export const API_PREFIX = '/api/v5';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** The per-user rate limits (configured as `CODITECT_RATE_LIMIT_*`). */
export type RateLimitClass = 'llm' | 'providerTest' | 'snapshot' | 'sessionCreate' | 'workspaceOpen';

/**
 * One endpoint of the API. The server registers its handler from this, the
 * OpenAPI document is generated from it, and clients are typed by it.
 */
export interface Endpoint<
  Body extends z.ZodType | undefined = z.ZodType | undefined,
  Query extends z.ZodType | undefined = z.ZodType | undefined,
  Params extends z.ZodType | undefined = z.ZodType | undefined,
  Response extends z.ZodType | undefined = z.ZodType | undefined,
> {
  method: HttpMethod;
  /** Path below API_PREFIX, Fastify style (`/sessions/:id`). */
  path: string;
  summary: string;
  tag: 'system' | 'auth' | 'users' | 'sessions' | 'llm';
  /** Who may call it: the user's access token, a personal token scope, the workspace token (see Callers). */
  callers: Callers;
  /** Counted against this per-user rate limit (429 `rate_limited` with Retry-After past it). */
  rateLimit?: RateLimitClass;
  body?: Body;
  query?: Query;
  params?: Params;
  /** Success status; 204 endpoints have no response schema. */
  status: 200 | 201 | 204;
  response?: Response;
}

const endpoint = <const E extends Endpoint>(e: E): E => e;

export const HealthResponse = z.object({ status: z.literal('ok') });
/**
 * `degraded`: the node serves reads but refuses some writes (e.g. its disk is full); a load
 * balancer keeps it in rotation, an operator is told by `reasons`.
 */
export const ReadyResponse = z.object({
  status: z.enum(['ready', 'degraded']),
  /** Why the node is degraded, e.g. `storage_full`; empty when ready. */
  reasons: z.array(z.string()).optional(),
});
/** Public keys verifying access tokens (RFC 7517), current and recently retired. */
export const JwksResponse = z.object({
  keys: z.array(z.object({ kty: z.string(), crv: z.string(), x: z.string(), kid: z.string(), alg: z.string(), use: z.string() })),
});

/** Workspace sessions: the user and `sessions` personal tokens (CLIs). */
const SESSIONS = { user: true, personalToken: 'sessions' } as const satisfies Callers;
/** …and the workspace's own token, for its own session only (the IDE's session sync). */
const OWN_SESSION = { ...SESSIONS, workspace: 'own-session' } as const satisfies Callers;

export const endpoints = {
  health: endpoint({ method: 'GET', path: '/health', tag: 'system', callers: PUBLIC, status: 200, response: HealthResponse,
    summary: 'Liveness: the process serves HTTP (no database access)' }),
  ready: endpoint({ method: 'GET', path: '/ready', tag: 'system', callers: PUBLIC, status: 200, response: ReadyResponse,
    summary: 'Readiness: the database answers a query (503 database_unavailable otherwise); 200 degraded while the disk is full' }),

  jwks: endpoint({ method: 'GET', path: '/.well-known/jwks.json', tag: 'system', callers: PUBLIC, status: 200, response: JwksResponse,
    summary: 'Public keys of access tokens (for services verifying them); old keys stay until their tokens expire' }),

  register: endpoint({ method: 'POST', path: '/auth/register', tag: 'auth', callers: PUBLIC, status: 201,
    body: RegisterRequest, response: RegisterResponse,
    summary: 'Create a user with a private tenant and sign in' }),
  login: endpoint({ method: 'POST', path: '/auth/login', tag: 'auth', callers: PUBLIC, status: 200,
    body: LoginRequest, response: LoginResponse, summary: 'Sign in with email and password' }),
  refresh: endpoint({ method: 'POST', path: '/auth/refresh', tag: 'auth', callers: PUBLIC, status: 200,
    body: RefreshRequest, response: TokenPair,
    summary: 'Rotate the refresh token; a reused token revokes its whole session' }),
  logout: endpoint({ method: 'POST', path: '/auth/logout', tag: 'auth', callers: USER_ONLY, status: 204,
    summary: 'End this auth session' }),
  logoutAll: endpoint({ method: 'POST', path: '/auth/logout-all', tag: 'auth', callers: USER_ONLY, status: 204,
    summary: 'End every auth session of the user' }),

  getMe: endpoint({ method: 'GET', path: '/users/me', tag: 'users', callers: SESSIONS, status: 200, response: User,
    summary: 'The signed-in user' }),
  updateProfile: endpoint({ method: 'PUT', path: '/users/me/profile', tag: 'users', callers: USER_ONLY, status: 200,
    body: UpdateProfileRequest, response: User, summary: 'Update profile and billing fields' }),
  changePassword: endpoint({ method: 'PUT', path: '/users/me/password', tag: 'users', callers: USER_ONLY, status: 204,
    body: ChangePasswordRequest, summary: 'Change password; every other auth session ends' }),
  listDevices: endpoint({ method: 'GET', path: '/users/me/sessions', tag: 'users', callers: USER_ONLY, status: 200,
    response: DeviceList, summary: 'Active auth sessions (devices) of the user' }),
  revokeDevice: endpoint({ method: 'DELETE', path: '/users/me/sessions/:id', tag: 'users', callers: USER_ONLY, status: 204,
    params: IdParams, summary: 'Sign out one device' }),

  createSession: endpoint({ method: 'POST', path: '/sessions', tag: 'sessions', callers: SESSIONS,
    rateLimit: 'sessionCreate', status: 201,
    body: CreateSessionRequest, response: WorkspaceSession, summary: 'Create a workspace session' }),
  listSessions: endpoint({ method: 'GET', path: '/sessions', tag: 'sessions', callers: OWN_SESSION, status: 200,
    query: ListSessionsQuery, response: SessionPage, summary: "The tenant's workspace sessions, newest first" }),
  getSession: endpoint({ method: 'GET', path: '/sessions/:id', tag: 'sessions', callers: OWN_SESSION, status: 200,
    params: IdParams, response: WorkspaceSession, summary: 'One workspace session' }),
  updateSession: endpoint({ method: 'PATCH', path: '/sessions/:id', tag: 'sessions', callers: OWN_SESSION, status: 200,
    params: IdParams, body: UpdateSessionRequest, response: WorkspaceSession,
    summary: 'Rename a session or save its IDE state' }),
  openWorkspace: endpoint({ method: 'POST', path: '/sessions/:id/open', tag: 'sessions', callers: USER_ONLY, rateLimit: 'workspaceOpen', status: 200,
    params: IdParams, response: OpenWorkspaceResponse,
    summary: "Start the session's IDE (single-flight) and set its path-scoped workspace cookie" }),
  workspaceStatus: endpoint({ method: 'GET', path: '/sessions/:id/status', tag: 'sessions', callers: USER_ONLY, status: 200,
    params: IdParams, response: WorkspaceStatusResponse, summary: "Whether the session's IDE is stopped, starting or running, and its CPU, memory, process and disk use" }),
  stopWorkspace: endpoint({ method: 'POST', path: '/sessions/:id/stop', tag: 'sessions', callers: USER_ONLY, status: 200,
    params: IdParams, response: WorkspaceStatusResponse, summary: "Stop the session's IDE" }),
  deleteSession: endpoint({ method: 'DELETE', path: '/sessions/:id', tag: 'sessions', callers: SESSIONS, status: 204,
    params: IdParams, summary: 'Delete a workspace session' }),
  ...llmEndpoints,
  ...fileEndpoints,
} as const;

export type Endpoints = typeof endpoints;
export type EndpointName = keyof Endpoints;

type Part = 'body' | 'query' | 'params' | 'response';
/** The parsed (output) type of one part of an endpoint; `undefined` when the endpoint has none. */
export type OutputOf<E, K extends Part> = E extends { [P in K]: infer S extends z.ZodType } ? z.output<S> : undefined;
/** The accepted (input) type of one part of an endpoint; `undefined` when the endpoint has none. */
export type InputOf<E, K extends Part> = E extends { [P in K]: infer S extends z.ZodType } ? z.input<S> : undefined;

/** What a client sends to endpoint `N`. */
export interface RequestOf<N extends EndpointName> {
  body: InputOf<Endpoints[N], 'body'>;
  query: InputOf<Endpoints[N], 'query'>;
  params: InputOf<Endpoints[N], 'params'>;
}
/** What endpoint `N` answers on success (`undefined` for 204). */
export type ResponseOf<N extends EndpointName> = OutputOf<Endpoints[N], 'response'>;
