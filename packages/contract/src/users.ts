import { z } from 'zod';
import {
  AddressLine, City, Company, Country, Id, JsonObject, Password, PersonName, Phone, PostalCode,
  StateCode, Timestamp,
} from './fields.js';

/** A user as the API shows it: never a password hash. */
export const User = z.object({
  id: Id,
  tenantId: Id,
  email: z.string(),
  firstName: z.string(),
  lastName: z.string(),
  company: z.string().nullable(),
  phone: z.string().nullable(),
  addressLine1: z.string().nullable(),
  addressLine2: z.string().nullable(),
  city: z.string().nullable(),
  state: z.string().nullable(),
  postalCode: z.string().nullable(),
  country: z.string().nullable(),
  metadata: JsonObject,
  roles: z.array(z.string()),
  isActive: z.boolean(),
  emailVerified: z.boolean(),
  createdAt: Timestamp,
  updatedAt: Timestamp,
  lastLoginAt: Timestamp.nullable(),
});
export type User = z.infer<typeof User>;

export const Tenant = z.object({
  id: Id,
  name: z.string(),
  type: z.enum(['self', 'organization']),
  plan: z.string(),
  createdAt: Timestamp,
});
export type Tenant = z.infer<typeof Tenant>;

/** `null` clears an optional field; an absent field is left as it is. */
const clearable = <T extends z.ZodType>(schema: T) => schema.nullable().optional();

export const UpdateProfileRequest = z.object({
  firstName: PersonName.optional(),
  lastName: PersonName.optional(),
  company: clearable(Company),
  phone: clearable(Phone),
  addressLine1: clearable(AddressLine),
  addressLine2: clearable(AddressLine),
  city: clearable(City),
  state: clearable(StateCode),
  postalCode: clearable(PostalCode),
  country: clearable(Country),
  metadata: JsonObject.optional(),
});
export type UpdateProfileRequest = z.infer<typeof UpdateProfileRequest>;

export const ChangePasswordRequest = z.object({
  currentPassword: z.string().min(1).max(1024),
  newPassword: Password,
});
export type ChangePasswordRequest = z.infer<typeof ChangePasswordRequest>;

/** One signed-in device (auth session) of the user. */
export const Device = z.object({
  id: Id,
  ip: z.string().nullable(),
  userAgent: z.string().nullable(),
  createdAt: Timestamp,
  lastUsedAt: Timestamp,
  current: z.boolean().describe('True for the session making this request'),
});
export type Device = z.infer<typeof Device>;

export const DeviceList = z.object({ items: z.array(Device) });
export type DeviceList = z.infer<typeof DeviceList>;

export const IdParams = z.object({ id: z.string().min(1).max(64) });
