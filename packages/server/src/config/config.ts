import os from 'node:os';
import path from 'node:path';
import type { RateLimitClass } from '@coditect/contract';
import { z } from 'zod';
import { parseAllowList, type EgressAllowList } from '../egress/allow-list.js';
import { DEFAULT_WORKSPACE_LIMITS, type WorkspaceLimits } from '../workspaces/workspace-limits.js';
import { parseWorkspaceOriginPattern } from '../workspaces/workspace-origins.js';

/** `N/Ws` rate-limit spec, e.g. `10/60s`: at most N requests per window. */
const RateSpec = z
  .string()
  .regex(/^\d+\/\d+s$/, 'expected N/Ws, e.g. 10/60s')
  .transform((s) => {
    const [count, seconds] = s.slice(0, -1).split('/').map(Number) as [number, number];
    return { max: count, windowMs: seconds * 1000 };
  });

/** Comma-separated rate-limit specs (`5/60s,20/3600s`): tiers that all apply, a stepwise back-off. */
const RateTiers = z
  .string()
  .regex(/^\d+\/\d+s(,\d+\/\d+s)*$/, 'expected N/Ws[,N/Ws…], e.g. 5/60s,20/3600s')
  .transform((s) => s.split(',').map((spec) => RateSpec.parse(spec)));

/** `host:port` of an extra listener, or `off`. */
const ListenSpec = z
  .string()
  .regex(/^(off|\[?[0-9A-Za-z.:-]+\]?:\d{1,5})$/, 'expected host:port (e.g. 127.0.0.1:9464) or off')
  .transform((v) => {
    if (v === 'off') return null;
    const at = v.lastIndexOf(':');
    return { host: v.slice(0, at).replace(/^\[|\]$/g, ''), port: Number(v.slice(at + 1)) };
  });

const Bool = z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1');

/** LLM gateway settings: server-wide provider defaults, the key-encryption master key, reliability knobs. */
const llmEnv = {
  /** 32 bytes, base64 or hex: encrypts tenants' provider keys. Generated into the data dir when absent (SQLite only). */
  CODITECT_LLM_MASTER_KEY: z.string().min(32).optional(),
  CODITECT_LLM_ANTHROPIC_API_KEY: z.string().min(1).optional(),
  CODITECT_LLM_ANTHROPIC_BASE_URL: z.url().optional(),
  CODITECT_LLM_OPENAI_API_KEY: z.string().min(1).optional(),
  CODITECT_LLM_OPENAI_BASE_URL: z.url().optional(),
  CODITECT_LLM_GOOGLE_API_KEY: z.string().min(1).optional(),
  CODITECT_LLM_GOOGLE_BASE_URL: z.url().optional(),
  CODITECT_LLM_XAI_API_KEY: z.string().min(1).optional(),
  CODITECT_LLM_XAI_BASE_URL: z.url().optional(),
  CODITECT_LLM_OPENAI_COMPATIBLE_API_KEY: z.string().min(1).optional(),
  CODITECT_LLM_OPENAI_COMPATIBLE_BASE_URL: z.url().optional(),
  CODITECT_LLM_OLLAMA_BASE_URL: z.url().optional(),
  CODITECT_LLM_LMSTUDIO_BASE_URL: z.url().optional(),
  /** A GGUF file served in-process by node-llama-cpp as provider `local`. */
  CODITECT_LLM_LOCAL_MODEL_PATH: z.string().min(1).optional(),
  /** Give up when no token arrived within this time (retried / falls back). */
  CODITECT_LLM_FIRST_TOKEN_TIMEOUT_MS: z.coerce.number().int().min(1).default(60_000),
  /** Give up when a started stream is silent this long. */
  CODITECT_LLM_IDLE_TIMEOUT_MS: z.coerce.number().int().min(1).default(60_000),
  CODITECT_LLM_MAX_RETRIES: z.coerce.number().int().min(0).max(10).default(2),
  CODITECT_LLM_RETRY_BASE_MS: z.coerce.number().int().min(0).default(500),
  /** A Retry-After longer than this is not waited for: the call fails (or falls back) at once. */
  CODITECT_LLM_RETRY_MAX_WAIT_MS: z.coerce.number().int().min(0).default(20_000),
  /** Server-wide fallback chains: `provider/a=provider/b|provider/c;provider/x=provider/y`. */
  CODITECT_LLM_FALLBACKS: z.string().optional(),
};

/** The gateway's part of the config. */
export interface LlmConfig {
  masterKey: string | undefined;
  /** Server-wide defaults per provider id (tenant settings win). */
  providers: Record<string, { apiKey?: string; baseUrl?: string }>;
  localModelPath: string | undefined;
  firstTokenTimeoutMs: number;
  idleTimeoutMs: number;
  maxRetries: number;
  retryBaseMs: number;
  retryMaxWaitMs: number;
  fallbacks: Record<string, string[]>;
}

function parseFallbacks(spec: string | undefined): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const rule of (spec ?? '').split(';').map((s) => s.trim()).filter(Boolean)) {
    const [from, to] = rule.split('=');
    if (from && to) out[from.trim()] = to.split('|').map((s) => s.trim()).filter(Boolean);
  }
  return out;
}
const UNITS: Record<string, number> = { '': 1, b: 1, k: 1e3, kb: 1e3, kib: 1024, m: 1e6, mb: 1e6, mib: 1024 ** 2, g: 1e9, gb: 1e9, gib: 1024 ** 3, t: 1e12, tb: 1e12, tib: 1024 ** 4 };
/** A byte size: `1073741824`, `100MiB`, `1GiB`, `500MB`. */
const ByteSize = z
  .string()
  .regex(/^\d+(\.\d+)?\s*([kmgt]i?b?|b)?$/i, 'expected a byte size, e.g. 100MiB or 1073741824')
  .transform((s) => {
    const [, num, unit] = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i.exec(s) as unknown as [string, string, string];
    return Math.floor(Number(num) * UNITS[unit.toLowerCase()]!);
  });

/** Every environment variable Coditect reads. Nothing else touches process.env. */
const EnvSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  PORT: z.coerce.number().int().min(0).max(65535).default(8080),
  HOST: z.string().min(1).default('127.0.0.1'),
  CODITECT_DATA_DIR: z.string().min(1).default('./data'),
  /** `sqlite:/path/file.db` or a bare path, or `postgres://…`. Default: SQLite in the data dir. */
  CODITECT_DATABASE_URL: z.string().min(1).optional(),
  /** HS256 signing secret (≥ 32 bytes). Generated into the data dir when absent outside production. */
  CODITECT_JWT_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
  /** Ed25519 private key (PKCS#8 PEM) signing access tokens. Generated into the data dir when absent outside production. */
  CODITECT_JWT_PRIVATE_KEY: z.string().includes('PRIVATE KEY', { message: 'expected a PKCS#8 PEM private key' }).optional(),
  /** Public keys (PEM, concatenated) of retired signing keys whose tokens still verify after a rotation. */
  CODITECT_JWT_RETIRED_PUBLIC_KEYS: z.string().optional(),
  CODITECT_JWT_ISSUER: z.string().min(1).default('coditect'),
  CODITECT_JWT_AUDIENCE: z.string().min(1).default('coditect-api'),
  CODITECT_ACCESS_TOKEN_TTL_SECONDS: z.coerce.number().int().min(1).max(86_400).default(900),
  CODITECT_REFRESH_TOKEN_TTL_DAYS: z.coerce.number().int().min(1).max(365).default(30),
  /** Per-IP limits. */
  CODITECT_RATE_LIMIT_LOGIN_IP: RateSpec.default({ max: 30, windowMs: 60_000 }),
  CODITECT_RATE_LIMIT_REGISTER_IP: RateSpec.default({ max: 10, windowMs: 60_000 }),
  CODITECT_RATE_LIMIT_REFRESH_IP: RateSpec.default({ max: 60, windowMs: 60_000 }),
  /** Failed sign-ins per (client IP, account) pair: back-off tiers that all apply. A third party cannot lock the account out. */
  CODITECT_RATE_LIMIT_LOGIN_PAIR: RateTiers.default([{ max: 5, windowMs: 60_000 }, { max: 20, windowMs: 3_600_000 }]),
  /** Failed sign-ins per account from all clients: a ceiling only a distributed attack reaches. */
  CODITECT_RATE_LIMIT_LOGIN_ACCOUNT: RateSpec.default({ max: 200, windowMs: 3_600_000 }),
  /** Per-user limits: chat, compare and the compatible endpoints. */
  CODITECT_RATE_LIMIT_LLM: RateSpec.default({ max: 300, windowMs: 60_000 }),
  CODITECT_RATE_LIMIT_PROVIDER_TEST: RateSpec.default({ max: 30, windowMs: 60_000 }),
  /** Snapshot create and restore. */
  CODITECT_RATE_LIMIT_SNAPSHOT: RateSpec.default({ max: 30, windowMs: 60_000 }),
  CODITECT_RATE_LIMIT_SESSION_CREATE: RateSpec.default({ max: 60, windowMs: 60_000 }),
  CODITECT_RATE_LIMIT_WORKSPACE_OPEN: RateSpec.default({ max: 120, windowMs: 60_000 }),
  /** Prometheus `/metrics` listener (`host:port` or `off`); the public port never serves it. */
  CODITECT_METRICS_LISTEN: ListenSpec.default({ host: '127.0.0.1', port: 9464 }),
  /** When set, `/metrics` on the public port also answers, to `Authorization: Bearer <token>` only. */
  CODITECT_METRICS_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
  /** Fastify trustProxy: `false`, `true`, a hop count, or a comma-separated list of addresses/CIDRs. */
  CODITECT_TRUST_PROXY: z.string().default('false'),
  CODITECT_LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  CODITECT_DB_POOL_SIZE: z.coerce.number().int().min(1).max(200).default(10),
  /** PostgreSQL: give up connecting (or waiting for a free pool connection) after this long: 503 database_unavailable. */
  CODITECT_DB_CONNECT_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(1500),
  /** PostgreSQL statement timeout (the client gives up 1 s later); 0 turns it off. */
  CODITECT_DB_QUERY_TIMEOUT_MS: z.coerce.number().int().min(0).max(3_600_000).default(5000),
  /** SQLite: how long a write waits for another connection's lock before 503 database_busy (the event loop waits too). */
  CODITECT_SQLITE_BUSY_TIMEOUT_MS: z.coerce.number().int().min(0).max(60_000).default(1000),
  /** After a write refused for lack of space, the node reports degraded until every data volume has this much free again. */
  CODITECT_STORAGE_MIN_FREE: ByteSize.default(64 * 1024 ** 2),
  /** Serve the web app's built files from this directory at `/` (optional). */
  CODITECT_WEB_DIR: z.string().optional(),
  CODITECT_DOCS: Bool.default(true),
  ...llmEnv,
  /**
   * Non-public destinations tenants may reach anyway (comma-separated CIDRs, addresses, host names, `*.suffix`),
   * e.g. an Ollama on the LAN; everything else private, loopback, link-local or metadata is refused.
   */
  CODITECT_EGRESS_ALLOW: z.string().default('').transform((v, ctx) => {
    try {
      return parseAllowList(v);
    } catch (err) {
      ctx.addIssue({ code: 'custom', message: (err as Error).message });
      return z.NEVER;
    }
  }),
  /** Per-session IDE backends (packages/ide) run under bubblewrap; see workspaces/. */
  CODITECT_IDE_APP_DIR: z.string().min(1).optional(),
  /** Sockets and generated files of running IDEs; kept outside the data dir. Default: {tmp}/coditect-run-{uid}. */
  CODITECT_WORKSPACE_RUN_DIR: z.string().min(1).optional(),
  CODITECT_WORKSPACE_IDLE_MINUTES: z.coerce.number().min(0.01).default(15),
  CODITECT_MAX_WORKSPACES: z.coerce.number().int().min(1).default(20),
  /** Running workspaces one tenant may have across all nodes (429 workspace_limit past it). */
  CODITECT_MAX_WORKSPACES_PER_TENANT: z.coerce.number().int().min(1).default(5),
  /** Origin pattern of the workspaces' IDEs, e.g. `https://{id}.ws.example.com` (default `http://{id}.ws.localhost:PORT`). */
  CODITECT_WORKSPACE_ORIGIN: z.string().refine((v) => {
    try {
      parseWorkspaceOriginPattern(v);
      return true;
    } catch {
      return false;
    }
  }, 'expected http(s)://{id}.<domain>[:port], e.g. https://{id}.ws.example.com').optional(),
  /** Lifetime of the workspace origin's cookie; it slides while the IDE is in use. */
  CODITECT_WORKSPACE_TOKEN_TTL_SECONDS: z.coerce.number().int().min(5).default(900),
  /** Mark cookies Secure (set behind HTTPS). */
  CODITECT_SECURE_COOKIES: Bool.default(false),
  /** Workspace runtime: bwrap (bubblewrap + seccomp), gvisor (runsc, no fallback) or auto (gVisor when it passes its self-test). */
  CODITECT_WORKSPACE_RUNTIME: z.enum(['auto', 'gvisor', 'bwrap']).default('bwrap'),
  /** gVisor's runsc executable (default: found on PATH). */
  CODITECT_RUNSC_PATH: z.string().min(1).optional(),
  /** DEVELOPMENT ONLY: run IDEs without a sandbox when bubblewrap is unavailable. */
  CODITECT_DANGEROUS_UNSANDBOXED_WORKSPACES: Bool.default(false),
  /** Cores one running workspace may use (cgroup CPU quota), e.g. `1` or `0.5`. */
  CODITECT_WORKSPACE_CPUS: z.coerce.number().min(0.01).max(1024).default(DEFAULT_WORKSPACE_LIMITS.cpus),
  /** Memory of one running workspace (processes, page cache and /tmp); the OOM killer acts inside past it. */
  CODITECT_WORKSPACE_MEMORY: ByteSize.default(DEFAULT_WORKSPACE_LIMITS.memoryBytes),
  /** Swap one workspace may use on top of its memory (0: none). */
  CODITECT_WORKSPACE_SWAP: ByteSize.default(DEFAULT_WORKSPACE_LIMITS.swapBytes),
  /** Processes and threads of one workspace at once (a fork bomb stops here). */
  CODITECT_WORKSPACE_PIDS: z.coerce.number().int().min(16).default(DEFAULT_WORKSPACE_LIMITS.pids),
  /** Size of a workspace's private /tmp (a tmpfs, counted against its memory). */
  CODITECT_WORKSPACE_TMP_SIZE: ByteSize.default(DEFAULT_WORKSPACE_LIMITS.tmpBytes),
  /** cgroup v2: the delegated directory workspace cgroups are created under (default: the server's own cgroup). */
  CODITECT_CGROUP_ROOT: z.string().min(1).optional(),
  /** DEVELOPMENT ONLY: start workspaces without CPU, memory and process limits where no cgroup is writable. */
  CODITECT_DANGEROUS_UNLIMITED_WORKSPACES: Bool.default(false),
  /** Origins (comma-separated) allowed to call the API from other sites; none by default (the web app is same-origin). */
  CODITECT_CORS_ORIGINS: z.string().default(''),
  /** This node's name among several (default: host name and port). */
  CODITECT_NODE_ID: z.string().min(1).max(100).optional(),
  /** Where other nodes reach this one to forward a workspace's traffic (default http://HOST:PORT). */
  CODITECT_NODE_URL: z.url().optional(),
  /** A node that stops renewing its workspaces' placements loses them after this long. */
  CODITECT_PLACEMENT_TTL_SECONDS: z.coerce.number().int().min(2).default(30),
  /** Workspace bytes one tenant may store (all its sessions). */
  CODITECT_STORAGE_QUOTA: ByteSize.default(1024 ** 3),
  /** How far past its quota a tenant's running workspace may get before it is stopped (writes fail from the quota on). */
  CODITECT_STORAGE_QUOTA_SLACK: ByteSize.default(64 * 1024 ** 2),
  /** Largest single file the files API accepts. */
  CODITECT_MAX_FILE_SIZE: ByteSize.default(100 * 1024 ** 2),
  /** Blob store: `file:///path` (default `{dataDir}/blobs`) or `s3://bucket/prefix`. */
  CODITECT_BLOB_URL: z.string().regex(/^(file|s3):\/\//, 'expected file:///path or s3://bucket/prefix').optional(),
  /** S3-compatible endpoint (MinIO, R2, …); unset means AWS. */
  CODITECT_S3_ENDPOINT: z.url().optional(),
  CODITECT_S3_REGION: z.string().min(1).default('us-east-1'),
  CODITECT_S3_ACCESS_KEY_ID: z.string().min(1).optional(),
  CODITECT_S3_SECRET_ACCESS_KEY: z.string().min(1).optional(),
  /** Path-style bucket addressing (needed by most non-AWS stores); defaults to true when an endpoint is set. */
  CODITECT_S3_FORCE_PATH_STYLE: Bool.optional(),
  /** Seconds between automatic snapshots of changed workspaces on this node; 0 turns them off. */
  CODITECT_SNAPSHOT_INTERVAL_SECONDS: z.coerce.number().int().min(0).max(86_400 * 7).default(900),
  /** Seconds between looks of the continuous sync at workspaces changed on this node (sync points); 0 turns it off. */
  CODITECT_SYNC_INTERVAL_SECONDS: z.coerce.number().min(0).max(60).default(1),
});

export type RateLimit = { max: number; windowMs: number };

export interface Config {
  env: 'development' | 'production' | 'test';
  port: number;
  host: string;
  dataDir: string;
  database: { kind: 'sqlite'; file: string } | { kind: 'postgres'; url: string; poolSize: number };
  /** How long a request may wait on the database before it fails with a coded 503. */
  databaseLimits: { connectTimeoutMs: number; queryTimeoutMs: number; sqliteBusyTimeoutMs: number };
  jwt: {
    /** HMAC secret of the workspace tokens (IDE cookie, workspace API token). */
    secret: string | undefined;
    privateKey: string | undefined;
    retiredPublicKeys: string | undefined;
    issuer: string;
    audience: string;
    accessTtlSeconds: number;
  };
  refreshTtlMs: number;
  rateLimits: {
    loginIp: RateLimit; registerIp: RateLimit; refreshIp: RateLimit;
    /** Back-off tiers of failed sign-ins per (IP, account). */
    loginPair: RateLimit[];
    /** Failed sign-ins per account, all clients. */
    loginAccount: RateLimit;
  } & Record<RateLimitClass, RateLimit>;
  /** The metrics listener (undefined: none) and the optional bearer token for `/metrics` on the public port. */
  metrics: { listen: { host: string; port: number } | undefined; token: string | undefined };
  trustProxy: boolean | number | string[];
  logLevel: string;
  webDir: string | undefined;
  docs: boolean;
  corsOrigins: string[];
  llm: LlmConfig;
  /** Outbound connections made for tenants (provider base URLs, later the workspaces' egress proxy). */
  egress: { allow: EgressAllowList };
  workspaces: {
    ideAppDir: string | undefined;
    runDir: string;
    idleTimeoutMs: number;
    maxRunning: number;
    maxPerTenant: number;
    tokenTtlSeconds: number;
    /** `CODITECT_WORKSPACE_ORIGIN`; unset: `http://{id}.ws.localhost:{listening port}`. */
    originPattern: string | undefined;
    secureCookies: boolean;
    dangerouslyUnsandboxed: boolean;
    /** What one running workspace may use. */
    limits: WorkspaceLimits;
    /** cgroup v2 directory to create workspace cgroups under; unset: the server's own cgroup. */
    cgroupRoot: string | undefined;
    dangerouslyUnlimited: boolean;
    /** Which runtime workspaces run on (see workspaces/sandbox/runtime-choice.ts). */
    runtime: 'auto' | 'gvisor' | 'bwrap';
    runscPath: string | undefined;
    nodeId: string;
    /** Unset: derived from the address the server listens on. */
    nodeUrl: string | undefined;
    placementTtlMs: number;
  };
  storage: StorageConfig;
}

/** Where blobs go, and the workspace limits. */
export interface StorageConfig {
  quotaBytes: number;
  /** Running workspaces are stopped past quotaBytes + quotaSlackBytes (writes fail from quotaBytes on). */
  quotaSlackBytes: number;
  maxFileBytes: number;
  /** Free bytes every data volume needs before a node that ran out of space reports ready again. */
  minFreeBytes: number;
  blobs:
    | { kind: 'local'; dir: string }
    | { kind: 's3'; bucket: string; prefix: string; endpoint: string | undefined; region: string;
        credentials: { accessKeyId: string; secretAccessKey: string } | undefined; forcePathStyle: boolean };
  snapshotIntervalMs: number;
  /** Continuous sync: a look at each changed workspace this often (0: off). */
  syncIntervalMs: number;
}

function parseBlobs(e: z.infer<typeof EnvSchema>, dataDir: string): StorageConfig['blobs'] {
  const url = e.CODITECT_BLOB_URL;
  if (!url) return { kind: 'local', dir: path.join(dataDir, 'blobs') };
  if (url.startsWith('file://')) return { kind: 'local', dir: path.resolve(decodeURIComponent(new URL(url).pathname)) };
  const u = new URL(url);
  if (Boolean(e.CODITECT_S3_ACCESS_KEY_ID) !== Boolean(e.CODITECT_S3_SECRET_ACCESS_KEY)) {
    throw new ConfigError(['CODITECT_S3_ACCESS_KEY_ID / CODITECT_S3_SECRET_ACCESS_KEY: set both or neither']);
  }
  return {
    kind: 's3',
    bucket: u.hostname,
    prefix: u.pathname.replace(/^\/+|\/+$/g, ''),
    endpoint: e.CODITECT_S3_ENDPOINT,
    region: e.CODITECT_S3_REGION,
    credentials: e.CODITECT_S3_ACCESS_KEY_ID && e.CODITECT_S3_SECRET_ACCESS_KEY
      ? { accessKeyId: e.CODITECT_S3_ACCESS_KEY_ID, secretAccessKey: e.CODITECT_S3_SECRET_ACCESS_KEY } : undefined,
    forcePathStyle: e.CODITECT_S3_FORCE_PATH_STYLE ?? Boolean(e.CODITECT_S3_ENDPOINT),
  };
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

function parseTrustProxy(v: string): Config['trustProxy'] {
  if (v === 'false' || v === '') return false;
  if (v === 'true') return true;
  if (/^\d+$/.test(v)) return Number(v);
  return v.split(',').map((s) => s.trim()).filter(Boolean);
}

function parseDatabase(url: string | undefined, dataDir: string, poolSize: number): Config['database'] {
  if (!url) return { kind: 'sqlite', file: path.join(dataDir, 'coditect.db') };
  if (/^postgres(ql)?:\/\//.test(url)) return { kind: 'postgres', url, poolSize };
  const file = url.replace(/^sqlite:(\/\/)?/, '');
  return { kind: 'sqlite', file: file === ':memory:' ? file : path.resolve(file) };
}

/** Parses the environment once; lists every problem at once; returns a frozen config. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const parsed = EnvSchema.safeParse(env);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`));
  }
  const e = parsed.data;
  if (e.NODE_ENV === 'production') {
    // Every node must share these, so production never generates them.
    const problems = [];
    if (!e.CODITECT_JWT_SECRET) problems.push('CODITECT_JWT_SECRET: required when NODE_ENV=production');
    else if (new Set(e.CODITECT_JWT_SECRET).size < 12) problems.push('CODITECT_JWT_SECRET: too weak (use e.g. `openssl rand -base64 48`)');
    if (!e.CODITECT_JWT_PRIVATE_KEY) problems.push('CODITECT_JWT_PRIVATE_KEY: required when NODE_ENV=production (`openssl genpkey -algorithm ed25519`)');
    if (!e.CODITECT_LLM_MASTER_KEY) problems.push('CODITECT_LLM_MASTER_KEY: required when NODE_ENV=production (`openssl rand -hex 32`)');
    if (problems.length) throw new ConfigError(problems);
  }
  const dataDir = path.resolve(e.CODITECT_DATA_DIR);
  return Object.freeze({
    env: e.NODE_ENV,
    port: e.PORT,
    host: e.HOST,
    dataDir,
    database: parseDatabase(e.CODITECT_DATABASE_URL, dataDir, e.CODITECT_DB_POOL_SIZE),
    databaseLimits: {
      connectTimeoutMs: e.CODITECT_DB_CONNECT_TIMEOUT_MS,
      queryTimeoutMs: e.CODITECT_DB_QUERY_TIMEOUT_MS,
      sqliteBusyTimeoutMs: e.CODITECT_SQLITE_BUSY_TIMEOUT_MS,
    },
    jwt: {
      secret: e.CODITECT_JWT_SECRET,
      privateKey: e.CODITECT_JWT_PRIVATE_KEY,
      retiredPublicKeys: e.CODITECT_JWT_RETIRED_PUBLIC_KEYS,
      issuer: e.CODITECT_JWT_ISSUER,
      audience: e.CODITECT_JWT_AUDIENCE,
      accessTtlSeconds: e.CODITECT_ACCESS_TOKEN_TTL_SECONDS,
    },
    refreshTtlMs: e.CODITECT_REFRESH_TOKEN_TTL_DAYS * 86_400_000,
    rateLimits: {
      loginIp: e.CODITECT_RATE_LIMIT_LOGIN_IP,
      registerIp: e.CODITECT_RATE_LIMIT_REGISTER_IP,
      refreshIp: e.CODITECT_RATE_LIMIT_REFRESH_IP,
      loginPair: e.CODITECT_RATE_LIMIT_LOGIN_PAIR,
      loginAccount: e.CODITECT_RATE_LIMIT_LOGIN_ACCOUNT,
      llm: e.CODITECT_RATE_LIMIT_LLM,
      providerTest: e.CODITECT_RATE_LIMIT_PROVIDER_TEST,
      snapshot: e.CODITECT_RATE_LIMIT_SNAPSHOT,
      sessionCreate: e.CODITECT_RATE_LIMIT_SESSION_CREATE,
      workspaceOpen: e.CODITECT_RATE_LIMIT_WORKSPACE_OPEN,
    },
    metrics: { listen: e.CODITECT_METRICS_LISTEN ?? undefined, token: e.CODITECT_METRICS_TOKEN },
    trustProxy: parseTrustProxy(e.CODITECT_TRUST_PROXY),
    logLevel: e.CODITECT_LOG_LEVEL,
    webDir: e.CODITECT_WEB_DIR ? path.resolve(e.CODITECT_WEB_DIR) : undefined,
    docs: e.CODITECT_DOCS,
    corsOrigins: e.CODITECT_CORS_ORIGINS.split(',').map((o) => o.trim()).filter(Boolean),
    egress: { allow: e.CODITECT_EGRESS_ALLOW },
    storage: {
      quotaBytes: e.CODITECT_STORAGE_QUOTA,
      quotaSlackBytes: e.CODITECT_STORAGE_QUOTA_SLACK,
      maxFileBytes: e.CODITECT_MAX_FILE_SIZE,
      minFreeBytes: e.CODITECT_STORAGE_MIN_FREE,
      blobs: parseBlobs(e, dataDir),
      snapshotIntervalMs: e.CODITECT_SNAPSHOT_INTERVAL_SECONDS * 1000,
      syncIntervalMs: Math.round(e.CODITECT_SYNC_INTERVAL_SECONDS * 1000),
    },
    workspaces: {
      ideAppDir: e.CODITECT_IDE_APP_DIR ? path.resolve(e.CODITECT_IDE_APP_DIR) : undefined,
      runDir: path.resolve(e.CODITECT_WORKSPACE_RUN_DIR ?? path.join(os.tmpdir(), `coditect-run-${process.getuid?.() ?? 0}`)),
      idleTimeoutMs: Math.round(e.CODITECT_WORKSPACE_IDLE_MINUTES * 60_000),
      maxRunning: e.CODITECT_MAX_WORKSPACES,
      maxPerTenant: e.CODITECT_MAX_WORKSPACES_PER_TENANT,
      tokenTtlSeconds: e.CODITECT_WORKSPACE_TOKEN_TTL_SECONDS,
      originPattern: e.CODITECT_WORKSPACE_ORIGIN,
      secureCookies: e.CODITECT_SECURE_COOKIES,
      dangerouslyUnsandboxed: e.CODITECT_DANGEROUS_UNSANDBOXED_WORKSPACES,
      limits: Object.freeze({
        cpus: e.CODITECT_WORKSPACE_CPUS,
        memoryBytes: e.CODITECT_WORKSPACE_MEMORY,
        swapBytes: e.CODITECT_WORKSPACE_SWAP,
        pids: e.CODITECT_WORKSPACE_PIDS,
        tmpBytes: e.CODITECT_WORKSPACE_TMP_SIZE,
      }),
      cgroupRoot: e.CODITECT_CGROUP_ROOT ? path.resolve(e.CODITECT_CGROUP_ROOT) : undefined,
      dangerouslyUnlimited: e.CODITECT_DANGEROUS_UNLIMITED_WORKSPACES,
      runtime: e.CODITECT_WORKSPACE_RUNTIME,
      runscPath: e.CODITECT_RUNSC_PATH ? path.resolve(e.CODITECT_RUNSC_PATH) : undefined,
      nodeId: e.CODITECT_NODE_ID ?? `${os.hostname()}:${e.PORT}`,
      nodeUrl: e.CODITECT_NODE_URL,
      placementTtlMs: e.CODITECT_PLACEMENT_TTL_SECONDS * 1000,
    },
    llm: {
      masterKey: e.CODITECT_LLM_MASTER_KEY,
      providers: {
        anthropic: { apiKey: e.CODITECT_LLM_ANTHROPIC_API_KEY, baseUrl: e.CODITECT_LLM_ANTHROPIC_BASE_URL },
        openai: { apiKey: e.CODITECT_LLM_OPENAI_API_KEY, baseUrl: e.CODITECT_LLM_OPENAI_BASE_URL },
        google: { apiKey: e.CODITECT_LLM_GOOGLE_API_KEY, baseUrl: e.CODITECT_LLM_GOOGLE_BASE_URL },
        xai: { apiKey: e.CODITECT_LLM_XAI_API_KEY, baseUrl: e.CODITECT_LLM_XAI_BASE_URL },
        'openai-compatible': { apiKey: e.CODITECT_LLM_OPENAI_COMPATIBLE_API_KEY,
          baseUrl: e.CODITECT_LLM_OPENAI_COMPATIBLE_BASE_URL },
        ollama: { baseUrl: e.CODITECT_LLM_OLLAMA_BASE_URL },
        lmstudio: { baseUrl: e.CODITECT_LLM_LMSTUDIO_BASE_URL },
      },
      localModelPath: e.CODITECT_LLM_LOCAL_MODEL_PATH ? path.resolve(e.CODITECT_LLM_LOCAL_MODEL_PATH) : undefined,
      firstTokenTimeoutMs: e.CODITECT_LLM_FIRST_TOKEN_TIMEOUT_MS,
      idleTimeoutMs: e.CODITECT_LLM_IDLE_TIMEOUT_MS,
      maxRetries: e.CODITECT_LLM_MAX_RETRIES,
      retryBaseMs: e.CODITECT_LLM_RETRY_BASE_MS,
      retryMaxWaitMs: e.CODITECT_LLM_RETRY_MAX_WAIT_MS,
      fallbacks: parseFallbacks(e.CODITECT_LLM_FALLBACKS),
    },
  });
}
