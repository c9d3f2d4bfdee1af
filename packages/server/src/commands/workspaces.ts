import type { OpenWorkspaceResponse, WorkspaceStatusResponse } from '@coditect/contract';
import type { Deps } from '../deps.js';
import { AppError, notFound } from '../http/app-error.js';
import type { AuthContext } from '../http/authenticate.js';
import { snapshotWorkspace } from '../storage/snapshots.js';
import { ensureWorkspaceDir } from '../storage/workspace-dir.js';
import { findWorkspaceSession, updateWorkspaceSession } from '../store/repositories/workspace-sessions.js';
import { WorkspaceStartError } from '../workspaces/workspace-process.js';

/** Opening, watching and stopping a session's IDE. Only the signed-in user (not a token) may do it. */

export async function assertOwnSession(deps: Deps, auth: AuthContext, id: string): Promise<void> {
  if (auth.workspaceSessionId !== undefined) throw notFound('Session');
  const row = await deps.store.read(auth.tenantId, (db) => findWorkspaceSession(db, auth.tenantId, id));
  if (!row) throw notFound('Session');
}

/** Maps the runner's failures to API errors with stable codes. */
function toAppError(err: unknown): AppError {
  const code = (err as { code?: string }).code;
  if (code === 'workspace_capacity' || code === 'workspace_sandbox_unavailable' || code === 'workspace_limits_unavailable'
    || code === 'workspace_runtime_unavailable') {
    return new AppError(code, (err as Error).message, { expected: true });
  }
  if (err instanceof WorkspaceStartError) {
    return new AppError('workspace_start_failed', 'The IDE failed to start; try again', { cause: err, expected: false });
  }
  return new AppError('service_unavailable', 'Workspaces are unavailable right now', { cause: err, expected: false });
}

/**
 * Claims the session's placement for this node, within the tenant's cap: one
 * tenant may run at most `maxPerTenant` workspaces across all nodes, so it
 * cannot take every IDE slot (racing opens never exceed it: see
 * WorkspacePlacements.claimWithinCap). A session already running always reopens.
 */
export async function claimWithinTenantCap(deps: Deps, tenantId: string, id: string): Promise<void> {
  const { placements } = deps.workspaces;
  const max = deps.config.workspaces.maxPerTenant;
  if (deps.workspaces.status(id) !== 'stopped') {
    await placements.claim(tenantId, id);
    return;
  }
  if (await placements.claimWithinCap(tenantId, id, max)) return;
  // The route may have claimed it already (to decide where the request goes): give it back.
  await placements.release(tenantId, id);
  throw new AppError('workspace_limit',
    `Your account already runs ${max} workspaces, the most allowed at once; stop one (or let an idle one stop) to open another`);
}

/** Path on a workspace origin that exchanges a ticket for that origin's cookie. */
export const TICKET_PATH = '/__coditect/ticket';

/** Starts the session's IDE and answers its origin with a single-use, short-lived ticket. */
export async function openWorkspace(deps: Deps, auth: AuthContext, id: string): Promise<OpenWorkspaceResponse> {
  await assertOwnSession(deps, auth, id);
  // A directory lost with its node comes back from the latest snapshot before the IDE sees it.
  const { restoredFrom } = await ensureWorkspaceDir(deps, auth.tenantId, id);
  // Claimed before starting (a forwarded request skips the route's claim), so other nodes send its traffic here.
  await claimWithinTenantCap(deps, auth.tenantId, id);
  try {
    await deps.workspaces.open({ tenantId: auth.tenantId, userId: auth.userId, workspaceId: id, authSessionId: auth.sessionId });
  } catch (err) {
    throw toAppError(err);
  }
  // The IDE's edits reach the blob store continuously while it runs here.
  deps.storage.activity.touch(auth.tenantId, id);
  const at = deps.now().toISOString();
  await deps.store.tenant(auth.tenantId, (tx) => updateWorkspaceSession(tx, auth.tenantId, id, { last_opened_at: at }));
  const ticket = await deps.workspaces.tickets.sign({ userId: auth.userId, tenantId: auth.tenantId, sessionId: auth.sessionId, workspaceId: id });
  return { url: `${deps.workspaces.origins.origin(id)}${TICKET_PATH}?t=${ticket}`, status: 'running',
    ...(restoredFrom ? { restoredFrom: restoredFrom.at } : {}) };
}

export async function workspaceStatus(deps: Deps, auth: AuthContext, id: string): Promise<WorkspaceStatusResponse> {
  await assertOwnSession(deps, auth, id);
  return { status: deps.workspaces.status(id), usage: await deps.workspaces.usageOf(auth.tenantId, id) };
}

export async function stopWorkspace(deps: Deps, auth: AuthContext, id: string): Promise<WorkspaceStatusResponse> {
  await assertOwnSession(deps, auth, id);
  const wasRunning = deps.workspaces.status(id) !== 'stopped';
  await deps.workspaces.stop(id);
  if (wasRunning) {
    // What the IDE wrote is kept in the blob store, so the session survives the loss of this node.
    await snapshotWorkspace(deps, auth.tenantId, id, { reason: 'stop', skipIfUnchanged: true }).catch((err: unknown) =>
      deps.log.error({ err, sessionId: id }, 'snapshot on stop failed'));
  }
  return { status: deps.workspaces.status(id) };
}
