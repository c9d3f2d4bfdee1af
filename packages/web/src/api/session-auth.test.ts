import { describe, expect, it } from 'vitest';
import { REFRESH_TRANSPORT_HEADER, createSessionAuth } from './session-auth';

/**
 * A browser's shared cookie jar and the server's refresh-token rotation,
 * faked: each refresh token works once; reusing one revokes the session.
 */
function fakeBrowserAndServer() {
  let generation = 0;
  let cookie = 'rt-0';
  let revoked = false;
  const seen: string[] = [];
  const fetch = async (_url: string | URL | Request, init?: RequestInit): Promise<Response> => {
    expect(new Headers(init?.headers).get(REFRESH_TRANSPORT_HEADER)).toBe('cookie');
    const sent = cookie; // the browser attaches the cookie it has when the request starts
    seen.push(sent);
    await new Promise((r) => setTimeout(r, 5)); // a network round trip
    if (revoked || sent !== `rt-${generation}`) {
      revoked = true;
      return new Response(JSON.stringify({ error: { code: 'refresh_token_reused', message: 'reused', requestId: 'r' } }), { status: 401 });
    }
    generation += 1;
    cookie = `rt-${generation}`; // Set-Cookie
    return new Response(JSON.stringify({ accessToken: `at-${generation}`, expiresIn: 2, tokenType: 'Bearer' }), { status: 200 });
  };
  return { fetch, seen, isRevoked: () => revoked };
}

/** navigator.locks, faked: an exclusive lock per name shared by every "tab". */
function fakeLocks(): Pick<LockManager, 'request'> {
  const tails = new Map<string, Promise<unknown>>();
  const request = (name: string, callback: (lock: Lock | null) => unknown) => {
    const previous = tails.get(name) ?? Promise.resolve();
    const run = previous.then(() => callback({ name, mode: 'exclusive' } as Lock));
    tails.set(name, run.catch(() => undefined));
    return run;
  };
  return { request } as unknown as Pick<LockManager, 'request'>;
}

describe('session auth across browser tabs', () => {
  it('serialises refreshes of several tabs with a Web Lock, so no refresh token is ever sent twice', async () => {
    const world = fakeBrowserAndServer();
    const locks = fakeLocks();
    const tabs = [1, 2, 3].map(() => createSessionAuth({ fetch: world.fetch, locks }));
    const tokens = await Promise.all(tabs.map((t) => t.refresh()));
    expect(world.isRevoked()).toBe(false);
    expect(new Set(world.seen).size).toBe(world.seen.length);
    expect(new Set(tokens).size).toBe(3);
    tabs.forEach((t, i) => expect(t.getAccessToken()).toBe(tokens[i]));
  });

  it('without the lock, two tabs refreshing at once reuse a token and the server revokes the session', async () => {
    const world = fakeBrowserAndServer();
    const tabs = [1, 2].map(() => createSessionAuth({ fetch: world.fetch, locks: undefined }));
    const results = await Promise.allSettled(tabs.map((t) => t.refresh()));
    expect(results.some((r) => r.status === 'rejected')).toBe(true);
    expect(world.isRevoked()).toBe(true);
  });

  it('forgets the access token when the session ends and tells its listener', async () => {
    let told = 0;
    const auth = createSessionAuth({ fetch: fakeBrowserAndServer().fetch, locks: undefined, onSessionEnded: () => void (told += 1) });
    await auth.refresh();
    expect(auth.getAccessToken()).toBe('at-1');
    auth.onSessionEnded?.({} as never);
    expect(auth.getAccessToken()).toBeUndefined();
    expect(told).toBe(1);
  });
});
