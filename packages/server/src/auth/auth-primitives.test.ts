import { describe, expect, it } from 'vitest';
import { hashPassword, verifyPassword } from './password-hasher.js';
import { MemoryRateLimiter } from './rate-limiter.js';
import { newRefreshToken, parseRefreshToken } from './refresh-token.js';

describe('password hashing', () => {
  it('uses argon2id with m=19456 KiB, t=2, p=1 and verifies', async () => {
    const h = await hashPassword('correct horse');
    expect(h.startsWith('$argon2id$v=19$m=19456,t=2,p=1$')).toBe(true);
    expect(await verifyPassword(h, 'correct horse')).toBe(true);
    expect(await verifyPassword(h, 'correct horsE')).toBe(false);
    expect(await verifyPassword('not a hash', 'x')).toBe(false);
  });
});

describe('refresh tokens', () => {
  it('carry 256 bits of randomness and store only a hash', () => {
    const tenant = '3df51f98-d251-42cb-9f48-f7a1698effcf';
    const { token, secretHash } = newRefreshToken(tenant);
    const secret = token.split('.')[1]!;
    expect(Buffer.from(secret, 'base64url')).toHaveLength(32);
    expect(secretHash).not.toContain(secret);
    expect(parseRefreshToken(token)).toEqual({ tenantId: tenant, secretHash });
    expect(newRefreshToken(tenant).token).not.toBe(token);
  });

  it('rejects anything not shaped like one', () => {
    for (const bad of ['', 'abc', 'x.y', `${'a'.repeat(36)}.${'b'.repeat(43)}`, `3df51f98-d251-42cb-9f48-f7a1698effcf.${'b'.repeat(44)}`]) {
      expect(parseRefreshToken(bad)).toBeUndefined();
    }
  });
});

describe('rate limiter', () => {
  it('allows max hits per window, then 429 with Retry-After, then resets', async () => {
    let now = 0;
    const limiter = new MemoryRateLimiter(() => now);
    const limit = { max: 2, windowMs: 10_000 };
    await limiter.consume('k', limit);
    await limiter.consume('k', limit);
    await expect(limiter.consume('k', limit)).rejects.toMatchObject({
      code: 'rate_limited', status: 429, options: { headers: { 'retry-after': '10' } } });
    await limiter.consume('other', limit);
    now = 10_001;
    await expect(limiter.consume('k', limit)).resolves.toBeUndefined();
    limiter.close();
  });

  it('check + record count only what is recorded (failures); clear forgets; windows still expire', async () => {
    let now = 0;
    const limiter = new MemoryRateLimiter(() => now);
    const limit = { max: 2, windowMs: 60_000 };
    await limiter.check('pair', limit);
    await limiter.check('pair', limit); // checking counts nothing
    await limiter.record('pair', limit);
    await limiter.check('pair', limit);
    await limiter.record('pair', limit);
    await expect(limiter.check('pair', limit)).rejects.toMatchObject({ code: 'rate_limited', options: { headers: { 'retry-after': '60' } } });
    await limiter.clear('pair');
    await expect(limiter.check('pair', limit)).resolves.toBeUndefined();
    await limiter.record('pair', limit);
    await limiter.record('pair', limit);
    now = 60_001;
    await expect(limiter.check('pair', limit)).resolves.toBeUndefined();
    limiter.close();
  });
});
