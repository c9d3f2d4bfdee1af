import { ApiError, RegisterRequest, UpdateProfileRequest } from '@coditect/contract';
import { describe, expect, it } from 'vitest';
import { toRegisterRequest } from '../pages/register-page';
import { toUpdateRequest, valuesOf } from '../pages/profile-page';
import { validatePasswordChange } from '../settings/change-password-card';
import { emptyToNull, serverFieldErrors, validateWith } from './field-errors';
import { loadPasswordCheck, passwordStrength } from './password-strength';
import { loginPathFor, safeReturnPath } from './safe-return';

describe('validateWith (the contract rules, client side)', () => {
  it('reports the first problem per field', () => {
    const errors = validateWith(RegisterRequest, { email: 'nope', password: 'short', firstName: ' ', lastName: 'L', phone: '0123' });
    expect(errors).toEqual({
      email: 'Enter a valid email address',
      password: 'Password must be at least 8 characters',
      firstName: 'Required',
      phone: 'Use international format, e.g. +14155550123',
    });
  });

  it('accepts what the server accepts', () => {
    expect(validateWith(UpdateProfileRequest, { phone: '+14155550123', state: 'CA', country: 'DE', postalCode: '10115' })).toEqual({});
    expect(validateWith(UpdateProfileRequest, { country: 'XX', state: 'ca' })).toEqual({
      country: 'Unknown country code (ISO 3166-1 alpha-2 expected)',
      state: 'Use a 2-letter code, e.g. CA',
    });
  });
});

describe('serverFieldErrors', () => {
  it('maps validation_failed details to fields by their first path segment', () => {
    const err = new ApiError(400, 'validation_failed', 'Invalid', 'r', [
      { path: 'phone', message: 'bad phone', code: 'invalid_format' },
      { path: 'address.city', message: 'bad city', code: 'too_big' },
      { path: 'phone', message: 'second phone problem', code: 'x' },
    ], undefined);
    expect(serverFieldErrors(err)).toEqual({ phone: 'bad phone', address: 'bad city' });
    expect(serverFieldErrors(new ApiError(409, 'email_taken', 'taken', 'r', undefined, undefined))).toEqual({});
    expect(serverFieldErrors(new Error('x'))).toEqual({});
  });
});

describe('form payloads', () => {
  it('register sends only name, email and password (billing details live on the profile)', () => {
    const body = toRegisterRequest({ firstName: 'A', lastName: 'B', email: 'a@b.co', password: 'p'.repeat(8) });
    expect(body).toEqual({ firstName: 'A', lastName: 'B', email: 'a@b.co', password: 'pppppppp' });
  });

  it('profile sends only changed fields, and emptied optional ones as null', () => {
    const user = {
      id: 'u', tenantId: 't', email: 'a@b.co', firstName: 'A', lastName: 'B', company: 'Acme', phone: null, addressLine1: null,
      addressLine2: null, city: 'Paris', state: null, postalCode: null, country: 'FR', metadata: {}, roles: [], isActive: true,
      emailVerified: false, createdAt: '', updatedAt: '', lastLoginAt: null,
    };
    const saved = valuesOf(user);
    expect(saved.phone).toBe('');
    expect(toUpdateRequest({ ...saved, company: '', city: ' Lyon ', phone: '+33123456789' }, saved))
      .toEqual({ company: null, city: 'Lyon', phone: '+33123456789' });
    expect(toUpdateRequest(saved, saved)).toEqual({});
  });

  it('password change needs the current password, a valid new one that differs, and a matching confirmation', () => {
    expect(validatePasswordChange({ currentPassword: '', newPassword: 'short', confirm: 'x' })).toEqual({
      currentPassword: 'Enter your current password',
      newPassword: 'Password must be at least 8 characters',
      confirm: 'Passwords do not match',
    });
    expect(validatePasswordChange({ currentPassword: 'same pass 1', newPassword: 'same pass 1', confirm: 'same pass 1' }).newPassword)
      .toBe('Choose a password different from the current one');
    expect(validatePasswordChange({ currentPassword: 'old pass 1', newPassword: 'new pass 12', confirm: 'new pass 12' })).toEqual({});
  });

  it('emptyToNull trims and clears', () => {
    expect(emptyToNull('  x ')).toBe('x');
    expect(emptyToNull('   ')).toBeNull();
  });
});

describe('passwordStrength', () => {
  it('reads the API\'s own verdict: what the API refuses is "Too weak"', async () => {
    const check = await loadPasswordCheck();
    const meter = (p: string) => passwordStrength(p, check(p));
    expect(meter('').score).toBe(0);
    expect(meter('abc')).toMatchObject({ acceptable: false, label: 'Too weak', problem: 'Password must be at least 8 characters' });
    expect(meter('password123')).toMatchObject({ acceptable: false, label: 'Too weak' });
    expect(meter('tulip-orbit').score).toBeLessThanOrEqual(meter('tulip orbit Canyon 7 lamp').score);
    expect(meter('tulip orbit Canyon 7 lamp')).toMatchObject({ acceptable: true, label: 'Strong' });
  });

  it('before the estimator loads, knows only the length rule and claims nothing', () => {
    expect(passwordStrength('short', null)).toMatchObject({ acceptable: false, label: 'Too weak' });
    expect(passwordStrength('password123', null)).toMatchObject({ acceptable: null, label: '' });
  });
});

describe('return-to after sign-in', () => {
  it('accepts only same-site paths', () => {
    expect(safeReturnPath('/ide/abc?x=1')).toBe('/ide/abc?x=1');
    for (const bad of [null, '', 'https://evil.example', '//evil.example', '/\\evil.example', 'javascript:alert(1)', '/login?return=/x']) {
      expect(safeReturnPath(bad), String(bad)).toBe('/');
    }
  });

  it('builds /login?return= from the current location', () => {
    expect(loginPathFor({ pathname: '/ide/a b', search: '?q=1', hash: '' })).toBe('/login?return=%2Fide%2Fa%20b%3Fq%3D1');
    expect(loginPathFor({ pathname: '/', search: '' })).toBe('/login');
  });
});
