import type { LoginRequest, LoginResponse } from '@coditect/contract';
import { clientNetwork } from '../auth/client-network.js';
import { burnVerification, verifyPassword } from '../auth/password-hasher.js';
import type { ClientInfo, Deps } from '../deps.js';
import { AppError } from '../http/app-error.js';
import { presentUser } from '../presenters/user.js';
import { readBool } from '../store/database.js';
import { findUserByEmail, updateUser } from '../store/repositories/users.js';
import { startAuthSession } from './auth-session-issuer.js';

const invalidCredentials = () => new AppError('invalid_credentials', 'Email or password is incorrect');

/**
 * Throttles password guessing without handing a third party a way to lock
 * the account: failures count per (client IP, account) pair, in back-off
 * tiers, so an attacker at IP A does not stop the owner at IP B (an IPv6
 * client counts as its /64, so it cannot rotate addresses); a per-account
 * ceiling over all clients is high enough that only a distributed attack
 * reaches it. Every attempt also counts against the client IP.
 */
function loginThrottle(deps: Deps, email: string, address: string) {
  const { limiter, config } = deps;
  const ip = clientNetwork(address);
  const pair = config.rateLimits.loginPair.map((limit, tier) => ({ key: `login:pair:${tier}:${ip}:${email}`, limit }));
  const account = { key: `login:account:${email}`, limit: config.rateLimits.loginAccount };
  return {
    async before() {
      await limiter.consume(`login:ip:${ip}`, config.rateLimits.loginIp);
      for (const { key, limit } of [...pair, account]) await limiter.check(key, limit);
    },
    async failed() {
      for (const { key, limit } of [...pair, account]) await limiter.record(key, limit);
    },
    async succeeded() {
      for (const { key } of pair) await limiter.clear(key);
    },
  };
}

/** Password sign-in. Unknown email and wrong password look identical, in body and in time. */
export async function signIn(deps: Deps, input: LoginRequest, client: ClientInfo): Promise<LoginResponse> {
  const throttle = loginThrottle(deps, input.email, client.ip);
  await throttle.before();

  const user = await deps.store.system((tx) => findUserByEmail(tx, input.email));
  if (!user) {
    await burnVerification(input.password);
    await throttle.failed();
    throw invalidCredentials();
  }
  if (!(await verifyPassword(user.password_hash, input.password))) {
    await throttle.failed();
    throw invalidCredentials();
  }
  await throttle.succeeded();
  if (!readBool(user.is_active)) throw new AppError('account_disabled', 'This account is disabled');

  const at = deps.now().toISOString();
  const tokens = await deps.store.tenant(user.tenant_id, async (tx) => {
    await updateUser(tx, user.tenant_id, user.id, { last_login_at: at });
    return startAuthSession(deps, tx, { tenantId: user.tenant_id, userId: user.id }, client);
  });
  return { ...tokens, user: presentUser({ ...user, last_login_at: at }) };
}
