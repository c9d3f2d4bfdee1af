import { describe, expect, it, vi } from 'vitest';
import { ApiError, buildPath, createApiClient as create, routeTable, type ApiClientOptions, type ClientAuth } from './client.js';
import { API_PREFIX, endpoints } from './endpoints.js';

const routes = routeTable(endpoints, API_PREFIX);
const createApiClient = (options: Omit<ApiClientOptions, 'routes'>) => create({ routes, ...options });

const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  new Response(body === undefined ? null : JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } });
const apiError = (status: number, code: string, extra: Record<string, unknown> = {}, headers: Record<string, string> = {}) =>
  json(status, { error: { code, message: `msg ${code}`, requestId: 'req-1', ...extra } }, headers);

const deferred = <T>() => {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
};

/** A fake server: access tokens are valid when they equal `valid`. */
function fakeApi(valid: { token: string }) {
  return vi.fn(async (_url: string | URL | Request, init?: RequestInit) => {
    const auth = new Headers(init?.headers).get('authorization');
    if (auth !== `Bearer ${valid.token}`) return apiError(401, 'token_expired');
    return json(200, { items: [], nextCursor: null });
  });
}

function authWith(initial: string, refresh: () => Promise<string>): ClientAuth & { token: string | undefined; ended: ApiError[] } {
  const state = {
    token: initial as string | undefined,
    ended: [] as ApiError[],
    getAccessToken: () => state.token,
    refresh: async () => {
      state.token = await refresh();
      return state.token;
    },
    onSessionEnded: (e: ApiError) => void state.ended.push(e),
  };
  return state;
}

describe('buildPath', () => {
  it('fills params (encoded) and appends defined query values', () => {
    expect(buildPath('/api/v5/sessions/:id', { id: 'a/b c' })).toBe('/api/v5/sessions/a%2Fb%20c');
    expect(buildPath('/api/v5/sessions', undefined, { limit: 50, cursor: undefined })).toBe('/api/v5/sessions?limit=50');
    expect(() => buildPath('/api/v5/sessions/:id', {})).toThrow(/Missing path parameter "id"/);
  });

  it('routeTable keeps method, prefixed path and auth of every endpoint', () => {
    expect(Object.keys(routes)).toEqual(Object.keys(endpoints));
    expect(routes.updateSession).toEqual({ method: 'PATCH', path: '/api/v5/sessions/:id', auth: true });
    expect(routes.login).toEqual({ method: 'POST', path: '/api/v5/auth/login', auth: false });
  });
});

describe('createApiClient', () => {
  it('sends method, JSON body and bearer token as the endpoint table says', async () => {
    const fetch = vi.fn(async () => json(201, { id: 's1', name: 'x' }));
    const client = createApiClient({ baseUrl: 'http://h:1/', fetch, auth: authWith('tok', async () => 'new') });
    await client.call('createSession', { body: { name: 'x' } });
    const [url, init] = fetch.mock.calls[0] as unknown as [string, RequestInit];
    expect(url).toBe('http://h:1/api/v5/sessions');
    expect(init.method).toBe('POST');
    expect(init.body).toBe('{"name":"x"}');
    const headers = new Headers(init.headers);
    expect(headers.get('authorization')).toBe('Bearer tok');
    expect(headers.get('content-type')).toBe('application/json');
  });

  it('does not send the token to endpoints that do not need it, and resolves 204 with undefined', async () => {
    const fetch = vi.fn(async () => new Response(null, { status: 204 }));
    const client = createApiClient({ fetch, auth: authWith('tok', async () => 'new') });
    await client.call('health');
    expect(new Headers((fetch.mock.calls[0] as unknown as [string, RequestInit])[1].headers).get('authorization')).toBeNull();
    await expect(client.call('deleteSession', { params: { id: 'x' } })).resolves.toBeUndefined();
  });

  it('turns error bodies into ApiError with field issues and Retry-After', async () => {
    const issues = [{ path: 'phone', message: 'Use international format', code: 'invalid_format' }];
    const fetch = vi.fn()
      .mockResolvedValueOnce(apiError(400, 'validation_failed', { details: issues }))
      .mockResolvedValueOnce(apiError(429, 'rate_limited', {}, { 'retry-after': '42' }))
      .mockResolvedValueOnce(new Response('<html>bad gateway</html>', { status: 502 }));
    const client = createApiClient({ fetch });
    const validation = await client.call('register', { body: {} as never }).catch((e: unknown) => e);
    expect(validation).toBeInstanceOf(ApiError);
    expect((validation as ApiError).fieldIssues).toEqual(issues);
    expect((validation as ApiError).requestId).toBe('req-1');
    const limited = (await client.call('login', { body: { email: 'a@b.co', password: 'x' } }).catch((e: unknown) => e)) as ApiError;
    expect([limited.status, limited.code, limited.retryAfterSeconds]).toEqual([429, 'rate_limited', 42]);
    const proxy = (await client.call('health').catch((e: unknown) => e)) as ApiError;
    expect([proxy.status, proxy.code]).toEqual([502, 'http_502']);
  });

  it('reports a network failure as network_error', async () => {
    const client = createApiClient({ fetch: vi.fn().mockRejectedValue(new TypeError('Failed to fetch')) });
    await expect(client.call('health')).rejects.toMatchObject({ status: 0, code: 'network_error' });
  });

  it('on token_expired refreshes once for all requests in flight and retries each with the new token', async () => {
    const valid = { token: 'fresh' };
    const fetch = fakeApi(valid);
    const gate = deferred<string>();
    const refresh = vi.fn(() => gate.promise);
    const auth = authWith('stale', refresh);
    const client = createApiClient({ fetch, auth });

    const calls = [client.call('listSessions', { query: {} }), client.call('listSessions', { query: {} }), client.call('listSessions', { query: {} })];
    await vi.waitFor(() => expect(refresh).toHaveBeenCalledTimes(1));
    gate.resolve('fresh');
    await expect(Promise.all(calls)).resolves.toHaveLength(3);
    expect(refresh).toHaveBeenCalledTimes(1);
    // 3 rejected + 3 retried.
    expect(fetch).toHaveBeenCalledTimes(6);
    expect(auth.ended).toEqual([]);
  });

  it('does not refresh again when another request already did while this one was in flight', async () => {
    const auth = authWith('stale', async () => 'fresh');
    const refresh = vi.spyOn(auth, 'refresh');
    const slow = deferred<Response>();
    let calls = 0;
    const fetch = vi.fn(async (_url: string | URL | Request, init?: RequestInit) => {
      calls += 1;
      if (calls === 1) return slow.promise; // the first request is slow to answer
      return new Headers(init?.headers).get('authorization') === 'Bearer fresh'
        ? json(200, { items: [], nextCursor: null }) : apiError(401, 'token_expired');
    });
    const client = createApiClient({ fetch, auth });
    const first = client.call('listSessions', { query: {} });
    await client.call('listSessions', { query: {} }); // expires, refreshes to 'fresh', retries
    expect(refresh).toHaveBeenCalledTimes(1);
    slow.resolve(apiError(401, 'token_expired')); // the slow one was sent with 'stale'
    await first;
    expect(refresh).toHaveBeenCalledTimes(1);
    expect(new Headers((fetch.mock.calls.at(-1) as unknown as [string, RequestInit])[1].headers).get('authorization')).toBe('Bearer fresh');
  });

  it('ends the session once when the refresh fails, and rejects every waiting request', async () => {
    const fetch = fakeApi({ token: 'never' });
    const auth = authWith('stale', () => Promise.reject(new ApiError(401, 'refresh_token_reused', 'reused', 'r', undefined, undefined)));
    const client = createApiClient({ fetch, auth });
    const results = await Promise.allSettled([client.call('getMe'), client.call('getMe')]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    expect(auth.ended.map((e) => e.code)).toEqual(['refresh_token_reused']);
  });

  it('does not try to refresh a revoked session', async () => {
    const fetch = vi.fn(async () => apiError(401, 'session_revoked'));
    const refresh = vi.fn(async () => 'x');
    const auth = authWith('tok', refresh);
    const client = createApiClient({ fetch, auth });
    await expect(client.call('getMe')).rejects.toMatchObject({ code: 'session_revoked' });
    expect(refresh).not.toHaveBeenCalled();
    expect(auth.ended.map((e) => e.code)).toEqual(['session_revoked']);
  });

  it('restores a session by refreshing first when it has no access token yet', async () => {
    const valid = { token: 'fresh' };
    const refresh = vi.fn(async () => 'fresh');
    const auth = authWith('', refresh);
    auth.token = undefined;
    const client = createApiClient({ fetch: fakeApi(valid), auth });
    await client.call('listSessions', { query: {} });
    expect(refresh).toHaveBeenCalledTimes(1);
  });
});
