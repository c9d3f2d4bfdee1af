import { injectable } from '@theia/core/shared/inversify';
import { BrowserConnectionTokenBackendContribution, BROWSER_TOKEN_COOKIE_NAME } from '@theia/core/lib/node/hosting/browser-connection-token';
import type * as express from '@theia/core/shared/express';

/**
 * Theia sets its connection-token cookie with `Path=/`. Behind the Coditect proxy several IDE
 * backends share one origin (`/ws/{sessionId}/`), so their cookies would overwrite each other and
 * the other IDEs' WebSocket reconnects would be refused. This scopes the cookie to the IDE's public
 * base path (`CODITECT_BASE_PATH`, e.g. `/ws/{id}/`) when it is set.
 */
@injectable()
export class CoditectConnectionTokenContribution extends BrowserConnectionTokenBackendContribution {
  protected readonly cookiePath = normaliseBasePath(process.env.CODITECT_BASE_PATH);

  protected override expressMiddleware(req: express.Request, res: express.Response, next: express.NextFunction): void {
    const existing = this.getTokenFromCookie(req);
    if (!existing || !this.isTokenValid(existing)) {
      res.cookie(BROWSER_TOKEN_COOKIE_NAME, this.browserConnectionToken.value, {
        httpOnly: true,
        sameSite: 'strict',
        path: this.cookiePath,
      });
    }
    next();
  }
}

export function normaliseBasePath(value: string | undefined): string {
  if (!value || !value.startsWith('/') || /[;\s,]/.test(value)) return '/';
  return value.endsWith('/') ? value : value + '/';
}
