import { randomUUID } from 'node:crypto';
import { expect } from 'vitest';
import type { TestClient } from './http-client.js';

export const PASSWORD = 'correct horse battery staple';

export interface Account {
  email: string;
  password: string;
  userId: string;
  tenantId: string;
  accessToken: string;
  refreshToken: string;
}

export const uniqueEmail = (tag = 'user') => `${tag}-${randomUUID().slice(0, 8)}@example.com`;

/** Registers a fresh user (own tenant) and returns its credentials. */
export async function registerAccount(api: TestClient, overrides: Record<string, unknown> = {}): Promise<Account> {
  const body = { email: uniqueEmail(), password: PASSWORD, firstName: 'Ada', lastName: 'Lovelace', ...overrides };
  const res = await api.post('/auth/register', body);
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return {
    email: String(body.email).trim().toLowerCase(),
    password: String(body.password),
    userId: res.body.user.id,
    tenantId: res.body.tenant.id,
    accessToken: res.body.accessToken,
    refreshToken: res.body.refreshToken,
  };
}

export async function login(api: TestClient, email: string, password = PASSWORD, headers: Record<string, string> = {}) {
  return api.post('/auth/login', { email, password }, { headers });
}

export async function createSession(api: TestClient, token: string, name = 'My workspace') {
  const res = await api.post('/sessions', { name }, { token });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body as { id: string; name: string; tenantId: string };
}
