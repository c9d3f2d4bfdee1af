import type { RegisterRequest, User } from '@coditect/contract';
import { create } from 'zustand';
import { api, onSessionEnded, sessionAuth } from '../api/api';

export type AuthStatus = 'unknown' | 'signed-in' | 'signed-out';

interface AuthState {
  status: AuthStatus;
  user: User | null;
  /** Why the user was signed out without asking (shown on the login page). */
  endedReason: string | null;
  setUser(user: User): void;
  /** Restores the sign-in from the refresh cookie (on page load). */
  restore(): Promise<void>;
  signIn(email: string, password: string): Promise<void>;
  register(input: RegisterRequest): Promise<void>;
  signOut(): Promise<void>;
  signOutEverywhere(): Promise<void>;
}

/** Tabs of the same browser tell each other about sign-in and sign-out. */
const channel = typeof BroadcastChannel === 'undefined' ? undefined : new BroadcastChannel('coditect-auth');
type AuthMessage = { type: 'signed-in' } | { type: 'signed-out' };
const broadcast = (message: AuthMessage) => channel?.postMessage(message);

const signedOutListeners = new Set<(reason: 'user' | 'ended') => void>();
/** Lets the router send the user to /login when the session ends (or another tab signs out). */
export function onSignedOut(listener: (reason: 'user' | 'ended') => void): () => void {
  signedOutListeners.add(listener);
  return () => signedOutListeners.delete(listener);
}

let restoring: Promise<void> | undefined;

/**
 * A "this browser was signed in" flag (a flag only; the credential stays in
 * the HttpOnly cookie). Without it a page load does not try the refresh
 * cookie, so a signed-out visit makes no request that fails with 401.
 */
const SIGNED_IN_HINT = 'coditect.signed-in';
const hint = {
  get: () => { try { return localStorage.getItem(SIGNED_IN_HINT) === '1'; } catch { return true; } },
  set(on: boolean) {
    try {
      if (on) localStorage.setItem(SIGNED_IN_HINT, '1');
      else localStorage.removeItem(SIGNED_IN_HINT);
    } catch { /* storage disabled: every load tries the cookie, as before */ }
  },
};

export const useAuth = create<AuthState>()((set, get) => {
  function signedOut(reason: 'user' | 'ended', message: string | null): void {
    sessionAuth.setAccessToken(undefined);
    hint.set(false);
    set({ status: 'signed-out', user: null, endedReason: message });
    for (const l of signedOutListeners) l(reason);
  }

  onSessionEnded((err) => {
    if (get().status !== 'signed-in') return;
    signedOut('ended', err.code === 'token_expired' ? 'Your session expired. Please sign in again.'
      : 'You were signed out. Please sign in again.');
  });

  channel?.addEventListener('message', (event: MessageEvent<AuthMessage>) => {
    if (event.data.type === 'signed-out' && get().status === 'signed-in') signedOut('ended', 'You signed out in another tab.');
    if (event.data.type === 'signed-in' && get().status !== 'signed-in') void get().restore();
  });

  return {
    status: 'unknown',
    user: null,
    endedReason: null,
    setUser: (user) => set({ user }),

    restore() {
      restoring ??= (async () => {
        if (!hint.get()) {
          set({ status: 'signed-out', user: null });
          restoring = undefined;
          return;
        }
        try {
          await api.refresh();
          const user = await api.call('getMe');
          set({ status: 'signed-in', user, endedReason: null });
        } catch {
          sessionAuth.setAccessToken(undefined);
          hint.set(false);
          set({ status: 'signed-out', user: null });
        } finally {
          restoring = undefined;
        }
      })();
      return restoring;
    },

    async signIn(email, password) {
      const res = await api.call('login', { body: { email, password } });
      sessionAuth.setAccessToken(res.accessToken);
      hint.set(true);
      set({ status: 'signed-in', user: res.user, endedReason: null });
      broadcast({ type: 'signed-in' });
    },

    async register(input) {
      const res = await api.call('register', { body: input });
      sessionAuth.setAccessToken(res.accessToken);
      hint.set(true);
      set({ status: 'signed-in', user: res.user, endedReason: null });
      broadcast({ type: 'signed-in' });
    },

    async signOut() {
      try {
        await api.call('logout');
      } finally {
        // Even if the server could not be reached, this tab forgets the session.
        broadcast({ type: 'signed-out' });
        signedOut('user', null);
      }
    },

    async signOutEverywhere() {
      await api.call('logoutAll');
      broadcast({ type: 'signed-out' });
      signedOut('user', null);
    },
  };
});
