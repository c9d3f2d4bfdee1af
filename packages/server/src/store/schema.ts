

/**
 * Row shapes as Kysely sees them. Engine differences (boolean vs integer,
 * jsonb vs text) are normalised in the repositories: booleans are written as
 * 0/1 and JSON as strings; reads accept both forms.
 */
type Bool = number | boolean;
type Json = string | object;
type Ts = string;

export interface TenantsTable {
  id: string;
  name: string;
  type: 'self' | 'organization';
  plan: string;
  created_at: Ts;
}

export interface UsersTable {
  tenant_id: string;
  id: string;
  email: string;
  password_hash: string;
  first_name: string;
  last_name: string;
  company: string | null;
  phone: string | null;
  address_line1: string | null;
  address_line2: string | null;
  city: string | null;
  state: string | null;
  postal_code: string | null;
  country: string | null;
  metadata: Json;
  roles: Json;
  is_active: Bool;
  email_verified: Bool;
  created_at: Ts;
  updated_at: Ts;
  last_login_at: Ts | null;
}

export interface AuthSessionsTable {
  tenant_id: string;
  id: string;
  user_id: string;
  is_active: Bool;
  ip: string | null;
  user_agent: string | null;
  created_at: Ts;
  last_used_at: Ts;
  /** Absolute end of this login: the refresh-token lifetime. */
  expires_at: Ts;
  revoked_at: Ts | null;
  revoked_reason: string | null;
}

/** Every refresh token ever issued for a session (hash only), to detect replay. */
export interface RefreshTokensTable {
  tenant_id: string;
  token_hash: string;
  session_id: string;
  created_at: Ts;
  used_at: Ts | null;
}

export interface WorkspaceSessionsTable {
  tenant_id: string;
  id: string;
  user_id: string;
  name: string;
  active_files: Json;
  state: Json;
  parent_session_id: string | null;
  created_at: Ts;
  updated_at: Ts;
  last_opened_at: Ts | null;
}

export interface BlobsTable {
  tenant_id: string;
  hash: string;
  /** bigint: a string on PostgreSQL, a number on SQLite; read with Number(). */
  size: number | string;
  created_at: Ts;
}

export interface SnapshotsTable {
  tenant_id: string;
  id: string;
  session_id: string;
  manifest_hash: string;
  file_count: number;
  total_bytes: number | string;
  new_bytes: number | string;
  reason: 'manual' | 'auto' | 'stop' | 'sync';
  label: string | null;
  created_at: Ts;
}

export interface WorkspaceUsageTable {
  tenant_id: string;
  session_id: string;
  used_bytes: number | string;
}

export interface TenantUsageTable {
  tenant_id: string;
  used_bytes: number | string;
}

/** Fixed-window counters shared by all nodes. */
export interface RateLimitsTable {
  key: string;
  count: number;
  reset_at: Ts;
}

/** Which node runs a session's IDE, while that node keeps renewing it. */
export interface WorkspacePlacementsTable {
  tenant_id: string;
  session_id: string;
  node_id: string;
  node_url: string;
  expires_at: Ts;
}

/** A workspace ticket that was redeemed (single use across nodes). */
export interface WorkspaceTicketUsesTable {
  tenant_id: string;
  jti: string;
  expires_at: Ts;
}

export interface Database {
  tenants: TenantsTable;
  users: UsersTable;
  auth_sessions: AuthSessionsTable;
  refresh_tokens: RefreshTokensTable;
  workspace_sessions: WorkspaceSessionsTable;
  rate_limits: RateLimitsTable;
  workspace_placements: WorkspacePlacementsTable;
  workspace_ticket_uses: WorkspaceTicketUsesTable;
  blobs: BlobsTable;
  snapshots: SnapshotsTable;
  workspace_usage: WorkspaceUsageTable;
  tenant_usage: TenantUsageTable;
}

