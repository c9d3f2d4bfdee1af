import { z } from 'zod';

/** What a personal access token (`cdt_…`) may do. */
export const TokenScope = z.enum(['llm', 'sessions']);
export type TokenScope = z.infer<typeof TokenScope>;

/**
 * What a workspace's own token (`cdw_…`, held by the IDE backend and every
 * process in the workspace — assume an attacker) may reach:
 * - `own-session`: its own session only; another session id in the path answers 404;
 * - `gateway`: the LLM gateway, billed to the tenant within its budget.
 */
export type WorkspaceAccess = 'own-session' | 'gateway';

/**
 * Who may call an endpoint. Anything not listed is refused (403
 * `insufficient_scope`), so a new endpoint admits no token until someone
 * decides it should. Requests through a workspace's API socket reach only
 * endpoints that name `workspace`, whatever token they present.
 */
export type Callers =
  | { readonly public: true }
  | {
    readonly public?: false;
    /** A signed-in user's access token (JWT): the only caller that may change settings, keys, budgets, tokens or the account. */
    readonly user: boolean;
    /** A personal access token holding this scope (CLIs, SDKs). */
    readonly personalToken?: TokenScope;
    /** The workspace token, confined as described by WorkspaceAccess. */
    readonly workspace?: WorkspaceAccess;
  };

/** Anyone, without a token (health, sign-in). Not reachable through a workspace's socket. */
export const PUBLIC = { public: true } as const satisfies Callers;
/** Only a signed-in user's access token: settings, keys, budgets, tokens, the account, devices. */
export const USER_ONLY = { user: true } as const satisfies Callers;

/** Whether an endpoint's callers include anyone without a token. */
export const isPublic = (c: Callers): c is { public: true } => c.public === true;
