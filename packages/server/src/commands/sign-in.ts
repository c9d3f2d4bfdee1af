import type { LoginRequest, LoginResponse } from '@coditect/contract';
import { burnVerification, verifyPassword } from '../auth/password-hasher.js';
import type { ClientInfo, Deps } from '../deps.js';
import { AppError } from '../http/app-error.js';
import { presentUser } from '../presenters/user.js';
import { readBool } from '../store/database.js';
import { findUserByEmail, updateUser } from '../store/repositories/users.js';
import { startAuthSession } from './auth-session-issuer.js';

const invalidCredentials = () => new AppError('invalid_credentials', 'Email or password is incorrect');

/** Password sign-in. Unknown email and wrong password look identical, in body and in time. */
export async function signIn(deps: Deps, input: LoginRequest, client: ClientInfo): Promise<LoginResponse> {
  const { limiter, config } = deps;
  await limiter.consume(`login:ip:${client.ip}`, config.rateLimits.loginIp);
  await limiter.consume(`login:account:${input.email}`, config.rateLimits.loginAccount);

  const user = await deps.store.system((tx) => findUserByEmail(tx, input.email));
  if (!user) {
    await burnVerification(input.password);
    throw invalidCredentials();
  }
  if (!(await verifyPassword(user.password_hash, input.password))) throw invalidCredentials();
  if (!readBool(user.is_active)) throw new AppError('account_disabled', 'This account is disabled');

  const at = deps.now().toISOString();
  const tokens = await deps.store.tenant(user.tenant_id, async (tx) => {
    await updateUser(tx, user.tenant_id, user.id, { last_login_at: at });
    return startAuthSession(deps, tx, { tenantId: user.tenant_id, userId: user.id }, client);
  });
  return { ...tokens, user: presentUser({ ...user, last_login_at: at }) };
}
