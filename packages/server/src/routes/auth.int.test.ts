import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeEachEngine, describePostgres } from '../test-support/engines.js';
import { login, PASSWORD, registerAccount, uniqueEmail } from '../test-support/factories.js';
import { startTestServer, type TestServer } from '../test-support/test-server.js';

describeEachEngine('auth', (engine) => {
  let t: TestServer;
  beforeAll(async () => { t = await startTestServer(engine); });
  afterAll(async () => { await t.close(); });

  const countTenants = async () => Number((await t.server.deps.store.db.selectFrom('tenants')
    .select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);

  describe('register', () => {
    it('creates user, self tenant and a working auth session', async () => {
      const email = uniqueEmail('Reg');
      const res = await t.api.post('/auth/register', {
        email: `  ${email.toUpperCase()} `, password: PASSWORD, firstName: 'Grace', lastName: 'Hopper',
        company: 'Navy', phone: '+14155550123',
      });
      expect(res.status).toBe(201);
      expect(res.body).toMatchObject({ tokenType: 'Bearer', expiresIn: 900 });
      expect(res.body.user).toMatchObject({ email: email.toLowerCase(), firstName: 'Grace', company: 'Navy', phone: '+14155550123', isActive: true });
      expect(res.body.user).not.toHaveProperty('passwordHash');
      expect(JSON.stringify(res.body)).not.toContain('argon2');
      expect(res.body.tenant).toMatchObject({ type: 'self', id: res.body.user.tenantId });
      const me = await t.api.get('/users/me', { token: res.body.accessToken });
      expect(me.status).toBe(200);
      expect(me.body.id).toBe(res.body.user.id);
    });

    it('answers 409 email_taken for the same email in another case, leaving nothing behind', async () => {
      const a = await registerAccount(t.api);
      const before = await countTenants();
      const res = await t.api.post('/auth/register', { email: a.email.toUpperCase(), password: PASSWORD, firstName: 'X', lastName: 'Y' });
      expect(res.status).toBe(409);
      expect(res.body.error.code).toBe('email_taken');
      // The tenant was inserted before the user failed: the rollback must have removed it.
      expect(await countTenants()).toBe(before);
    });

    it('concurrent registrations of one email: exactly one wins, one tenant exists', async () => {
      const email = uniqueEmail('race');
      const before = await countTenants();
      const results = await Promise.all(Array.from({ length: 5 }, () =>
        t.api.post('/auth/register', { email, password: PASSWORD, firstName: 'R', lastName: 'C' })));
      expect(results.map((r) => r.status).sort()).toEqual([201, 409, 409, 409, 409]);
      expect(await countTenants()).toBe(before + 1);
    });

    it('ignores tenantId, userId, roles in the body', async () => {
      const victim = await registerAccount(t.api);
      const res = await t.api.post('/auth/register', {
        email: uniqueEmail(), password: PASSWORD, firstName: 'E', lastName: 'Vil',
        tenantId: victim.tenantId, id: victim.userId, userId: victim.userId, roles: ['admin'], isActive: false,
      });
      expect(res.status).toBe(201);
      expect(res.body.user.tenantId).not.toBe(victim.tenantId);
      expect(res.body.user.id).not.toBe(victim.userId);
      expect(res.body.user.roles).toEqual(['owner']);
      expect(res.body.user.isActive).toBe(true);
    });

    it('validates every field with per-field details', async () => {
      const res = await t.api.post('/auth/register', {
        email: 'not-an-email', password: 'short', firstName: '', lastName: 'x'.repeat(51), phone: '0123',
      });
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('validation_failed');
      const paths = res.body.error.details.map((d: { path: string }) => d.path).sort();
      expect(paths).toEqual(['email', 'firstName', 'lastName', 'password', 'phone']);
    });

    it('accepts a 128-character password and rejects 129; long passwords are not truncated', async () => {
      const prefix = randomBytes(64).toString('hex').slice(0, 127);
      const long = prefix + 'A';
      const a = await registerAccount(t.api, { password: long });
      expect((await login(t.api, a.email, long)).status).toBe(200);
      // Same 127-char prefix, different last char: a truncating hash would accept it.
      expect((await login(t.api, a.email, prefix + 'B')).status).toBe(401);
      const tooLong = await t.api.post('/auth/register', { email: uniqueEmail(), password: prefix + 'AB', firstName: 'A', lastName: 'B' });
      expect(tooLong.status).toBe(400);
    });

    it('refuses common and guessable passwords with weak_password on the field, creating nothing (NIST SP 800-63B)', async () => {
      const before = await countTenants();
      for (const password of ['password123', 'qwertyuiop', 'Passw0rd!', 'aaaaaaaaaaaa', 'gracehopper1']) {
        const res = await t.api.post('/auth/register', { email: uniqueEmail(), password, firstName: 'Grace', lastName: 'Hopper' });
        expect(res.status, password).toBe(400);
        expect(res.body.error.code).toBe('weak_password');
        expect(res.body.error.details).toEqual([expect.objectContaining({ path: 'password', code: 'weak_password' })]);
      }
      expect(await countTenants()).toBe(before);
    });
  });

  describe('login', () => {
    it('signs in with the email in any case and records lastLoginAt', async () => {
      const a = await registerAccount(t.api);
      const res = await login(t.api, `  ${a.email.toUpperCase()}`);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ tokenType: 'Bearer', user: { id: a.userId } });
      expect(res.body.user.lastLoginAt).toBeTruthy();
      expect(res.body.refreshToken).not.toBe(a.refreshToken);
    });

    it('unknown email and wrong password answer the same 401 body', async () => {
      const a = await registerAccount(t.api);
      const wrong = await login(t.api, a.email, 'wrong password!');
      const unknown = await login(t.api, uniqueEmail('ghost'), 'wrong password!');
      expect(wrong.status).toBe(401);
      expect(unknown.status).toBe(401);
      const strip = (b: any) => ({ ...b.error, requestId: undefined });
      expect(strip(wrong.body)).toEqual(strip(unknown.body));
      expect(wrong.body.error.code).toBe('invalid_credentials');
    });
  });

  describe('logout', () => {
    it('logout kills this auth session only', async () => {
      const a = await registerAccount(t.api);
      const second = await login(t.api, a.email);
      expect((await t.api.post('/auth/logout', undefined, { token: a.accessToken })).status).toBe(204);
      const dead = await t.api.get('/users/me', { token: a.accessToken });
      expect(dead.status).toBe(401);
      expect(dead.body.error.code).toBe('session_revoked');
      expect((await t.api.post('/auth/refresh', { refreshToken: a.refreshToken })).status).toBe(401);
      expect((await t.api.get('/users/me', { token: second.body.accessToken })).status).toBe(200);
    });

    it('logout-all kills every auth session of the user, not other users', async () => {
      const a = await registerAccount(t.api);
      const other = await registerAccount(t.api);
      const second = await login(t.api, a.email);
      expect((await t.api.post('/auth/logout-all', undefined, { token: second.body.accessToken })).status).toBe(204);
      for (const token of [a.accessToken, second.body.accessToken]) {
        expect((await t.api.get('/users/me', { token })).status).toBe(401);
      }
      expect((await t.api.post('/auth/refresh', { refreshToken: second.body.refreshToken })).status).toBe(401);
      expect((await t.api.get('/users/me', { token: other.accessToken })).status).toBe(200);
    });

    it('requires a token', async () => {
      const res = await t.api.post('/auth/logout');
      expect(res.status).toBe(401);
      expect(res.body.error.code).toBe('missing_token');
    });
  });

  describe('refresh', () => {
    it('rotates: new pair works, the old refresh token is single-use', async () => {
      const a = await registerAccount(t.api);
      const r1 = await t.api.post('/auth/refresh', { refreshToken: a.refreshToken });
      expect(r1.status).toBe(200);
      expect(r1.body).toMatchObject({ tokenType: 'Bearer', expiresIn: 900 });
      expect(r1.body.refreshToken).not.toBe(a.refreshToken);
      expect((await t.api.get('/users/me', { token: r1.body.accessToken })).status).toBe(200);
      const r2 = await t.api.post('/auth/refresh', { refreshToken: r1.body.refreshToken });
      expect(r2.status).toBe(200);
    });

    it('a replayed refresh token revokes the whole family', async () => {
      const a = await registerAccount(t.api);
      const r1 = await t.api.post('/auth/refresh', { refreshToken: a.refreshToken });
      const replay = await t.api.post('/auth/refresh', { refreshToken: a.refreshToken });
      expect(replay.status).toBe(401);
      expect(replay.body.error.code).toBe('refresh_token_reused');
      // Descendants are dead too: the newer refresh token and the access tokens.
      expect((await t.api.post('/auth/refresh', { refreshToken: r1.body.refreshToken })).status).toBe(401);
      expect((await t.api.get('/users/me', { token: r1.body.accessToken })).status).toBe(401);
      expect((await t.api.get('/users/me', { token: a.accessToken })).status).toBe(401);
    });

    it('two concurrent refreshes with one token: at most one succeeds', async () => {
      for (let round = 0; round < 5; round++) {
        const a = await registerAccount(t.api);
        const results = await Promise.all([1, 2, 3].map(() => t.api.post('/auth/refresh', { refreshToken: a.refreshToken })));
        expect(results.filter((r) => r.status === 200).length).toBeLessThanOrEqual(1);
        expect(results.filter((r) => r.status === 401).length).toBeGreaterThanOrEqual(2);
      }
    });

    it('rejects garbage, a token of the wrong shape, and a well-formed unknown token', async () => {
      const a = await registerAccount(t.api);
      const unknown = `${a.tenantId}.${'A'.repeat(43)}`;
      for (const refreshToken of ['garbage', '', a.accessToken, unknown]) {
        const res = await t.api.post('/auth/refresh', { refreshToken });
        expect([400, 401]).toContain(res.status);
      }
      // A guessed token must not revoke the real session.
      expect((await t.api.get('/users/me', { token: a.accessToken })).status).toBe(200);
    });
  });
});

describeEachEngine('auth rate limits (in memory on SQLite, shared in the database on PostgreSQL)', (engine) => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer(engine, {
      CODITECT_RATE_LIMIT_LOGIN_IP: '5/60s',
      CODITECT_RATE_LIMIT_LOGIN_ACCOUNT: '3/60s',
      CODITECT_RATE_LIMIT_REGISTER_IP: '4/60s',
      CODITECT_TRUST_PROXY: '127.0.0.1',
    });
  });
  afterAll(async () => { await t.close(); });

  it('limits login attempts per account with 429 and Retry-After', async () => {
    const headers = { 'x-forwarded-for': '203.0.113.1' };
    const email = uniqueEmail('victim');
    const codes = [];
    for (let i = 0; i < 4; i++) codes.push((await login(t.api, email, 'guess', { 'x-forwarded-for': `203.0.113.${10 + i}` })).status);
    expect(codes).toEqual([401, 401, 401, 429]);
    const limited = await login(t.api, email, 'guess', headers);
    expect(limited.status).toBe(429);
    expect(limited.body.error.code).toBe('rate_limited');
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
  });

  it('limits login attempts per IP across accounts, other IPs unaffected', async () => {
    const ip = { 'x-forwarded-for': '198.51.100.7' };
    const codes = [];
    for (let i = 0; i < 6; i++) codes.push((await login(t.api, uniqueEmail(), 'guess', ip)).status);
    expect(codes.slice(0, 5).every((c) => c === 401)).toBe(true);
    expect(codes[5]).toBe(429);
    expect((await login(t.api, uniqueEmail(), 'guess', { 'x-forwarded-for': '198.51.100.8' })).status).toBe(401);
  });

  it('limits registration per IP', async () => {
    const ip = { 'x-forwarded-for': '192.0.2.50' };
    const codes = [];
    for (let i = 0; i < 5; i++) {
      codes.push((await t.api.post('/auth/register', { email: uniqueEmail(), password: PASSWORD, firstName: 'A', lastName: 'B' }, { headers: ip })).status);
    }
    expect(codes).toEqual([201, 201, 201, 201, 429]);
  });
});

describe('X-Forwarded-For is ignored unless trusted [sqlite]', () => {
  let t: TestServer;
  beforeAll(async () => { t = await startTestServer('sqlite', { CODITECT_RATE_LIMIT_LOGIN_IP: '3/60s' }); });
  afterAll(async () => { await t.close(); });

  it('rotating X-Forwarded-For does not escape the per-IP limit', async () => {
    const codes = [];
    for (let i = 0; i < 4; i++) codes.push((await login(t.api, uniqueEmail(), 'guess', { 'x-forwarded-for': `10.0.0.${i}` })).status);
    expect(codes).toEqual([401, 401, 401, 429]);
  });

  it('devices record the socket address, not the spoofed header', async () => {
    const a = await registerAccount(t.api);
    const res = await t.api.get('/users/me/sessions', { token: a.accessToken, headers: { 'x-forwarded-for': '6.6.6.6' } });
    expect(res.body.items[0].ip).toBe('127.0.0.1');
  });
});

describePostgres('rate limits hold across nodes', () => {
  let a: TestServer;
  let b: TestServer;
  beforeAll(async () => {
    a = await startTestServer('postgres', { CODITECT_RATE_LIMIT_LOGIN_ACCOUNT: '4/60s' });
    // A second node on the same database.
    b = await startTestServer('postgres', { CODITECT_RATE_LIMIT_LOGIN_ACCOUNT: '4/60s' }, {}, a.databaseUrl);
  });
  afterAll(async () => { await b.close(); await a.close(); });

  it('attempts on two nodes add up to one budget', async () => {
    const email = uniqueEmail('spread');
    const codes = [];
    for (let i = 0; i < 6; i++) codes.push((await login(i % 2 ? b.api : a.api, email, 'guess')).status);
    expect(codes).toEqual([401, 401, 401, 401, 429, 429]);
  });
});
