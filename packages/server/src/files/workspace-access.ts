import fs from 'node:fs/promises';
import path from 'node:path';
import type { Deps } from '../deps.js';
import { notFound } from '../http/app-error.js';
import type { AuthContext } from '../http/authenticate.js';
import { ensureWorkspaceDir } from '../storage/workspace-dir.js';
import { findWorkspaceSession } from '../store/repositories/workspace-sessions.js';
import { workspaceDir } from '../workspaces/workspace-paths.js';

/** A session's workspace, checked to belong to the caller's tenant and present on disk. */
export interface Workspace {
  tenantId: string;
  sessionId: string;
  /**
   * Path of the workspace root, made by the server. Only ever opened as a
   * directory descriptor (./beneath/) from which every entry is looked up.
   */
  root: string;
  /** Where uploads are staged before their rename: outside every workspace, same filesystem. */
  tmp: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Staging folder of a tenant's writes (a sibling of its workspaces; never a session id). */
export const tenantStagingDir = (dataDir: string, tenantId: string, sessionId: string) =>
  path.join(path.dirname(workspaceDir(dataDir, tenantId, sessionId)), '.staging');

/** The lock key of one entry of a workspace (writes, moves and deletes of the same path take turns). */
export const entryLockKey = (ws: Workspace, segments: string[]): string => `${ws.root}/${segments.join('/')}`;

/**
 * Opens the session's workspace for the files API: another tenant's (or an
 * unknown) session is a 404; a workspace whose directory is gone comes back
 * from its latest snapshot first.
 */
export async function openWorkspace(deps: Deps, auth: AuthContext, sessionId: string): Promise<Workspace> {
  if (!UUID.test(sessionId)) throw notFound('Session');
  const row = await deps.store.tenant(auth.tenantId, (tx) => findWorkspaceSession(tx, auth.tenantId, sessionId));
  if (!row) throw notFound('Session');
  const { dir } = await ensureWorkspaceDir(deps, auth.tenantId, sessionId);
  // Whatever this request changes reaches the blob store within seconds (continuous sync).
  deps.storage.activity.touch(auth.tenantId, sessionId);
  const tmp = tenantStagingDir(deps.config.dataDir, auth.tenantId, sessionId);
  await fs.mkdir(tmp, { recursive: true });
  return { tenantId: auth.tenantId, sessionId, root: dir, tmp };
}
