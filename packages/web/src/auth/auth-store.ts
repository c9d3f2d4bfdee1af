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

export const useAuth = create<AuthState>()((set, get) => {
  function signedOut(reason: 'user' | 'ended', message: string | null): void {
    sessionAuth.setAccessToken(undefined);
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
        try {
          await api.refresh();
          const user = await api.call('getMe');
          set({ status: 'signed-in', user, endedReason: null });
        } catch {
          sessionAuth.setAccessToken(undefined);
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
      set({ status: 'signed-in', user: res.user, endedReason: null });
      broadcast({ type: 'signed-in' });
    },

    async register(input) {
      const res = await api.call('register', { body: input });
      sessionAuth.setAccessToken(res.accessToken);
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
