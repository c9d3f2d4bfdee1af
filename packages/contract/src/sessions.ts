import { z } from 'zod';
import { Id, JsonObject, Timestamp } from './fields.js';
import { WorkspaceStatus } from './workspaces.js';

/** A workspace-relative file path as the IDE reports it. */
export const WorkspacePath = z.string().min(1).max(1024);

export const SessionName = z.string().trim().min(1, 'Required').max(100, 'Must be at most 100 characters');

/** A workspace session: a folder of files with its own IDE state. */
export const WorkspaceSession = z.object({
  id: Id,
  tenantId: Id,
  userId: Id,
  name: z.string(),
  activeFiles: z.array(z.string()),
  state: JsonObject.describe('IDE state: open editors, layout (owned by the IDE)'),
  parentSessionId: Id.nullable(),
  createdAt: Timestamp,
  updatedAt: Timestamp,
  lastOpenedAt: Timestamp.nullable(),
  workspaceStatus: WorkspaceStatus.describe("Whether the session's IDE is running now (on any node), starting or stopped"),
});
export type WorkspaceSession = z.infer<typeof WorkspaceSession>;

export const CreateSessionRequest = z.object({
  name: SessionName,
  activeFiles: z.array(WorkspacePath).max(500).optional(),
  /** Start from this snapshot (of any of the tenant's sessions); the new session's parent is the snapshot's session. */
  fromSnapshot: Id.optional(),
  /** Start as a copy of this session's current files (snapshotted first); it becomes the parent. */
  forkOf: Id.optional(),
}).refine((r) => !(r.fromSnapshot && r.forkOf), { message: 'Give fromSnapshot or forkOf, not both', path: ['forkOf'] });
export type CreateSessionRequest = z.infer<typeof CreateSessionRequest>;

export const UpdateSessionRequest = z.object({
  name: SessionName.optional(),
  activeFiles: z.array(WorkspacePath).max(500).optional(),
  state: JsonObject.optional(),
});
export type UpdateSessionRequest = z.infer<typeof UpdateSessionRequest>;

export const ListSessionsQuery = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(50),
  cursor: z.string().max(200).optional().describe('nextCursor from the previous page'),
});
export type ListSessionsQuery = z.infer<typeof ListSessionsQuery>;

export const SessionPage = z.object({
  items: z.array(WorkspaceSession),
  nextCursor: z.string().nullable(),
});
export type SessionPage = z.infer<typeof SessionPage>;
