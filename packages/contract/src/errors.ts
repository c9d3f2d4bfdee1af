import { z } from 'zod';

/**
 * Stable, snake_case error codes. Clients branch on these; never rename one.
 * Each code has exactly one HTTP status.
 */
export const ErrorCodes = {
  validation_failed: 400,
  weak_password: 400,
  invalid_json: 400,
  bad_request: 400,
  invalid_path: 400,
  symlink_not_followed: 400,
  missing_token: 401,
  invalid_token: 401,
  token_expired: 401,
  session_revoked: 401,
  invalid_credentials: 401,
  refresh_token_reused: 401,
  invalid_current_password: 403,
  cross_origin_refused: 403,
  account_disabled: 403,
  insufficient_scope: 403,
  budget_exceeded: 402,
  not_found: 404,
  route_not_found: 404,
  model_not_found: 404,
  method_not_allowed: 405,
  email_taken: 409,
  conflict: 409,
  provider_not_configured: 409,
  egress_denied: 422,
  precondition_failed: 412,
  payload_too_large: 413,
  quota_exceeded: 413,
  file_too_large: 413,
  unsupported_media_type: 415,
  range_not_satisfiable: 416,
  rate_limited: 429,
  workspace_limit: 429,
  internal_error: 500,
  upstream_error: 502,
  upstream_auth_failed: 502,
  upstream_rejected: 502,
  upstream_unreachable: 502,
  service_unavailable: 503,
  workspace_capacity: 503,
  workspace_sandbox_unavailable: 503,
  workspace_limits_unavailable: 503,
  workspace_runtime_unavailable: 503,
  workspace_start_failed: 502,
  workspace_unavailable: 502,
  upstream_timeout: 504,
  /** The server's disk (workspace files, blobs) is full: nothing was written, reads still work. */
  insufficient_storage: 507,
  /** The database's disk is full: the change was not saved. */
  database_full: 507,
  /** The database cannot be reached right now (sent with Retry-After). */
  database_unavailable: 503,
  /** The database is busy (locked by another writer, or a statement timed out); retry after Retry-After. */
  database_busy: 503,
} as const;

export type ErrorCode = keyof typeof ErrorCodes;

/** One field problem in a `validation_failed` error: `path` is dotted (`address.city`). */
export const FieldIssue = z.object({
  path: z.string().describe('Dotted path of the offending field; empty for the body itself'),
  message: z.string(),
  code: z.string().describe('Machine-readable reason, e.g. too_small, invalid_format'),
});
export type FieldIssue = z.infer<typeof FieldIssue>;

/** The body of every error response. */
export const ErrorBody = z.object({
  error: z.object({
    code: z.string().describe('Stable snake_case code from ErrorCodes'),
    message: z.string().describe('Human-readable, safe to show'),
    requestId: z.string(),
    details: z.unknown().optional(),
  }),
});
export type ErrorBody = z.infer<typeof ErrorBody>;
