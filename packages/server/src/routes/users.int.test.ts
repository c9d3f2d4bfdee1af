import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeEachEngine } from '../test-support/engines.js';
import { login, PASSWORD, registerAccount } from '../test-support/factories.js';
import { startTestServer, type TestServer } from '../test-support/test-server.js';

describeEachEngine('users', (engine) => {
  let t: TestServer;
  beforeAll(async () => { t = await startTestServer(engine); });
  afterAll(async () => { await t.close(); });

  it('GET /users/me requires a token and returns every user field', async () => {
    expect((await t.api.get('/users/me')).body.error.code).toBe('missing_token');
    const a = await registerAccount(t.api);
    const me = await t.api.get('/users/me', { token: a.accessToken });
    expect(me.status).toBe(200);
    expect(Object.keys(me.body).sort()).toEqual([
      'addressLine1', 'addressLine2', 'city', 'company', 'country', 'createdAt', 'email', 'emailVerified', 'firstName',
      'id', 'isActive', 'lastLoginAt', 'lastName', 'metadata', 'phone', 'postalCode', 'roles', 'state', 'tenantId', 'updatedAt',
    ]);
  });

  describe('profile', () => {
    it('updates names, billing fields and metadata; null clears; absent keeps', async () => {
      const a = await registerAccount(t.api, { company: 'Acme' });
      const res = await t.api.put('/users/me/profile', {
        firstName: 'Ada', lastName: 'King', phone: '+442071838750', addressLine1: '12 St James Sq',
        city: 'London', state: 'LN', postalCode: 'SW1Y 4LE', country: 'GB', metadata: { theme: 'dark', n: 1 },
      }, { token: a.accessToken });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ firstName: 'Ada', lastName: 'King', company: 'Acme', country: 'GB', postalCode: 'SW1Y 4LE', metadata: { theme: 'dark', n: 1 } });
      const cleared = await t.api.put('/users/me/profile', { company: null, phone: null }, { token: a.accessToken });
      expect(cleared.body).toMatchObject({ company: null, phone: null, city: 'London' });
      const again = await t.api.get('/users/me', { token: a.accessToken });
      expect(again.body).toMatchObject({ company: null, city: 'London', metadata: { theme: 'dark', n: 1 } });
      expect(Date.parse(again.body.updatedAt)).toBeGreaterThanOrEqual(Date.parse(again.body.createdAt));
    });

    it.each([
      ['phone', '0123456'], ['phone', '+1 415 555'], ['state', 'ca'], ['state', 'CAL'], ['country', 'XX'], ['country', 'gb'],
      ['postalCode', 'SW1Y_4LE'], ['postalCode', '1234567890123'], ['firstName', ''], ['lastName', 'x'.repeat(51)],
      ['metadata', 'text'],
    ])('rejects %s = %j with a field error and changes nothing', async (field, value) => {
      const a = await registerAccount(t.api);
      const res = await t.api.put('/users/me/profile', { firstName: 'Changed', [field]: value }, { token: a.accessToken });
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('validation_failed');
      expect(res.body.error.details.map((d: { path: string }) => d.path)).toContain(field);
      expect((await t.api.get('/users/me', { token: a.accessToken })).body.firstName).toBe('Ada');
    });

    it('ignores id, tenantId, email, roles, isActive in the body', async () => {
      const a = await registerAccount(t.api);
      const b = await registerAccount(t.api);
      const res = await t.api.put('/users/me/profile', {
        city: 'Paris', tenantId: b.tenantId, id: b.userId, userId: b.userId, email: 'x@evil.test', roles: ['admin'], isActive: false,
      }, { token: a.accessToken });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ id: a.userId, tenantId: a.tenantId, email: a.email, roles: ['owner'], isActive: true, city: 'Paris' });
      expect((await t.api.get('/users/me', { token: b.accessToken })).body.city).toBeNull();
    });
  });

  describe('password', () => {
    it('changes the password: others signed out, this session lives, new password works', async () => {
      const a = await registerAccount(t.api);
      const other = await login(t.api, a.email);
      const res = await t.api.put('/users/me/password', { currentPassword: PASSWORD, newPassword: 'new password 123' }, { token: a.accessToken });
      expect(res.status).toBe(204);
      expect((await t.api.get('/users/me', { token: a.accessToken })).status).toBe(200);
      const dead = await t.api.get('/users/me', { token: other.body.accessToken });
      expect(dead.status).toBe(401);
      expect(dead.body.error.code).toBe('session_revoked');
      expect((await t.api.post('/auth/refresh', { refreshToken: other.body.refreshToken })).status).toBe(401);
      expect((await login(t.api, a.email, PASSWORD)).status).toBe(401);
      expect((await login(t.api, a.email, 'new password 123')).status).toBe(200);
      const stored = await t.server.deps.store.tenant(a.tenantId, (tx) =>
        tx.selectFrom('users').select('password_hash').where('id', '=', a.userId).executeTakeFirstOrThrow());
      expect(stored.password_hash.startsWith('$argon2id$v=19$m=19456,t=2,p=1$')).toBe(true);
    });

    it('rejects a wrong current password and a too-short new one, keeping the old', async () => {
      const a = await registerAccount(t.api);
      const wrong = await t.api.put('/users/me/password', { currentPassword: 'nope nope', newPassword: 'new password 123' }, { token: a.accessToken });
      expect(wrong.status).toBe(403);
      expect(wrong.body.error.code).toBe('invalid_current_password');
      const short = await t.api.put('/users/me/password', { currentPassword: PASSWORD, newPassword: 'short' }, { token: a.accessToken });
      expect(short.status).toBe(400);
      const common = await t.api.put('/users/me/password', { currentPassword: PASSWORD, newPassword: 'password123' }, { token: a.accessToken });
      expect(common.status).toBe(400);
      expect(common.body.error.code).toBe('weak_password');
      expect(common.body.error.details[0].path).toBe('newPassword');
      expect((await login(t.api, a.email, PASSWORD)).status).toBe(200);
    });
  });

  describe('devices', () => {
    it('lists active auth sessions with the current one marked, and signs one out', async () => {
      const a = await registerAccount(t.api);
      const phone = await login(t.api, a.email, PASSWORD, { 'user-agent': 'PhoneBrowser/1.0' });
      const list = await t.api.get('/users/me/sessions', { token: a.accessToken });
      expect(list.status).toBe(200);
      expect(list.body.items).toHaveLength(2);
      expect(list.body.items.filter((d: { current: boolean }) => d.current)).toHaveLength(1);
      const phoneDevice = list.body.items.find((d: { userAgent: string }) => d.userAgent === 'PhoneBrowser/1.0');
      expect(phoneDevice).toMatchObject({ ip: '127.0.0.1', current: false });
      expect((await t.api.delete(`/users/me/sessions/${phoneDevice.id}`, { token: a.accessToken })).status).toBe(204);
      expect((await t.api.get('/users/me', { token: phone.body.accessToken })).status).toBe(401);
      expect((await t.api.get('/users/me/sessions', { token: a.accessToken })).body.items).toHaveLength(1);
      expect((await t.api.delete(`/users/me/sessions/${phoneDevice.id}`, { token: a.accessToken })).status).toBe(404);
    });

    it("cannot sign out another user's device (404, device still alive)", async () => {
      const a = await registerAccount(t.api);
      const b = await registerAccount(t.api);
      const bDevices = await t.api.get('/users/me/sessions', { token: b.accessToken });
      const res = await t.api.delete(`/users/me/sessions/${bDevices.body.items[0].id}`, { token: a.accessToken });
      expect(res.status).toBe(404);
      expect((await t.api.get('/users/me', { token: b.accessToken })).status).toBe(200);
    });
  });
});
