import { z } from 'zod';

/** Where a session's IDE backend is on this deployment. */
export const WorkspaceStatus = z.enum(['stopped', 'starting', 'running']);
export type WorkspaceStatus = z.infer<typeof WorkspaceStatus>;

/** Answer of POST /sessions/{id}/open: load `url` in an iframe within a minute; it works once. */
export const OpenWorkspaceResponse = z.object({
  url: z.string().describe("The IDE on the workspace's own origin with a single-use ticket, e.g. `https://{id}.ws.example.com/__coditect/ticket?t=…`"),
  status: WorkspaceStatus,
});
export type OpenWorkspaceResponse = z.infer<typeof OpenWorkspaceResponse>;

export const WorkspaceStatusResponse = z.object({ status: WorkspaceStatus });
export type WorkspaceStatusResponse = z.infer<typeof WorkspaceStatusResponse>;
