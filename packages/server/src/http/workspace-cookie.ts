import type { IncomingMessage } from 'node:http';
import type { FastifyReply } from 'fastify';
import type { WorkspaceClaims } from '../auth/workspace-tokens.js';
import type { Deps } from '../deps.js';

/** The IDE cookie: HttpOnly, SameSite=Strict and scoped to one workspace's path. */
export const WORKSPACE_COOKIE = 'coditect_ws';

export function workspaceCookie(deps: Deps, token: string, workspaceId: string): string {
  const attrs = [
    `${WORKSPACE_COOKIE}=${token}`,
    `Path=/ws/${workspaceId}/`,
    `Max-Age=${deps.workspaces.cookieTokens.ttlSeconds}`,
    'HttpOnly',
    'SameSite=Strict',
  ];
  if (deps.config.workspaces.secureCookies) attrs.push('Secure');
  return attrs.join('; ');
}

export async function setWorkspaceCookie(
  deps: Deps, reply: FastifyReply, c: Omit<WorkspaceClaims, 'issuedAtMs'>,
): Promise<void> {
  const token = await deps.workspaces.cookieTokens.sign(c);
  reply.header('set-cookie', workspaceCookie(deps, token, c.workspaceId));
}

/** The value of the workspace cookie on a raw request, if any. */
export function readWorkspaceCookie(req: IncomingMessage): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === WORKSPACE_COOKIE) return part.slice(eq + 1).trim();
  }
  return undefined;
}
