import { checkPassword } from '@coditect/contract/password-policy';
import { AppError } from '../http/app-error.js';

/**
 * Refuses a new password that NIST SP 800-63B says to refuse (too short, common, guessable,
 * or built from the person's own name or email) with `weak_password` and a field detail,
 * so the form shows it under the field. The web meter runs the same check.
 */
export function assertStrongPassword(password: string, userInputs: readonly (string | null | undefined)[], field = 'password'): void {
  const verdict = checkPassword(password, userInputs);
  if (verdict.acceptable) return;
  const message = verdict.problem ?? 'Choose a stronger password';
  throw new AppError('weak_password', `Password refused: ${message}`, {
    details: [{ path: field, message, code: 'weak_password' }],
  });
}
