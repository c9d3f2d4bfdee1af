import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { brotliCompressSync } from 'node:zlib';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../config/config.js';
import { startServer, type RunningServer } from '../server.js';
import { REFRESH_COOKIE, REFRESH_TRANSPORT_HEADER } from './web-app.js';

let dir: string;
let server: RunningServer;

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'coditect-webapp-'));
  const web = path.join(dir, 'web');
  mkdirSync(path.join(web, 'assets'), { recursive: true });
  writeFileSync(path.join(web, 'index.html'), '<!doctype html><title>Coditect</title><div id="root"></div>');
  writeFileSync(path.join(web, 'assets', 'index-abc123.js'), 'console.log(1)');
  writeFileSync(path.join(web, 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
  const big = 'export const x = "' + 'a'.repeat(4000) + '";';
  writeFileSync(path.join(web, 'assets', 'big-def456.js'), big);
  writeFileSync(path.join(web, 'assets', 'big-def456.js.br'), brotliCompressSync(big));
  const config = loadConfig({
    NODE_ENV: 'test', PORT: '0', CODITECT_DATA_DIR: path.join(dir, 'data'), CODITECT_WEB_DIR: web,
    CODITECT_LOG_LEVEL: 'silent', CODITECT_DOCS: 'false',
    // Even if an operator lists a workspace origin here, CORS must not admit it.
    CODITECT_CORS_ORIGINS: 'https://partner.example.com,https://evil.ws.example.com',
    CODITECT_WORKSPACE_ORIGIN: 'https://{id}.ws.example.com',
  });
  server = await startServer(config);
});

afterAll(async () => {
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

const get = (p: string, init?: RequestInit) => fetch(server.url + p, init);

describe('serving the SPA', () => {
  it('serves index.html at / without caching', async () => {
    const res = await get('/');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/text\/html/);
    expect(res.headers.get('cache-control')).toBe('no-cache');
    const csp = res.headers.get('content-security-policy')!;
    expect(csp).toContain("frame-ancestors 'none'");
    // The app frames workspace origins and nothing else (not even itself).
    expect(csp).toContain('frame-src https://*.ws.example.com;');
    expect(csp).not.toMatch(/frame-src[^;]*'self'/);
    expect(await res.text()).toContain('<div id="root">');
  });

  it('serves nothing at the old /ws/{id}/ path on the app origin', async () => {
    const res = await get('/ws/0b4f9d7e-1111-4222-8333-944455556666/');
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toMatch(/json/);
  });

  it('CORS admits configured origins but never a workspace origin', async () => {
    const allowed = await get('/api/v5/health', { headers: { origin: 'https://partner.example.com' } });
    expect(allowed.headers.get('access-control-allow-origin')).toBe('https://partner.example.com');
    const workspace = await get('/api/v5/health', { headers: { origin: 'https://evil.ws.example.com' } });
    expect(workspace.headers.get('access-control-allow-origin')).toBeNull();
    const preflight = await get('/api/v5/auth/refresh', { method: 'OPTIONS', headers: { origin: 'https://evil.ws.example.com',
      'access-control-request-method': 'POST', 'access-control-request-headers': 'x-coditect-refresh-transport' } });
    expect(preflight.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('caches hashed assets forever', async () => {
    const res = await get('/assets/index-abc123.js');
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(await res.text()).toBe('console.log(1)');
  });

  it('sends the pre-compressed file to clients that accept it', async () => {
    // fetch() decodes transparently, so this checks the headers and the decoded body.
    const res = await get('/assets/big-def456.js', { headers: { 'accept-encoding': 'br' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-encoding')).toBe('br');
    expect(res.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect((await res.text()).length).toBe(4000 + 20);
  });

  it('serves other root files with revalidation', async () => {
    const res = await get('/favicon.svg');
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-cache');
  });

  it('falls back to index.html for client-side routes', async () => {
    for (const p of ['/login', '/ide?tab=1', '/settings/devices']) {
      const res = await get(p);
      expect(res.status, p).toBe(200);
      expect(res.headers.get('cache-control'), p).toBe('no-cache');
      expect(await res.text(), p).toContain('<div id="root">');
    }
  });

  it('keeps unknown API paths and missing files as JSON 404s', async () => {
    for (const p of ['/api/v5/nope', '/api/v4/sessions', '/assets/missing-123.js']) {
      const res = await get(p);
      expect(res.status, p).toBe(404);
      const body = (await res.json()) as { error: { code: string } };
      expect(body.error.code, p).toBe('route_not_found');
    }
  });

  it('still answers API routes', async () => {
    const res = await get('/api/v5/health');
    expect(await res.json()).toEqual({ status: 'ok' });
  });
});

describe('refresh token cookie for browsers', () => {
  const json = { 'content-type': 'application/json' };
  const browser = { ...json, [REFRESH_TRANSPORT_HEADER]: 'cookie' };
  const user = { email: 'cookie@example.com', password: 'correct horse battery', firstName: 'C', lastName: 'K' };

  it('moves the refresh token into an HttpOnly cookie and reads it back on refresh', async () => {
    const reg = await get('/api/v5/auth/register', { method: 'POST', headers: browser, body: JSON.stringify(user) });
    expect(reg.status).toBe(201);
    const body = (await reg.json()) as Record<string, unknown>;
    expect(body.accessToken).toEqual(expect.any(String));
    expect(body).not.toHaveProperty('refreshToken');
    const setCookie = reg.headers.get('set-cookie') ?? '';
    expect(setCookie).toMatch(new RegExp(`^${REFRESH_COOKIE}=[^;]+; Path=/api/v5/auth; Max-Age=\\d+; HttpOnly; SameSite=Strict`));
    expect(setCookie).not.toContain('Secure'); // plain-http loopback
    const cookie = setCookie.split(';')[0]!;

    const refreshed = await get('/api/v5/auth/refresh', { method: 'POST', headers: { ...browser, cookie }, body: '{}' });
    expect(refreshed.status).toBe(200);
    expect(await refreshed.json()).not.toHaveProperty('refreshToken');
    const rotated = (refreshed.headers.get('set-cookie') ?? '').split(';')[0]!;
    expect(rotated).not.toBe(cookie);

    // Reusing the old cookie is a replay: the server revokes the session, and the cookie is cleared.
    const replay = await get('/api/v5/auth/refresh', { method: 'POST', headers: { ...browser, cookie }, body: '{}' });
    expect(replay.status).toBe(401);
    expect(replay.headers.get('set-cookie')).toContain('Max-Age=0');
  });

  it('refuses the cookie endpoints from any other origin, a workspace origin above all, and leaves the token unrotated', async () => {
    const login = await get('/api/v5/auth/login', { method: 'POST', headers: browser, body: JSON.stringify({ email: user.email, password: user.password }) });
    expect(login.status).toBe(200);
    const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0]!;
    const attempts: Record<string, string>[] = [
      { origin: 'https://abc.ws.example.com' },
      { origin: 'https://partner.example.com.evil.test' },
      { origin: 'null' },
      { 'sec-fetch-site': 'same-site' },
      { 'sec-fetch-site': 'cross-site' },
    ];
    for (const extra of attempts) {
      for (const p of ['/api/v5/auth/refresh', '/api/v5/auth/logout']) {
        const res = await get(p, { method: 'POST', headers: { ...browser, cookie, ...extra }, body: '{}' });
        expect(res.status, `${p} ${JSON.stringify(extra)}`).toBe(403);
        expect(((await res.json()) as { error: { code: string } }).error.code).toBe('cross_origin_refused');
        expect(res.headers.get('set-cookie')).toBeNull();
      }
    }
    // The app's own origin still refreshes with the very same cookie: nothing was rotated meanwhile.
    const own = await get('/api/v5/auth/refresh', { method: 'POST', headers: { ...browser, cookie, origin: server.url }, body: '{}' });
    expect(own.status).toBe(200);
  });

  it('answers 401 missing_token when there is no cookie', async () => {
    const res = await get('/api/v5/auth/refresh', { method: 'POST', headers: browser, body: '{}' });
    expect(res.status).toBe(401);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('missing_token');
  });

  it('leaves non-browser clients on the body transport', async () => {
    const res = await get('/api/v5/auth/login', {
      method: 'POST', headers: json, body: JSON.stringify({ email: user.email, password: user.password }),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('set-cookie')).toBeNull();
    expect(((await res.json()) as { refreshToken?: string }).refreshToken).toEqual(expect.any(String));
  });
});
