import type { ChangePasswordRequest, Device, UpdateProfileRequest, User } from '@coditect/contract';
import { hashPassword, verifyPassword } from '../auth/password-hasher.js';
import { assertStrongPassword } from '../auth/password-policy.js';
import type { Deps } from '../deps.js';
import { AppError, notFound } from '../http/app-error.js';
import type { AuthContext } from '../http/authenticate.js';
import { presentDevice } from '../presenters/device.js';
import { presentUser } from '../presenters/user.js';
import { json } from '../store/database.js';
import {
  listActiveAuthSessions, revokeAuthSession, revokeUserAuthSessions,
} from '../store/repositories/auth-sessions.js';
import { findUser, updateUser, type UserChanges } from '../store/repositories/users.js';

/** The signed-in user's own account: profile, password, devices, sign-out. */

export async function getCurrentUser(deps: Deps, auth: AuthContext): Promise<User> {
  const row = await deps.store.read(auth.tenantId, (db) => findUser(db, auth.tenantId, auth.userId));
  if (!row) throw notFound('User');
  return presentUser(row);
}

const profileColumns = {
  firstName: 'first_name', lastName: 'last_name', company: 'company', phone: 'phone',
  addressLine1: 'address_line1', addressLine2: 'address_line2', city: 'city', state: 'state',
  postalCode: 'postal_code', country: 'country',
} as const satisfies Record<Exclude<keyof UpdateProfileRequest, 'metadata'>, keyof UserChanges>;

export async function updateProfile(deps: Deps, auth: AuthContext, input: UpdateProfileRequest): Promise<User> {
  const changes: UserChanges = { updated_at: deps.now().toISOString() };
  for (const [field, column] of Object.entries(profileColumns)) {
    const value = input[field as keyof typeof profileColumns];
    // Empty strings clear optional fields, like null.
    if (value !== undefined) (changes as Record<string, unknown>)[column] = value === '' ? null : value;
  }
  if (input.metadata !== undefined) changes.metadata = json(input.metadata);
  const row = await deps.store.tenant(auth.tenantId, async (tx) => {
    await updateUser(tx, auth.tenantId, auth.userId, changes);
    return findUser(tx, auth.tenantId, auth.userId);
  });
  if (!row) throw notFound('User');
  return presentUser(row);
}

/** Changes the password and ends every other auth session of the user; this one lives. */
export async function changePassword(deps: Deps, auth: AuthContext, input: ChangePasswordRequest): Promise<void> {
  const user = await deps.store.tenant(auth.tenantId, (tx) => findUser(tx, auth.tenantId, auth.userId));
  if (!user) throw notFound('User');
  if (!(await verifyPassword(user.password_hash, input.currentPassword))) {
    throw new AppError('invalid_current_password', 'Current password is incorrect', {
      details: [{ path: 'currentPassword', message: 'Incorrect password', code: 'invalid_current_password' }],
    });
  }
  assertStrongPassword(input.newPassword, [user.email, user.first_name, user.last_name], 'newPassword');
  const newHash = await hashPassword(input.newPassword);
  const at = deps.now().toISOString();
  await deps.store.tenant(auth.tenantId, async (tx) => {
    await updateUser(tx, auth.tenantId, auth.userId, { password_hash: newHash, updated_at: at });
    await revokeUserAuthSessions(tx, auth.tenantId, auth.userId, at, 'password_changed', auth.sessionId);
  });
}

export async function signOut(deps: Deps, auth: AuthContext): Promise<void> {
  const at = deps.now().toISOString();
  await deps.store.tenant(auth.tenantId, (tx) =>
    revokeAuthSession(tx, auth.tenantId, auth.userId, auth.sessionId, at, 'logout'));
}

export async function signOutEverywhere(deps: Deps, auth: AuthContext): Promise<void> {
  const at = deps.now().toISOString();
  await deps.store.tenant(auth.tenantId, (tx) =>
    revokeUserAuthSessions(tx, auth.tenantId, auth.userId, at, 'logout_all'));
}

export async function listDevices(deps: Deps, auth: AuthContext): Promise<Device[]> {
  const rows = await deps.store.read(auth.tenantId, (db) =>
    listActiveAuthSessions(db, auth.tenantId, auth.userId, deps.now().toISOString()));
  return rows.map((r) => presentDevice(r, auth.sessionId));
}

export async function revokeDevice(deps: Deps, auth: AuthContext, deviceId: string): Promise<void> {
  const at = deps.now().toISOString();
  const revoked = await deps.store.tenant(auth.tenantId, (tx) =>
    revokeAuthSession(tx, auth.tenantId, auth.userId, deviceId, at, 'device_signed_out'));
  if (!revoked) throw notFound('Session');
}
