import { z } from 'zod';
import { Company, Email, Password, PersonName, Phone } from './fields.js';
import { Tenant, User } from './users.js';

export const RegisterRequest = z.object({
  email: Email,
  password: Password,
  firstName: PersonName,
  lastName: PersonName,
  company: Company.optional(),
  phone: Phone.optional(),
});
export type RegisterRequest = z.infer<typeof RegisterRequest>;

export const LoginRequest = z.object({
  email: Email,
  // Not the registration rule: a login attempt is checked against the stored hash.
  password: z.string().min(1, 'Required').max(1024),
});
export type LoginRequest = z.infer<typeof LoginRequest>;

export const RefreshRequest = z.object({ refreshToken: z.string().min(1).max(512) });
export type RefreshRequest = z.infer<typeof RefreshRequest>;

export const TokenPair = z.object({
  accessToken: z.string().describe('Signed JWT for `Authorization: Bearer`'),
  refreshToken: z.string().describe('Opaque, single-use; rotate with POST /auth/refresh'),
  expiresIn: z.number().int().describe('Access-token lifetime in seconds'),
  tokenType: z.literal('Bearer'),
});
export type TokenPair = z.infer<typeof TokenPair>;

export const RegisterResponse = TokenPair.extend({ user: User, tenant: Tenant });
export type RegisterResponse = z.infer<typeof RegisterResponse>;

export const LoginResponse = TokenPair.extend({ user: User });
export type LoginResponse = z.infer<typeof LoginResponse>;
