import { z } from 'zod';
import { isCountryCode } from './countries.js';

/**
 * Field rules shared by the server (request validation) and the web app
 * (form validation), so both reject exactly the same input.
 */

/** Emails are trimmed and lower-cased: `A@X.com` and `a@x.com` are one account. */
export const Email = z
  .string()
  .trim()
  .toLowerCase()
  .max(254, 'Email must be at most 254 characters')
  .pipe(z.email('Enter a valid email address'));

/** 8–128 characters, no composition rules; the whole string is hashed (no truncation). */
export const Password = z
  .string()
  .min(8, 'Password must be at least 8 characters')
  .max(128, 'Password must be at most 128 characters');

export const PersonName = z
  .string()
  .trim()
  .min(1, 'Required')
  .max(50, 'Must be at most 50 characters');

/** E.164-style phone number: optional `+`, no leading zero, 2–15 digits. */
export const Phone = z.string().trim().regex(/^\+?[1-9]\d{1,14}$/, 'Use international format, e.g. +14155550123');

/** Two upper-case letters (US-style state / region code). */
export const StateCode = z.string().trim().regex(/^[A-Z]{2}$/, 'Use a 2-letter code, e.g. CA');

/** Letters, digits, spaces and hyphens, at most 12. */
export const PostalCode = z
  .string()
  .trim()
  .regex(/^[A-Za-z0-9 -]{1,12}$/, 'Letters, digits, spaces and hyphens only (max 12)');

/** ISO 3166-1 alpha-2 code from the real list. */
export const Country = z
  .string()
  .trim()
  .refine(isCountryCode, 'Unknown country code (ISO 3166-1 alpha-2 expected)');

export const Company = z.string().trim().max(100, 'Must be at most 100 characters');
export const AddressLine = z.string().trim().max(200, 'Must be at most 200 characters');
export const City = z.string().trim().max(100, 'Must be at most 100 characters');

/** Free-form JSON object for client-owned data (kept under the 1 MiB body limit). */
export const JsonObject = z.record(z.string(), z.unknown());

/** ISO-8601 UTC timestamp as produced by `Date.prototype.toISOString`. */
export const Timestamp = z.string().describe('ISO-8601 timestamp (UTC)');

export const Id = z.string().describe('Opaque identifier (UUID)');
