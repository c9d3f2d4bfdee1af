import type { RouteTable } from '@coditect/contract';

/**
 * `routeTable(endpoints, API_PREFIX)`, written out so the browser bundle needs
 * no zod just to know where endpoints are (routes.test.ts fails if it drifts
 * from the contract).
 */
export const routes: RouteTable = {
  health: { method: 'GET', path: '/api/v5/health', auth: false },
  ready: { method: 'GET', path: '/api/v5/ready', auth: false },
  register: { method: 'POST', path: '/api/v5/auth/register', auth: false },
  login: { method: 'POST', path: '/api/v5/auth/login', auth: false },
  refresh: { method: 'POST', path: '/api/v5/auth/refresh', auth: false },
  logout: { method: 'POST', path: '/api/v5/auth/logout', auth: true },
  logoutAll: { method: 'POST', path: '/api/v5/auth/logout-all', auth: true },
  getMe: { method: 'GET', path: '/api/v5/users/me', auth: true },
  updateProfile: { method: 'PUT', path: '/api/v5/users/me/profile', auth: true },
  changePassword: { method: 'PUT', path: '/api/v5/users/me/password', auth: true },
  listDevices: { method: 'GET', path: '/api/v5/users/me/sessions', auth: true },
  revokeDevice: { method: 'DELETE', path: '/api/v5/users/me/sessions/:id', auth: true },
  createSession: { method: 'POST', path: '/api/v5/sessions', auth: true },
  listSessions: { method: 'GET', path: '/api/v5/sessions', auth: true },
  getSession: { method: 'GET', path: '/api/v5/sessions/:id', auth: true },
  updateSession: { method: 'PATCH', path: '/api/v5/sessions/:id', auth: true },
  deleteSession: { method: 'DELETE', path: '/api/v5/sessions/:id', auth: true },
};
