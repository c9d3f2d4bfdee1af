import { CreateSnapshotRequest, DeleteFileQuery, FileEntry, FileListing, ListFilesQuery, MkdirRequest, MoveRequest,
  RestoreResult, Snapshot, SnapshotList, SnapshotParams, StorageUsage } from './files.js';
import { IdParams } from './users.js';
import { USER_ONLY, type Callers } from './callers.js';
import type { HttpMethod, RateLimitClass } from './endpoints.js';

/** The workspace's files: the user, and the workspace's own token for its own session (never another's). */
const OWN_FILES = { user: true, workspace: 'own-session' } as const satisfies Callers;

/**
 * The JSON endpoints of workspace files and snapshots (spread into `endpoints`).
 * Streaming endpoints (content GET/PUT, upload, archive) do not fit the JSON
 * table; they are `fileStreamEndpoints` below and documented in the README.
 */
export const fileEndpoints = {
  listFiles: { method: 'GET', path: '/sessions/:id/files', tag: 'sessions', callers: OWN_FILES, status: 200,
    params: IdParams, query: ListFilesQuery, response: FileListing,
    summary: 'List a folder of the workspace (or, with recursive, its whole tree; paginated)' },
  makeDirectory: { method: 'POST', path: '/sessions/:id/files/mkdir', tag: 'sessions', callers: OWN_FILES, status: 201,
    params: IdParams, body: MkdirRequest, response: FileEntry, summary: 'Create a folder' },
  moveFile: { method: 'POST', path: '/sessions/:id/files/move', tag: 'sessions', callers: OWN_FILES, status: 204,
    params: IdParams, body: MoveRequest, summary: 'Rename or move a file or folder' },
  deleteFile: { method: 'DELETE', path: '/sessions/:id/files', tag: 'sessions', callers: OWN_FILES, status: 204,
    params: IdParams, query: DeleteFileQuery, summary: 'Delete a file, or a folder (non-empty only with recursive)' },
  storageUsage: { method: 'GET', path: '/storage/usage', tag: 'sessions', callers: USER_ONLY, status: 200,
    response: StorageUsage, summary: "Workspace bytes used by the caller's tenant against its quota" },
  createSnapshot: { method: 'POST', path: '/sessions/:id/snapshots', tag: 'sessions', callers: USER_ONLY,
    rateLimit: 'snapshot', status: 201,
    params: IdParams, body: CreateSnapshotRequest, response: Snapshot,
    summary: 'Snapshot the workspace into the blob store (deduplicated per tenant)' },
  listSnapshots: { method: 'GET', path: '/sessions/:id/snapshots', tag: 'sessions', callers: USER_ONLY, status: 200,
    params: IdParams, response: SnapshotList, summary: 'Snapshots of a session, newest first' },
  restoreSnapshot: { method: 'POST', path: '/sessions/:id/snapshots/:snapshotId/restore', tag: 'sessions', callers: USER_ONLY,
    rateLimit: 'snapshot',
    status: 200, params: SnapshotParams, response: RestoreResult,
    summary: 'Restore the workspace in place to a snapshot of this session' },
} as const;

/** An endpoint outside the JSON table (raw bodies, binary or foreign-shaped responses): only where it is and who may call it. */
export interface PlainEndpoint {
  method: HttpMethod;
  /** Path below API_PREFIX, Fastify style. */
  path: string;
  callers: Callers;
  rateLimit?: RateLimitClass;
}

/** Streaming endpoints, registered as plain routes (raw bodies, binary responses). */
export const fileStreamEndpoints = {
  readContent: { method: 'GET', path: '/sessions/:id/files/content', callers: OWN_FILES },
  writeContent: { method: 'PUT', path: '/sessions/:id/files/content', callers: OWN_FILES },
  upload: { method: 'POST', path: '/sessions/:id/files/upload', callers: OWN_FILES },
  archive: { method: 'GET', path: '/sessions/:id/files/archive', callers: OWN_FILES },
} as const satisfies Record<string, PlainEndpoint>;
