import type { WorkspaceSession, WorkspaceStatus } from '@coditect/contract';
import { readJson } from '../store/database.js';
import type { WorkspaceSessionRow } from '../store/repositories/workspace-sessions.js';

/** A session row with whether its IDE runs now (the caller asks the runner and the placements). */
export function presentWorkspaceSession(row: WorkspaceSessionRow, workspaceStatus: WorkspaceStatus): WorkspaceSession {
  return {
    id: row.id,
    tenantId: row.tenant_id,
    userId: row.user_id,
    name: row.name,
    activeFiles: readJson(row.active_files),
    state: readJson(row.state),
    parentSessionId: row.parent_session_id,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    lastOpenedAt: row.last_opened_at,
    workspaceStatus,
  };
}
