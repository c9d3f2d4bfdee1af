import { randomUUID } from 'node:crypto';
import path from 'node:path';
import type {
  CreateSessionRequest, ListSessionsQuery, SessionPage, UpdateSessionRequest, WorkspaceSession, WorkspaceStatus,
} from '@coditect/contract';
import type { Deps } from '../deps.js';
import { removeTree } from '../files/beneath/remove.js';
import { AppError, notFound } from '../http/app-error.js';
import type { AuthContext } from '../http/authenticate.js';
import { presentWorkspaceSession } from '../presenters/workspace-session.js';
import { json } from '../store/database.js';
import {
  deleteWorkspaceSession, findWorkspaceSession, insertWorkspaceSession, listWorkspaceSessions,
  updateWorkspaceSession, type SessionCursor, type WorkspaceSessionChanges,
} from '../store/repositories/workspace-sessions.js';
import { clearSessionUsage, type SnapshotRow } from '../store/repositories/workspace-storage.js';
import { getSnapshot, materializeWorkspace, snapshotWorkspace } from '../storage/snapshots.js';
import { ensureWorkspaceDir } from '../storage/workspace-dir.js';
import { workspaceDir } from '../workspaces/workspace-paths.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Workspace sessions belong to the tenant; another tenant's id answers 404, never 403. */

/**
 * A workspace's own token may read and update only its own session (the IDE's
 * session sync); anything else looks absent to it.
 */
function assertReachable(auth: AuthContext, id?: string): void {
  if (auth.workspaceSessionId !== undefined && auth.workspaceSessionId !== id) throw notFound('Session');
}

/**
 * Creates a session; with `fromSnapshot` or `forkOf` its workspace starts as
 * that snapshot's files (a fork snapshots the source first) and
 * `parentSessionId` names where it came from. The files are in place before
 * the session row is visible; a failure leaves neither.
 */
export async function createWorkspaceSession(deps: Deps, auth: AuthContext, input: CreateSessionRequest): Promise<WorkspaceSession> {
  assertReachable(auth);
  const at = deps.now().toISOString();
  const id = randomUUID();
  let source: SnapshotRow | undefined;
  if (input.fromSnapshot) {
    source = UUID.test(input.fromSnapshot) ? await getSnapshot(deps, auth.tenantId, input.fromSnapshot).catch(() => undefined) : undefined;
    if (!source) throw notFound('Snapshot');
  } else if (input.forkOf) {
    const parent = UUID.test(input.forkOf)
      ? await deps.store.tenant(auth.tenantId, (tx) => findWorkspaceSession(tx, auth.tenantId, input.forkOf!)) : undefined;
    if (!parent) throw notFound('Session');
    await ensureWorkspaceDir(deps, auth.tenantId, parent.id);
    source = await snapshotWorkspace(deps, auth.tenantId, parent.id, { reason: 'manual', label: `fork → ${id}` });
  }
  const row = {
    tenant_id: auth.tenantId,
    id,
    user_id: auth.userId,
    name: input.name,
    active_files: json(input.activeFiles ?? []),
    state: json({}),
    parent_session_id: source?.session_id ?? null,
    created_at: at,
    updated_at: at,
    last_opened_at: null,
  };
  if (source) await materializeWorkspace(deps, auth.tenantId, id, source, { chargeQuota: true });
  try {
    await deps.store.tenant(auth.tenantId, (tx) => insertWorkspaceSession(tx, row));
  } catch (err) {
    if (source) await removeTree(workspaceDir(deps.config.dataDir, auth.tenantId, id));
    throw err;
  }
  return presentWorkspaceSession(row, 'stopped');
}

/** Each session's IDE state: this node's runner first, then the placements of live nodes (one query). */
async function workspaceStatuses(deps: Deps, tenantId: string): Promise<(id: string) => WorkspaceStatus> {
  const elsewhere = await deps.workspaces.placements.liveElsewhere(tenantId);
  return (id) => {
    const here = deps.workspaces.status(id);
    return here !== 'stopped' ? here : elsewhere.has(id) ? 'running' : 'stopped';
  };
}

export async function getWorkspaceSession(deps: Deps, auth: AuthContext, id: string): Promise<WorkspaceSession> {
  assertReachable(auth, id);
  const row = await deps.store.read(auth.tenantId, (db) => findWorkspaceSession(db, auth.tenantId, id));
  if (!row) throw notFound('Session');
  return presentWorkspaceSession(row, (await workspaceStatuses(deps, auth.tenantId))(id));
}

const encodeCursor = (c: SessionCursor) => Buffer.from(JSON.stringify([c.createdAt, c.id])).toString('base64url');

function decodeCursor(cursor: string): SessionCursor {
  try {
    const [createdAt, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown[];
    if (typeof createdAt === 'string' && typeof id === 'string') return { createdAt, id };
  } catch {
    // fall through
  }
  throw new AppError('validation_failed', 'Invalid cursor', {
    details: [{ path: 'cursor', message: 'Not a cursor returned by this endpoint', code: 'invalid_cursor' }],
  });
}

export async function listSessions(deps: Deps, auth: AuthContext, query: ListSessionsQuery): Promise<SessionPage> {
  if (auth.workspaceSessionId) {
    return { items: [await getWorkspaceSession(deps, auth, auth.workspaceSessionId)], nextCursor: null };
  }
  const after = query.cursor ? decodeCursor(query.cursor) : undefined;
  // One extra row tells whether another page exists.
  const rows = await deps.store.read(auth.tenantId, (db) =>
    listWorkspaceSessions(db, auth.tenantId, query.limit + 1, after));
  const page = rows.slice(0, query.limit);
  const last = page.at(-1);
  const statusOf = await workspaceStatuses(deps, auth.tenantId);
  return {
    items: page.map((row) => presentWorkspaceSession(row, statusOf(row.id))),
    nextCursor: rows.length > query.limit && last ? encodeCursor({ createdAt: last.created_at, id: last.id }) : null,
  };
}

export async function updateSession(deps: Deps, auth: AuthContext, id: string, input: UpdateSessionRequest): Promise<WorkspaceSession> {
  assertReachable(auth, id);
  const changes: WorkspaceSessionChanges = { updated_at: deps.now().toISOString() };
  if (input.name !== undefined) changes.name = input.name;
  if (input.activeFiles !== undefined) changes.active_files = json(input.activeFiles);
  if (input.state !== undefined) changes.state = json(input.state);
  const row = await deps.store.tenant(auth.tenantId, async (tx) => {
    if (!(await updateWorkspaceSession(tx, auth.tenantId, id, changes))) return undefined;
    return findWorkspaceSession(tx, auth.tenantId, id);
  });
  if (!row) throw notFound('Session');
  return presentWorkspaceSession(row, (await workspaceStatuses(deps, auth.tenantId))(id));
}

export async function removeSession(deps: Deps, auth: AuthContext, id: string): Promise<void> {
  assertReachable(auth);
  const deleted = await deps.store.tenant(auth.tenantId, (tx) => deleteWorkspaceSession(tx, auth.tenantId, id));
  if (!deleted) throw notFound('Session');
  // The row is gone, so nothing can reach the files any more; stop the IDE and free the disk.
  await deps.workspaces.stop(id);
  // Its bytes (workspace and HOME) no longer count against the tenant's quota.
  await deps.store.tenant(auth.tenantId, (tx) => clearSessionUsage(tx, auth.tenantId, id));
  await Promise.all([
    workspaceDir(deps.config.dataDir, auth.tenantId, id),
    path.join(deps.config.dataDir, 'workspace-homes', auth.tenantId, id),
  ].map((dir) => removeTree(dir)));
}
