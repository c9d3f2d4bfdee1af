import type { IncomingMessage } from 'node:http';
import type { Deps } from '../deps.js';

/** The workspace origin's cookie: host-only (no Domain), HttpOnly, holding a workspace token for that one session. */
export const WORKSPACE_COOKIE = 'coditect_ws';

/**
 * Attributes of every cookie on a workspace origin (ours and Theia's, re-scoped): host-only,
 * whole origin, HttpOnly. Where it can be Secure it is `SameSite=None; Partitioned`, so it works
 * in the app's cross-site iframe with third-party cookies blocked (CHIPS: keyed by the app's
 * site); otherwise (plain http on a non-localhost name, development only) `SameSite=Lax`.
 */
export function workspaceCookieAttributes(deps: Deps, maxAgeSeconds?: number): string {
  const attrs = ['Path=/', 'HttpOnly'];
  if (maxAgeSeconds !== undefined) attrs.push(`Max-Age=${maxAgeSeconds}`);
  attrs.push(...(deps.workspaces.origins.secure ? ['Secure', 'SameSite=None', 'Partitioned'] : ['SameSite=Lax']));
  return attrs.join('; ');
}

/** Set-Cookie value of the workspace cookie holding `token`. */
export function workspaceCookie(deps: Deps, token: string): string {
  return `${WORKSPACE_COOKIE}=${token}; ${workspaceCookieAttributes(deps, deps.workspaces.cookieTokens.ttlSeconds)}`;
}

/** The value of the workspace cookie on a raw request, if any. */
export function readWorkspaceCookie(req: IncomingMessage): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === WORKSPACE_COOKIE) return part.slice(eq + 1).trim();
  }
  return undefined;
}
