import { ApiError } from '@coditect/contract';
import type { z } from 'zod';

/** Field name → first problem with it. */
export type FieldErrors = Record<string, string>;

/**
 * Validates `values` with a contract schema — the same rules the server
 * applies — and returns the first problem per top-level field.
 */
export function validateWith(schema: z.ZodType, values: unknown): FieldErrors {
  const result = schema.safeParse(values);
  if (result.success) return {};
  const errors: FieldErrors = {};
  for (const issue of result.error.issues) {
    const field = String(issue.path[0] ?? '');
    if (field && !(field in errors)) errors[field] = issue.message;
  }
  return errors;
}

/** The field errors of a server `validation_failed` answer (dotted paths keep their first segment). */
export function serverFieldErrors(error: unknown): FieldErrors {
  const errors: FieldErrors = {};
  if (!(error instanceof ApiError)) return errors;
  for (const issue of error.fieldIssues) {
    const field = issue.path.split('.')[0] ?? '';
    if (field && !(field in errors)) errors[field] = issue.message;
  }
  return errors;
}

/** Trims text inputs; an empty optional field is sent as `null` (clears it) or left out. */
export function emptyToNull(value: string): string | null {
  const trimmed = value.trim();
  return trimmed === '' ? null : trimmed;
}
