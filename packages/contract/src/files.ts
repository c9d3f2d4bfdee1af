import { z } from 'zod';
import { Id, Timestamp } from './fields.js';

/**
 * Workspace files and snapshots. A path is always relative to the session's
 * workspace root, `/`-separated; the server rejects anything that could leave
 * the root (see the files API in the README).
 */

/** A workspace-relative path; `''` (or omitted) means the workspace root where a directory is meant. */
export const FilePath = z.string().max(4096).describe('Workspace-relative path, `/`-separated');

const flag = z.enum(['true', 'false', '1', '0', '']).transform((v) => v === 'true' || v === '1' || v === '');

/** One entry of a directory listing. Symlinks are reported, never followed. */
export const FileEntry = z.object({
  name: z.string(),
  /** Workspace-relative path of the entry. */
  path: z.string(),
  type: z.enum(['file', 'directory', 'symlink']),
  /** Bytes for files; 0 for directories and symlinks. */
  size: z.number().int(),
  mtime: Timestamp,
});
export type FileEntry = z.infer<typeof FileEntry>;

export const ListFilesQuery = z.object({
  path: FilePath.default(''),
  recursive: flag.optional().describe('Walk the whole subtree (depth-first, name order); paginated'),
  limit: z.coerce.number().int().min(1).max(10_000).default(1000),
  cursor: z.string().max(8192).optional().describe('nextCursor from the previous page (recursive listings)'),
});
export type ListFilesQuery = z.infer<typeof ListFilesQuery>;

export const FileListing = z.object({
  path: z.string(),
  items: z.array(FileEntry),
  nextCursor: z.string().nullable(),
});
export type FileListing = z.infer<typeof FileListing>;

/** `?path=` of the content, delete and archive endpoints. */
export const FilePathQuery = z.object({ path: FilePath });

export const ReadContentQuery = z.object({ path: FilePath.min(1) });

export const WriteContentQuery = z.object({
  path: FilePath.min(1),
  parents: flag.optional().describe('Create missing parent folders'),
});
export type WriteContentQuery = z.infer<typeof WriteContentQuery>;

export const DeleteFileQuery = z.object({
  path: FilePath.min(1),
  recursive: flag.optional().describe('Delete a non-empty directory with everything in it'),
});
export type DeleteFileQuery = z.infer<typeof DeleteFileQuery>;

export const UploadQuery = z.object({
  path: FilePath.default('').describe('Folder the uploaded files (and their sub-folders) go into'),
});

export const ArchiveQuery = z.object({
  path: FilePath.default(''),
  format: z.enum(['zip', 'tar.gz']).default('tar.gz'),
});
export type ArchiveQuery = z.infer<typeof ArchiveQuery>;

export const MkdirRequest = z.object({
  path: FilePath.min(1),
  parents: z.boolean().default(true).describe('Create missing parent folders (like mkdir -p)'),
});
export type MkdirRequest = z.infer<typeof MkdirRequest>;

export const MoveRequest = z.object({
  from: FilePath.min(1),
  to: FilePath.min(1),
  overwrite: z.boolean().default(false).describe('Replace an existing file at `to`'),
});
export type MoveRequest = z.infer<typeof MoveRequest>;

/** What a write (PUT content, upload) stored. */
export const WrittenFile = z.object({
  path: z.string(),
  size: z.number().int(),
  etag: z.string(),
});
export type WrittenFile = z.infer<typeof WrittenFile>;

export const UploadResult = z.object({ items: z.array(WrittenFile) });
export type UploadResult = z.infer<typeof UploadResult>;

/** Storage used by the caller's tenant (workspace files) against its quota. */
export const StorageUsage = z.object({
  usedBytes: z.number().int(),
  quotaBytes: z.number().int(),
  maxFileBytes: z.number().int(),
});
export type StorageUsage = z.infer<typeof StorageUsage>;

/**
 * Why a snapshot was taken. `sync` is the continuous recovery point of a
 * workspace (only the latest is kept, and it is not listed).
 */
export const SnapshotReason = z.enum(['manual', 'auto', 'stop', 'sync']);

/** A point-in-time copy of a workspace, stored as a manifest of content-addressed blobs. */
export const Snapshot = z.object({
  id: Id,
  sessionId: Id,
  reason: SnapshotReason,
  label: z.string().nullable(),
  fileCount: z.number().int(),
  totalBytes: z.number().int().describe('Bytes of all files in the snapshot'),
  newBytes: z.number().int().describe('Bytes this snapshot added to the blob store (0 when nothing changed)'),
  createdAt: Timestamp,
});
export type Snapshot = z.infer<typeof Snapshot>;

export const CreateSnapshotRequest = z.object({
  label: z.string().trim().max(200).optional(),
});
export type CreateSnapshotRequest = z.infer<typeof CreateSnapshotRequest>;

export const SnapshotList = z.object({ items: z.array(Snapshot) });
export type SnapshotList = z.infer<typeof SnapshotList>;

export const SnapshotParams = z.object({ id: Id, snapshotId: Id });

export const RestoreResult = z.object({
  snapshot: Snapshot,
  /** Files written (changed or missing), and entries removed (not in the snapshot). */
  written: z.number().int(),
  removed: z.number().int(),
});
export type RestoreResult = z.infer<typeof RestoreResult>;
