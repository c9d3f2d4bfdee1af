import { describe, expect, it } from 'vitest';
import { checkPassword, PASSWORD_MAX_LENGTH } from './password-policy.js';

describe('checkPassword (NIST SP 800-63B)', () => {
  it('refuses what is shorter than 8 or longer than 128 characters', () => {
    expect(checkPassword('')).toMatchObject({ acceptable: false, problem: 'Enter a password' });
    expect(checkPassword('x7#Qm2!')).toMatchObject({ acceptable: false, problem: 'Password must be at least 8 characters' });
    expect(checkPassword('k'.repeat(PASSWORD_MAX_LENGTH + 1)).acceptable).toBe(false);
  });

  it.each(['password123', 'Passw0rd!', 'qwertyuiop', '12345678', 'aaaaaaaaaaaa', 'iloveyou2', 'coditect123'])(
    'refuses the common or guessable %s with a reason', (password) => {
      const verdict = checkPassword(password);
      expect(verdict.acceptable).toBe(false);
      expect(verdict.score).toBeLessThan(3);
      expect(verdict.problem).toMatch(/^Too easy to guess/);
    });

  it('refuses a password built from the person\'s own name or email', () => {
    expect(checkPassword('gracehopper1', ['grace@navy.mil', 'Grace', 'Hopper']).acceptable).toBe(false);
  });

  it.each(['correct horse battery staple', 'kT9#vLq2!xRm', 'a much longer passphrase 2'])(
    'accepts %s without composition rules', (password) => {
      expect(checkPassword(password)).toEqual({ acceptable: true, score: expect.any(Number), problem: null, suggestions: [] });
    });

  it('judges a 128-character password without truncating its acceptance', () => {
    const long = 'correct horse battery staple '.repeat(5).slice(0, PASSWORD_MAX_LENGTH);
    expect(checkPassword(long).acceptable).toBe(true);
  });
});
