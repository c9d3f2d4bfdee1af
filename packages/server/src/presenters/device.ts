import type { Device } from '@coditect/contract';
import type { AuthSessionRow } from '../store/repositories/auth-sessions.js';

export function presentDevice(row: AuthSessionRow, currentSessionId: string): Device {
  return {
    id: row.id,
    ip: row.ip,
    userAgent: row.user_agent,
    createdAt: row.created_at,
    lastUsedAt: row.last_used_at,
    current: row.id === currentSessionId,
  };
}
