import path from 'node:path';

/**
 * Where a session's files live on this node: `{dataDir}/workspaces/{tenantId}/{sessionId}`.
 * The files API, the IDE runner and snapshots all resolve the same directory here.
 * Both ids are server-generated UUIDs; anything else is refused so a path can never escape.
 */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export function workspaceDir(dataDir: string, tenantId: string, sessionId: string): string {
  if (!UUID.test(tenantId) || !UUID.test(sessionId)) throw new Error('workspace ids must be UUIDs');
  return path.join(dataDir, 'workspaces', tenantId, sessionId);
}
