import { adjacencyGraphs, dictionary } from '@zxcvbn-ts/language-common';
import { ZxcvbnFactory } from '@zxcvbn-ts/core';

/**
 * The one password rule (NIST SP 800-63B §3.1.1.2), used by the API to refuse and by the
 * web meter to warn, so the two always agree: 8–128 characters, no composition rules, and
 * refused when it is common or guessable — zxcvbn-ts with its common-password and diceware
 * dictionaries, keyboard patterns, and the person's own name and email as extra words.
 * Kept out of the contract's index: the dictionaries weigh ~1 MB and only the forms that
 * set a password need them.
 */

/** Shortest password accepted (NIST: at least 8 for a memorized secret chosen by the user). */
export const PASSWORD_MIN_LENGTH = 8;
/** Longest password accepted (argon2 input bound; NIST asks for at least 64). */
export const PASSWORD_MAX_LENGTH = 128;
/** The lowest zxcvbn score accepted: 3 = "safely unguessable" (~10^8 guesses or more). */
export const PASSWORD_MIN_SCORE = 3;

/** What the estimator said about a password, in words a person can act on. */
export interface PasswordVerdict {
  /** Whether the API accepts it. */
  acceptable: boolean;
  /** 0 (guessable in a few tries) to 4 (very unguessable); 0 for an empty password. */
  score: 0 | 1 | 2 | 3 | 4;
  /** Why it is refused, or null when it is accepted. */
  problem: string | null;
  /** Suggestions from the estimator (may be empty). */
  suggestions: string[];
}

let factory: ZxcvbnFactory | undefined;
function estimator(): ZxcvbnFactory {
  factory ??= new ZxcvbnFactory({ dictionary, graphs: adjacencyGraphs, useLevenshteinDistance: true });
  return factory;
}

/** Splits name/email-like inputs into the words an attacker would try first. */
function personalWords(inputs: readonly (string | null | undefined)[]): string[] {
  const words = new Set<string>();
  for (const input of inputs) {
    if (!input) continue;
    const lower = input.toLowerCase().trim();
    words.add(lower);
    for (const part of lower.split(/[^\p{L}\p{N}]+/u)) if (part.length >= 3) words.add(part);
  }
  words.add('coditect');
  return [...words];
}

/** Judges a password the way the API does; `userInputs` are the person's name and email. */
export function checkPassword(password: string, userInputs: readonly (string | null | undefined)[] = []): PasswordVerdict {
  if (password.length === 0) return { acceptable: false, score: 0, problem: 'Enter a password', suggestions: [] };
  if (password.length < PASSWORD_MIN_LENGTH) {
    return { acceptable: false, score: 0, problem: `Password must be at least ${PASSWORD_MIN_LENGTH} characters`, suggestions: [] };
  }
  if (password.length > PASSWORD_MAX_LENGTH) {
    return { acceptable: false, score: 4, problem: `Password must be at most ${PASSWORD_MAX_LENGTH} characters`, suggestions: [] };
  }
  // zxcvbn's cost grows with length; the first 64 characters decide as well as all 128 would.
  const result = estimator().check(password.slice(0, 64), personalWords(userInputs));
  const score = result.score as PasswordVerdict['score'];
  if (score >= PASSWORD_MIN_SCORE) return { acceptable: true, score, problem: null, suggestions: [] };
  const warning = result.feedback.warning;
  return {
    acceptable: false,
    score,
    problem: warning ? `Too easy to guess: ${warningText(warning)}` : 'Too easy to guess: add more words or characters that are not a common pattern',
    suggestions: result.feedback.suggestions.map(suggestionText).filter((s): s is string => s !== null),
  };
}

// zxcvbn-ts without a translation package returns message keys; these are the ones it emits.
const WARNINGS: Record<string, string> = {
  straightRow: 'it is a straight row of keys',
  keyPattern: 'it is a short keyboard pattern',
  simpleRepeat: 'it repeats a character',
  extendedRepeat: 'it repeats a pattern',
  sequences: 'it is a common sequence like abc',
  recentYears: 'it contains a recent year',
  dates: 'it contains a date',
  topTen: 'it is one of the ten most used passwords',
  topHundred: 'it is one of the hundred most used passwords',
  common: 'it is a commonly used password',
  similarToCommon: 'it is close to a commonly used password',
  wordByItself: 'a single word is easy to guess',
  namesByThemselves: 'names on their own are easy to guess',
  commonNames: 'it is a common name',
  userInputs: 'it contains your name or email',
  pwned: 'it appeared in a data breach',
};
const SUGGESTIONS: Record<string, string> = {
  l33t: "Replacing letters with look-alikes ('@' for 'a') does not help much",
  reverseWords: 'Spelling a common word backwards does not help much',
  allUppercase: 'Capitalize some letters, not all',
  capitalization: 'Capitalize more than the first letter',
  dates: 'Avoid dates and years that are tied to you',
  recentYears: 'Avoid recent years',
  associatedYears: 'Avoid years that are tied to you',
  sequences: 'Avoid common character sequences',
  repeated: 'Avoid repeated words and characters',
  longerKeyboardPattern: 'Use longer keyboard patterns and change direction several times',
  anotherWord: 'Add more words that are less common',
  useWords: 'Use several words, but avoid common phrases',
  noNeed: 'You do not need symbols, numbers or capitals: length counts most',
  pwned: 'Use a password you have not used anywhere else',
};
function warningText(key: string): string { return WARNINGS[key] ?? key; }
function suggestionText(key: string): string | null { return SUGGESTIONS[key] ?? null; }
