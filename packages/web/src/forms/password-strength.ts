import { Password } from '@coditect/contract';
import type { PasswordVerdict } from '@coditect/contract/password-policy';
import { useEffect, useState } from 'react';

/** What the meter shows: the API's own verdict (same estimator), in a label and colour. */
export interface PasswordStrength {
  /** 0 (empty or refused outright) to 4 (strong). */
  score: 0 | 1 | 2 | 3 | 4;
  label: string;
  color: string;
  /** Whether the API will accept it; null while the estimator is still loading. */
  acceptable: boolean | null;
  /** Why the API would refuse it, or null. */
  problem: string | null;
}

type Check = (password: string, userInputs?: readonly (string | null | undefined)[]) => PasswordVerdict;
let loaded: Check | null = null;
let loading: Promise<Check> | null = null;

/** Loads the estimator (zxcvbn-ts and its ~1 MB of dictionaries) on first use, not with the page. */
export function loadPasswordCheck(): Promise<Check> {
  loading ??= import('@coditect/contract/password-policy').then((m) => (loaded = m.checkPassword));
  return loading;
}

const LABELS = { 0: ['Too weak', 'red'], 1: ['Too weak', 'red'], 2: ['Too weak', 'orange'], 3: ['Good', 'teal'], 4: ['Strong', 'green'] } as const;

/** The meter's reading of a verdict; before the estimator loads only the length rule is known. */
export function passwordStrength(password: string, verdict: PasswordVerdict | null): PasswordStrength {
  if (!password) return { score: 0, label: '', color: 'gray', acceptable: false, problem: null };
  if (!verdict) {
    const ok = Password.safeParse(password);
    return ok.success ? { score: 0, label: '', color: 'gray', acceptable: null, problem: null }
      : { score: 1, label: 'Too weak', color: 'red', acceptable: false, problem: ok.error.issues[0]?.message ?? null };
  }
  const [label, color] = LABELS[verdict.score];
  return { score: verdict.score, label, color, acceptable: verdict.acceptable, problem: verdict.problem };
}

/** The API's verdict on `password` for a person with these name/email inputs (null while loading). */
export function usePasswordVerdict(password: string, userInputs: readonly string[]): PasswordVerdict | null {
  const [check, setCheck] = useState<Check | null>(() => loaded);
  useEffect(() => {
    if (!check && password) void loadPasswordCheck().then((c) => setCheck(() => c));
  }, [check, password]);
  return check && password ? check(password, userInputs) : null;
}
