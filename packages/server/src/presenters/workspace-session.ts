import type { WorkspaceSession } from '@coditect/contract';
import { readJson } from '../store/database.js';
import type { WorkspaceSessionRow } from '../store/repositories/workspace-sessions.js';

export function presentWorkspaceSession(row: WorkspaceSessionRow): WorkspaceSession {
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
  };
}
