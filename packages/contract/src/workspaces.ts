import { z } from 'zod';

/** Where a session's IDE backend is on this deployment. */
export const WorkspaceStatus = z.enum(['stopped', 'starting', 'running']);
export type WorkspaceStatus = z.infer<typeof WorkspaceStatus>;

/** Answer of POST /sessions/{id}/open: load `url` in an iframe within a minute; it works once. */
export const OpenWorkspaceResponse = z.object({
  url: z.string().describe("The IDE on the workspace's own origin with a single-use ticket, e.g. `https://{id}.ws.example.com/__coditect/ticket?t=…`"),
  status: WorkspaceStatus,
  restoredFrom: z.string().optional()
    .describe('Set when this open rebuilt the workspace on this node (its node was lost): the time of the recovery point it came back from'),
});
export type OpenWorkspaceResponse = z.infer<typeof OpenWorkspaceResponse>;

/** What a session's IDE uses now, and its limits. CPU, memory and process fields are null while it is stopped or unlimited. */
export const WorkspaceUsage = z.object({
  cpuSeconds: z.number().nullable().describe('CPU time the running IDE used since it started, in seconds'),
  cpuPercent: z.number().nullable().describe('CPU use over the last few seconds, in percent of one core'),
  cpuLimit: z.number().nullable().describe('Cores the workspace may use (1 = one full core)'),
  memoryBytes: z.number().nullable().describe('Memory in use now (processes, page cache and /tmp)'),
  memoryLimitBytes: z.number().nullable().describe('Memory limit; past it the kernel kills a process inside'),
  pids: z.number().int().nullable().describe('Processes and threads now'),
  pidsLimit: z.number().int().nullable().describe('Processes and threads allowed at once'),
  oomKills: z.number().int().nullable().describe('Processes killed inside for running out of memory since the IDE started'),
  diskBytes: z.number().describe('Disk this session occupies: its workspace folder and its HOME'),
  tenantDiskBytes: z.number().describe('Disk all sessions of the tenant occupy (what the quota counts)'),
  diskQuotaBytes: z.number().describe('The tenant\'s disk quota'),
  diskQuotaExceeded: z.boolean().describe('Over quota: writes inside the workspace fail until files are deleted'),
  diskState: z.enum(['ok', 'writes_blocked', 'stopped'])
    .describe('`writes_blocked`: over quota, writes fail inside; `stopped`: stopped for going past quota + slack'),
});
export type WorkspaceUsage = z.infer<typeof WorkspaceUsage>;

export const WorkspaceStatusResponse = z.object({
  status: WorkspaceStatus,
  usage: WorkspaceUsage.optional().describe('Resource use and limits (GET /sessions/{id}/status)'),
});
export type WorkspaceStatusResponse = z.infer<typeof WorkspaceStatusResponse>;
