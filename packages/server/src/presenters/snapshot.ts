import type { Snapshot } from '@coditect/contract';
import type { SnapshotRow } from '../store/repositories/workspace-storage.js';

export function presentSnapshot(row: SnapshotRow): Snapshot {
  return {
    id: row.id,
    sessionId: row.session_id,
    reason: row.reason,
    label: row.label,
    fileCount: Number(row.file_count),
    totalBytes: Number(row.total_bytes),
    newBytes: Number(row.new_bytes),
    createdAt: row.created_at,
  };
}
