import { createApiClient, type ApiError } from '@coditect/contract';
import { routes } from './routes';
import { createSessionAuth, transportHeaders } from './session-auth';

type SessionEndedHandler = (error: ApiError) => void;
let sessionEndedHandler: SessionEndedHandler = () => {};

/** Who reacts when the session is over (the auth store: sign out and go to /login). */
export function onSessionEnded(handler: SessionEndedHandler): void {
  sessionEndedHandler = handler;
}

/** The browser's one auth state holder (access token in memory). */
export const sessionAuth = createSessionAuth({ onSessionEnded: (err) => sessionEndedHandler(err) });

/** The browser's one API client: same origin, refresh token in an HttpOnly cookie. */
export const api = createApiClient({ routes, auth: sessionAuth, headers: transportHeaders });
