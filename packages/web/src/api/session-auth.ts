import { toApiError, type ClientAuth, type TokenPair } from '@coditect/contract';
import { routes } from './routes';

/**
 * How the browser stays signed in.
 *
 * - The access token lives in memory only (this module), never in storage.
 * - The refresh token is an HttpOnly, SameSite=Strict cookie scoped to
 *   `/api/v5/auth` (the server sets it because every request carries
 *   `REFRESH_TRANSPORT_HEADER`); page scripts cannot read it, so an XSS bug
 *   cannot steal a long-lived credential.
 * - Refresh tokens are single-use and the server revokes the whole session
 *   when one is reused, so refreshes must never overlap — not within a tab
 *   (the API client shares one refresh among requests) and not across tabs,
 *   which share the cookie: a Web Lock serialises them, so each refresh sends
 *   the cookie the previous one rotated.
 */

/** Asks the server to move the refresh token into an HttpOnly cookie. */
export const REFRESH_TRANSPORT_HEADER = 'x-coditect-refresh-transport';
export const transportHeaders = { [REFRESH_TRANSPORT_HEADER]: 'cookie' } as const;
const LOCK_NAME = 'coditect-auth-refresh';

type Listener = (token: string | undefined) => void;

export interface SessionAuthOptions {
  fetch?: typeof fetch;
  /** Web Locks (absent in old browsers and in tests). */
  locks?: Pick<LockManager, 'request'> | undefined;
  onSessionEnded?: ClientAuth['onSessionEnded'];
}

export interface SessionAuth extends ClientAuth {
  setAccessToken(token: string | undefined): void;
  subscribe(listener: Listener): () => void;
}

export function createSessionAuth(options: SessionAuthOptions = {}): SessionAuth {
  const doFetch = options.fetch ?? ((...a: Parameters<typeof fetch>) => globalThis.fetch(...a));
  const locks = 'locks' in options ? options.locks : globalThis.navigator?.locks;
  let accessToken: string | undefined;
  const listeners = new Set<Listener>();

  function setAccessToken(token: string | undefined): void {
    accessToken = token;
    for (const l of listeners) l(token);
  }

  async function refreshNow(): Promise<string> {
    const res = await doFetch(routes.refresh.path, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json', ...transportHeaders },
      body: '{}',
      credentials: 'same-origin',
    });
    if (!res.ok) throw await toApiError(res);
    const pair = (await res.json()) as Omit<TokenPair, 'refreshToken'>;
    setAccessToken(pair.accessToken);
    return pair.accessToken;
  }

  return {
    getAccessToken: () => accessToken,
    setAccessToken,
    // The lock API's typing nests the callback's promise; at runtime it resolves to the token.
    refresh: () => (locks ? locks.request(LOCK_NAME, refreshNow).then((token) => token) : refreshNow()),
    onSessionEnded: (err) => {
      setAccessToken(undefined);
      options.onSessionEnded?.(err);
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
