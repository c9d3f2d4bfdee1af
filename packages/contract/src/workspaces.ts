import { z } from 'zod';

/** Where a session's IDE backend is on this deployment. */
export const WorkspaceStatus = z.enum(['stopped', 'starting', 'running']);
export type WorkspaceStatus = z.infer<typeof WorkspaceStatus>;

/** Answer of POST /sessions/{id}/open: load `url` (same origin) in an iframe; the cookie is already set. */
export const OpenWorkspaceResponse = z.object({
  url: z.string().describe('Path of the IDE, `/ws/{id}/`'),
  status: WorkspaceStatus,
});
export type OpenWorkspaceResponse = z.infer<typeof OpenWorkspaceResponse>;

export const WorkspaceStatusResponse = z.object({ status: WorkspaceStatus });
export type WorkspaceStatusResponse = z.infer<typeof WorkspaceStatusResponse>;
