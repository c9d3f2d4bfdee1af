import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import path from 'node:path';
import { jwtVerify, SignJWT } from 'jose';
import type { Logger } from 'pino';
import { WorkspaceTickets } from '../auth/workspace-tickets.js';
import { WorkspaceTokens } from '../auth/workspace-tokens.js';
import type { Config } from '../config/config.js';
import type { Store } from '../store/database.js';
import { recordRunningUsage, sessionDiskUsage, tenantUsage } from '../store/repositories/workspace-storage.js';
import type { CgroupAvailability } from './cgroups/cgroup-types.js';
import { detectCgroups } from './cgroups/detect-cgroups.js';
import { presentWorkspaceUsage, type WorkspaceUsageReport } from './usage/present-usage.js';
import { WorkspaceUsageMonitor } from './usage/usage-monitor.js';
import { WorkspacePlacements } from './placements.js';
import { WorkspaceOrigins } from './workspace-origins.js';
import { workspaceDir } from './workspace-paths.js';
import { WorkspaceRunner, type WorkspaceStatus } from './workspace-runner.js';
import type { WorkspaceProcess } from './workspace-process.js';

/** Requests that arrived through a workspace's own API socket carry its session id here. */
export const ARRIVED_VIA_WORKSPACE = Symbol('coditect.workspaceSocket');
type TaggedRequest = IncomingMessage & { [ARRIVED_VIA_WORKSPACE]?: string };

/** The session whose API socket this request came through; undefined for the public port. */
export const arrivedViaWorkspace = (request: IncomingMessage): string | undefined => (request as TaggedRequest)[ARRIVED_VIA_WORKSPACE];

/** Prefix of a workspace API token, so the authenticator can tell it from other tokens. */
export const WORKSPACE_TOKEN_PREFIX = 'cdw_';

/** A ticket (the link `open` answers) must be used within this long, and only once. */
const TICKET_TTL_SECONDS = 60;

/** Inside the sandbox the relay forwards this loopback port to `{runDir}/api.sock`. */
const SANDBOX_API_URL = 'http://127.0.0.1:3001';

export interface WorkspaceCaller {
  tenantId: string;
  userId: string;
  workspaceId: string;
}

/** Who opened a workspace: the auth session (login) whose life its token shares. */
export interface WorkspaceOpener extends WorkspaceCaller {
  authSessionId: string;
}

/** A verified workspace token: the workspace, and the logins that opened this instance (its token lives while one does). */
export interface VerifiedWorkspaceToken extends WorkspaceCaller {
  openedBy: string[];
}

/**
 * This node's workspaces: the runner of sandboxed IDE backends, the API socket
 * each one talks to, and the token its backend (and the `coditect` CLI in its
 * terminal) uses. Such a token is valid only while that very instance runs and
 * only on requests arriving through that instance's socket: it is useless
 * anywhere else and dies with the workspace.
 */
export class WorkspaceHost {
  readonly runner: WorkspaceRunner;
  /** Tokens of the workspace origin's cookie (the browser side). */
  readonly cookieTokens: WorkspaceTokens;
  /** One-time links that open a workspace origin (exchanged there for its cookie). */
  readonly tickets: WorkspaceTickets;
  /** Where each workspace's IDE is served: an origin of its own. */
  readonly origins: WorkspaceOrigins;
  /** Which node runs which workspace (shared through the database). */
  readonly placements: WorkspacePlacements;
  /** CPU, memory and disk samples of the running workspaces; enforces the disk quota. */
  readonly usage: WorkspaceUsageMonitor;
  private cgroups: Promise<CgroupAvailability> | undefined;
  private readonly tenantOf = new Map<string, string>();
  private nodeUrl = '';
  private readonly nonces = new Map<string, string>();
  /** privilege: auth sessions that opened each running instance; its token dies when all of them have ended. */
  private readonly openers = new Map<string, Set<string>>();
  /** privilege: conversations each running instance started; the only ones its token may continue. */
  private readonly conversations = new Map<string, Set<string>>();
  private readonly apiServers = new Map<string, http.Server>();
  private router: ((req: IncomingMessage, res: ServerResponse) => void) | undefined;
  private readonly audience: string;

  constructor(
    private readonly config: Config,
    private readonly secret: Uint8Array,
    private readonly log: Logger,
    private readonly store: Store,
  ) {
    this.placements = new WorkspacePlacements(store, config.workspaces.nodeId, () => this.nodeUrl, config.workspaces.placementTtlMs);
    this.audience = `${config.jwt.audience}:workspace-api`;
    this.cookieTokens = new WorkspaceTokens({ secret, issuer: config.jwt.issuer, audience: config.jwt.audience,
      ttlSeconds: config.workspaces.tokenTtlSeconds });
    this.tickets = new WorkspaceTickets({ secret, issuer: config.jwt.issuer, audience: config.jwt.audience, ttlSeconds: TICKET_TTL_SECONDS });
    this.origins = new WorkspaceOrigins(config.workspaces.originPattern, config.port);
    const ws = config.workspaces;
    this.runner = new WorkspaceRunner({
      runRoot: ws.runDir,
      ...(ws.ideAppDir ? { ideAppDir: ws.ideAppDir } : {}),
      logger: log,
      idleTimeoutMs: ws.idleTimeoutMs,
      maxRunning: ws.maxRunning,
      dangerouslyAllowUnsandboxed: ws.dangerouslyUnsandboxed,
      limits: ws.limits,
      cgroups: { limits: ws.limits, cgroups: () => this.cgroupAvailability(), dangerouslyUnlimited: ws.dangerouslyUnlimited },
      runtime: ws.runtime,
      ...(ws.runscPath ? { runscPath: ws.runscPath } : {}),
      beforeStart: (id, runDir) => this.listenApiSocket(id, runDir),
      afterExit: (id) => this.retire(id),
      onCrash: (id, exit, output) => log.error({ sessionId: id, exit, output: output.slice(-10) }, 'workspace crashed; it restarts on the next open'),
    });
    const quotaBytes = config.storage.quotaBytes;
    this.usage = new WorkspaceUsageMonitor({
      slackBytes: config.storage.quotaSlackBytes,
      logger: log,
      stopWorkspace: (id) => this.runner.stop(id),
      account: {
        record: (tenantId, sessionId, bytes) => store.tenant(tenantId, async (tx) => {
          await recordRunningUsage(tx, tenantId, sessionId, bytes);
          return { tenantBytes: await tenantUsage(tx, tenantId), quotaBytes };
        }),
        total: async (tenantId) => ({ tenantBytes: await store.read(tenantId, (db) => tenantUsage(db, tenantId)), quotaBytes }),
      },
    });
  }

  /** Where workspace cgroups go, looked up once; logs loudly when workspaces will run unlimited. */
  private cgroupAvailability(): Promise<CgroupAvailability> {
    this.cgroups ??= detectCgroups({ root: this.config.workspaces.cgroupRoot }).then((a) => {
      if (a.ok) this.log.info({ cgroups: a.driver.describe }, 'workspace limits through cgroups');
      else this.log[this.config.workspaces.dangerouslyUnlimited ? 'warn' : 'error']({ reason: a.reason }, 'no writable cgroup: workspaces cannot be limited');
      return a;
    });
    return this.cgroups;
  }

  /** Where other nodes reach this one; known once the server listens. Drops what a previous run of this node left. */
  async setNodeUrl(listeningUrl: string): Promise<void> {
    this.nodeUrl = this.config.workspaces.nodeUrl ?? listeningUrl;
    this.origins.setListeningPort(Number(new URL(listeningUrl).port));
    await this.placements.releaseAll();
  }

  /** The HTTP router API-socket requests go to (the Fastify app's `routing`). */
  setRouter(router: (req: IncomingMessage, res: ServerResponse) => void): void {
    this.router = router;
  }

  status(workspaceId: string): WorkspaceStatus {
    return this.runner.status(workspaceId);
  }

  /** CPU, memory and process use of the session's IDE (when it runs here) and the disk it and its tenant occupy. */
  async usageOf(tenantId: string, workspaceId: string): Promise<WorkspaceUsageReport> {
    const running = this.runner.get(workspaceId);
    const sample = running ? this.usage.latest(workspaceId) : undefined;
    const cgroup = running ? sample?.cgroup ?? await this.runner.cgroup(workspaceId)?.usage().catch(() => undefined) : undefined;
    const disk = await this.store.read(tenantId, async (db) => ({
      session: await sessionDiskUsage(db, tenantId, workspaceId), tenant: await tenantUsage(db, tenantId),
    }));
    return presentWorkspaceUsage({
      cgroup, cpuPercent: sample?.cpuPercent, cpuLimit: cgroup ? this.config.workspaces.limits.cpus : undefined,
      sessionBytes: disk.session, tenantBytes: disk.tenant, quotaBytes: this.config.storage.quotaBytes,
      diskState: sample?.diskState ?? (this.usage.wasStoppedForQuota(workspaceId) ? 'stopped' : 'ok'),
    });
  }

  /** Starts (or joins the start of) the session's IDE; creates its directory on first open. */
  async open(caller: WorkspaceOpener): Promise<WorkspaceProcess> {
    const { tenantId, userId, workspaceId } = caller;
    this.tenantOf.set(workspaceId, tenantId);
    // privilege: the token lives while a login that opened this instance does.
    const openedBy = this.openers.get(workspaceId) ?? new Set<string>();
    openedBy.add(caller.authSessionId);
    this.openers.set(workspaceId, openedBy);
    let nonce = this.nonces.get(workspaceId);
    if (!nonce) {
      nonce = randomUUID();
      this.nonces.set(workspaceId, nonce);
    }
    const token = WORKSPACE_TOKEN_PREFIX + await new SignJWT({ tid: tenantId, wid: workspaceId, nonce, typ: 'workspace-api' })
      .setProtectedHeader({ alg: 'HS256' }).setSubject(userId).setIssuer(this.config.jwt.issuer)
      .setAudience(this.audience).setIssuedAt().sign(this.secret);
    const dir = workspaceDir(this.config.dataDir, tenantId, workspaceId);
    const homeDir = path.join(this.config.dataDir, 'workspace-homes', tenantId, workspaceId);
    fs.mkdirSync(homeDir, { recursive: true });
    // No single file may outgrow what the tenant has left (+ slack); the monitor watches the total.
    const used = await this.store.read(tenantId, (db) => tenantUsage(db, tenantId));
    const fileSizeLimitBytes = Math.max(0, this.config.storage.quotaBytes - used) + this.config.storage.quotaSlackBytes;
    const proc = await this.runner.ensureRunning(workspaceId, {
      workspaceDir: dir,
      homeDir,
      fileSizeLimitBytes,
      env: { CODITECT_API_URL: SANDBOX_API_URL, CODITECT_API_TOKEN: token, CODITECT_SESSION_ID: workspaceId },
    });
    if (proc.running) {
      this.usage.track({ tenantId, sessionId: workspaceId, pid: proc.pid, workspaceDir: dir, homeDir,
        extraDirs: [this.runner.runDir(workspaceId)], cgroup: this.runner.cgroup(workspaceId) });
    }
    return proc;
  }

  async stop(workspaceId: string): Promise<void> {
    await this.runner.stop(workspaceId);
  }

  /** Verifies a workspace API token presented on `request`; undefined when it is not valid here and now. */
  async verifyApiToken(request: IncomingMessage, token: string): Promise<VerifiedWorkspaceToken | undefined> {
    const via = (request as TaggedRequest)[ARRIVED_VIA_WORKSPACE];
    if (!via || !token.startsWith(WORKSPACE_TOKEN_PREFIX)) return undefined;
    try {
      const { payload } = await jwtVerify(token.slice(WORKSPACE_TOKEN_PREFIX.length), this.secret, {
        algorithms: ['HS256'], issuer: this.config.jwt.issuer, audience: this.audience,
      });
      const { sub, tid, wid, nonce, typ } = payload;
      if (typ !== 'workspace-api' || wid !== via || typeof sub !== 'string' || typeof tid !== 'string') return undefined;
      if (!nonce || this.nonces.get(wid) !== nonce) return undefined;
      return { tenantId: tid, userId: sub, workspaceId: wid, openedBy: [...(this.openers.get(wid) ?? [])] };
    } catch {
      return undefined;
    }
  }

  /** privilege: records a conversation this running instance started through the gateway. */
  rememberConversation(workspaceId: string, conversationId: string): void {
    const set = this.conversations.get(workspaceId) ?? new Set<string>();
    set.add(conversationId);
    this.conversations.set(workspaceId, set);
  }

  /** privilege: whether this running instance started the conversation (others' history stays out of its reach). */
  startedConversation(workspaceId: string, conversationId: string): boolean {
    return this.conversations.get(workspaceId)?.has(conversationId) ?? false;
  }

  /** Stops every workspace and closes their sockets (server shutdown). */
  async close(): Promise<void> {
    this.usage.close();
    this.placements.close();
    await this.runner.stopAll();
    for (const id of [...this.apiServers.keys()]) await this.retire(id);
    await this.placements.releaseAll().catch(() => {});
  }

  private async listenApiSocket(workspaceId: string, runDir: string): Promise<void> {
    await this.closeApiSocket(workspaceId);
    const socketPath = path.join(runDir, 'api.sock');
    fs.rmSync(socketPath, { force: true });
    const server = http.createServer((req, res) => {
      (req as TaggedRequest)[ARRIVED_VIA_WORKSPACE] = workspaceId;
      if (!this.router) {
        res.writeHead(503).end();
        return;
      }
      this.router(req, res);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(socketPath, () => resolve());
    });
    this.apiServers.set(workspaceId, server);
  }

  private async closeApiSocket(workspaceId: string): Promise<void> {
    const server = this.apiServers.get(workspaceId);
    if (!server) return;
    this.apiServers.delete(workspaceId);
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** The instance is gone: its token stops working and its socket closes. */
  private async retire(workspaceId: string): Promise<void> {
    this.usage.untrack(workspaceId);
    this.nonces.delete(workspaceId);
    this.openers.delete(workspaceId);
    this.conversations.delete(workspaceId);
    await this.closeApiSocket(workspaceId);
    const tenantId = this.tenantOf.get(workspaceId);
    if (tenantId) {
      this.tenantOf.delete(workspaceId);
      await this.placements.release(tenantId, workspaceId).catch((err: unknown) =>
        this.log.warn({ err, workspaceId }, 'could not release the workspace placement'));
    }
  }
}
