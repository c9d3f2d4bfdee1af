import type { Tenant, User } from '@coditect/contract';
import { readBool, readJson } from '../store/database.js';
import type { TenantRow } from '../store/repositories/tenants.js';
import type { UserRow } from '../store/repositories/users.js';

/** The wire shape of a user; the password hash never leaves this function. */
export function presentUser(row: UserRow): User {
  return {
    id: row.id,
    tenantId: row.tenant_id,
    email: row.email,
    firstName: row.first_name,
    lastName: row.last_name,
    company: row.company,
    phone: row.phone,
    addressLine1: row.address_line1,
    addressLine2: row.address_line2,
    city: row.city,
    state: row.state,
    postalCode: row.postal_code,
    country: row.country,
    metadata: readJson(row.metadata),
    roles: readJson(row.roles),
    isActive: readBool(row.is_active),
    emailVerified: readBool(row.email_verified),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    lastLoginAt: row.last_login_at,
  };
}

export function presentTenant(row: TenantRow): Tenant {
  return { id: row.id, name: row.name, type: row.type, plan: row.plan, createdAt: row.created_at };
}
