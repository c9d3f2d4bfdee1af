import path from 'node:path';
import type { Config } from '../config/config.js';
import type { BlobStore } from './blob-store.js';
import { KeyedLock } from './keyed-lock.js';
import { openBlobStore } from './open-blob-store.js';
import { WorkspaceActivity } from './workspace-activity.js';

/** The storage parts of a running server: the blob store and the per-path/per-session locks. */
export interface StorageRuntime {
  blobs: BlobStore;
  locks: KeyedLock;
  /** Workspaces being changed on this node (what the continuous sync watches). */
  activity: WorkspaceActivity;
  /** Scratch space on the data volume (same filesystem as workspaces, so renames are atomic). */
  stagingDir: string;
  close(): Promise<void>;
}

export function openStorage(config: Config): StorageRuntime {
  const blobs = openBlobStore(config.storage.blobs);
  return {
    blobs,
    locks: new KeyedLock(),
    activity: new WorkspaceActivity(),
    stagingDir: path.join(config.dataDir, 'tmp'),
    close: () => blobs.close(),
  };
}
