import { Password } from '@coditect/contract';

export interface PasswordStrength {
  /** 0 (empty) to 4 (strong). */
  score: 0 | 1 | 2 | 3 | 4;
  label: string;
  color: string;
  /** Whether the server will accept it (its rule: 8–128 characters). */
  acceptable: boolean;
}

const COMMON = ['password', '123456', 'qwerty', 'letmein', 'welcome', 'coditect', 'admin', 'iloveyou'];

/**
 * A hint, not a rule: the server only requires 8–128 characters (NIST-style,
 * no composition rules). Length counts most; variety and avoiding common
 * words and repeats add a little.
 */
export function passwordStrength(password: string): PasswordStrength {
  const acceptable = Password.safeParse(password).success;
  if (!password) return { score: 0, label: '', color: 'gray', acceptable };
  const lower = password.toLowerCase();
  let points = 0;
  if (password.length >= 8) points += 1;
  if (password.length >= 12) points += 1;
  if (password.length >= 16) points += 1;
  const classes = [/[a-z]/, /[A-Z]/, /\d/, /[^A-Za-z0-9]/].filter((r) => r.test(password)).length;
  if (classes >= 3) points += 1;
  if (COMMON.some((w) => lower.includes(w)) || /^(.)\1+$/.test(password) || /^(?:0123|1234|abcd)/.test(lower)) points -= 2;
  if (!acceptable) points = Math.min(points, 1);
  const score = Math.max(1, Math.min(4, points)) as 1 | 2 | 3 | 4;
  const table = { 1: ['Too weak', 'red'], 2: ['Fair', 'orange'], 3: ['Good', 'teal'], 4: ['Strong', 'green'] } as const;
  return { score, label: table[score][0], color: table[score][1], acceptable };
}
