import { randomUUID } from 'node:crypto';
import type { RegisterRequest, RegisterResponse } from '@coditect/contract';
import { hashPassword } from '../auth/password-hasher.js';
import { assertStrongPassword } from '../auth/password-policy.js';
import type { ClientInfo, Deps } from '../deps.js';
import { AppError } from '../http/app-error.js';
import { presentTenant, presentUser } from '../presenters/user.js';
import { bool, json } from '../store/database.js';
import { insertTenant, type TenantRow } from '../store/repositories/tenants.js';
import { insertUser, type UserRow } from '../store/repositories/users.js';
import { isUniqueViolation } from '../store/unique-violation.js';
import { startAuthSession } from './auth-session-issuer.js';

/**
 * Creates the user, their private tenant and the first auth session in one
 * transaction: if any step fails (a duplicate email included) nothing remains.
 */
export async function registerUser(deps: Deps, input: RegisterRequest, client: ClientInfo): Promise<RegisterResponse> {
  await deps.limiter.consume(`register:ip:${client.ip}`, deps.config.rateLimits.registerIp);
  assertStrongPassword(input.password, [input.email, input.firstName, input.lastName]);
  const passwordHash = await hashPassword(input.password);
  const at = deps.now().toISOString();
  const tenant: TenantRow = {
    id: randomUUID(),
    name: `${input.firstName} ${input.lastName}`,
    type: 'self',
    plan: 'free',
    created_at: at,
  };
  const user: UserRow = {
    tenant_id: tenant.id,
    id: randomUUID(),
    email: input.email,
    password_hash: passwordHash,
    first_name: input.firstName,
    last_name: input.lastName,
    company: input.company || null,
    phone: input.phone || null,
    address_line1: null,
    address_line2: null,
    city: null,
    state: null,
    postal_code: null,
    country: null,
    metadata: json({}),
    roles: json(['owner']),
    is_active: bool(true),
    email_verified: bool(false),
    created_at: at,
    updated_at: at,
    last_login_at: at,
  };
  try {
    const tokens = await deps.store.system(async (tx) => {
      await insertTenant(tx, tenant);
      await insertUser(tx, user);
      return startAuthSession(deps, tx, { tenantId: tenant.id, userId: user.id }, client);
    });
    return { ...tokens, user: presentUser(user), tenant: presentTenant(tenant) };
  } catch (err) {
    if (isUniqueViolation(err)) {
      throw new AppError('email_taken', 'An account with this email already exists', {
        details: [{ path: 'email', message: 'Already registered', code: 'email_taken' }],
      });
    }
    throw err;
  }
}
