/**
 * Sign-in throttling cannot be turned into an account lockout: failures count
 * per (client IP, account) pair with back-off tiers; only a per-account
 * ceiling over all clients — reached by a distributed attack — stops the owner.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachEngine } from '../test-support/engines.js';
import { login, registerAccount, type Account } from '../test-support/factories.js';
import { startTestServer, type TestServer } from '../test-support/test-server.js';

const from = (ip: string) => ({ 'x-forwarded-for': ip });

describeEachEngine('login throttle per (IP, account)', (engine) => {
  let t: TestServer;
  let victim: Account;
  beforeAll(async () => {
    t = await startTestServer(engine, {
      CODITECT_TRUST_PROXY: '127.0.0.1',
      CODITECT_RATE_LIMIT_LOGIN_IP: '1000/60s',
      CODITECT_RATE_LIMIT_LOGIN_PAIR: '3/60s,5/3600s',
      CODITECT_RATE_LIMIT_LOGIN_ACCOUNT: '30/3600s',
    });
    victim = await registerAccount(t.api);
  });
  afterAll(async () => { await t?.close(); });

  it('an attacker failing many times from IP A does not stop the owner at IP B', async () => {
    const codes = [];
    for (let i = 0; i < 12; i++) codes.push((await login(t.api, victim.email, 'wrong guess', from('203.0.113.66'))).status);
    expect(codes.slice(0, 3)).toEqual([401, 401, 401]);
    expect(codes.slice(3).every((c) => c === 429)).toBe(true);
    const locked = await login(t.api, victim.email, victim.password, from('203.0.113.66'));
    expect([locked.status, locked.body.error.code]).toEqual([429, 'rate_limited']);
    expect(Number(locked.headers.get('retry-after'))).toBeGreaterThan(0);
    const owner = await login(t.api, victim.email, victim.password, from('198.51.100.20'));
    expect(owner.status).toBe(200);
  });

  it('a success clears the pair\'s failures; the owner\'s own typos do not add up across sign-ins', async () => {
    const ip = from('198.51.100.21');
    expect((await login(t.api, victim.email, 'typo', ip)).status).toBe(401);
    expect((await login(t.api, victim.email, 'typo', ip)).status).toBe(401);
    expect((await login(t.api, victim.email, victim.password, ip)).status).toBe(200);
    expect((await login(t.api, victim.email, 'typo', ip)).status).toBe(401);
    expect((await login(t.api, victim.email, 'typo', ip)).status).toBe(401);
    expect((await login(t.api, victim.email, victim.password, ip)).status).toBe(200);
  });

  it('the first back-off tier blocks the pair for at most its window (a minute)', async () => {
    const other = await registerAccount(t.api);
    const ip = from('203.0.113.77');
    const codes = [];
    for (let i = 0; i < 3; i++) codes.push((await login(t.api, other.email, 'guess', ip)).status);
    const blocked = await login(t.api, other.email, 'guess', ip);
    expect(codes).toEqual([401, 401, 401]);
    expect(blocked.status).toBe(429);
    expect(Number(blocked.headers.get('retry-after'))).toBeLessThanOrEqual(60);
  });

  it('an IPv6 attacker rotating addresses inside its /64 is one client', async () => {
    const other = await registerAccount(t.api);
    const codes = [];
    for (let i = 0; i < 6; i++) codes.push((await login(t.api, other.email, 'guess', from(`2001:db8:aa:bb::${(i + 1).toString(16)}`))).status);
    expect(codes).toEqual([401, 401, 401, 429, 429, 429]);
    expect((await login(t.api, other.email, other.password, from('2001:db8:aa:cc::1'))).status).toBe(200);
  });

  it('a distributed attack reaches the per-account ceiling, which then applies to every client', async () => {
    const target = await registerAccount(t.api);
    const codes = [];
    for (let i = 0; i < 31; i++) codes.push((await login(t.api, target.email, 'guess', from(`192.0.2.${i + 1}`))).status);
    expect(codes.slice(0, 30).every((c) => c === 401)).toBe(true);
    expect(codes[30]).toBe(429);
    expect((await login(t.api, target.email, target.password, from('198.51.100.99'))).status).toBe(429);
    // Other accounts are untouched.
    expect((await login(t.api, victim.email, victim.password, from('198.51.100.99'))).status).toBe(200);
  });
});
