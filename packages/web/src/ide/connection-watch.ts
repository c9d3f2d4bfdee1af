import { useCallback, useEffect, useRef, useState } from 'react';
import { api } from '../api/api';

/** How often a shown IDE checks that the server answers (health is one cheap GET). */
export const HEALTH_EVERY_MS = 3_000;
/** Every this many health checks, also ask whether the session's IDE still runs. */
const STATUS_EVERY_N = 5;
/** Waits between reconnect attempts: quick at first, then at most every 15 s. */
export const BACKOFF_MS = [1_000, 2_000, 4_000, 8_000, 15_000];

/** What the app knows about the IDE behind a frame it cannot look into (another origin). */
export type Connection =
  | { kind: 'ok' }
  | { kind: 'server-lost'; attempt: number; nextAt: number }
  | { kind: 'workspace-stopped' };

async function serverAnswers(): Promise<boolean> {
  try {
    const res = await fetch('/api/v5/health', { cache: 'no-store', signal: AbortSignal.timeout(2_500) });
    return res.ok;
  } catch {
    return false;
  }
}

/**
 * Watches the server (health polling) and the session's IDE (its status now and then) while
 * a frame is shown, because a cross-origin frame tells the app nothing when its WebSocket
 * drops. Server lost → retries with backoff; back → `onServerBack(wasStopped)` so the
 * frame can reopen a workspace the restart ended. The IDE stopped under a live server →
 * `workspace-stopped` until `restart`.
 */
export function useConnectionWatch(sessionId: string, enabled: boolean, onServerBack: (stopped: boolean) => Promise<void>) {
  const [connection, setConnection] = useState<Connection>({ kind: 'ok' });
  const [wake, setWake] = useState(0);
  const onBack = useRef(onServerBack);
  onBack.current = onServerBack;
  // Survive the effect's restarts (Retry now): a retry must still finish the reconnect.
  const lostRef = useRef(false);
  const attemptRef = useRef(0);

  useEffect(() => {
    if (!enabled) return;
    let cancelled = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let ticks = 0;
    const schedule = (ms: number) => { if (!cancelled) timer = setTimeout(() => void tick(), ms); };
    const workspaceStopped = async () => (await api.call('workspaceStatus', { params: { id: sessionId } })).status === 'stopped';

    async function tick(): Promise<void> {
      if (cancelled) return;
      const up = await serverAnswers();
      if (cancelled) return;
      if (!up) {
        const wait = BACKOFF_MS[Math.min(attemptRef.current, BACKOFF_MS.length - 1)]!;
        if (lostRef.current) attemptRef.current += 1;
        lostRef.current = true;
        setConnection({ kind: 'server-lost', attempt: attemptRef.current, nextAt: Date.now() + wait });
        schedule(wait);
        return;
      }
      try {
        if (lostRef.current) {
          const stopped = await workspaceStopped();
          await onBack.current(stopped);
          lostRef.current = false;
          attemptRef.current = 0;
          setConnection({ kind: 'ok' });
        } else if (++ticks % STATUS_EVERY_N === 0 && (await workspaceStopped())) {
          setConnection({ kind: 'workspace-stopped' });
          return; // until restart
        }
      } catch {
        // The API answered health but not this call (restarting): try again on the next tick.
      }
      schedule(lostRef.current ? BACKOFF_MS[0]! : HEALTH_EVERY_MS);
    }
    schedule(wake > 0 ? 0 : HEALTH_EVERY_MS);
    return () => { cancelled = true; clearTimeout(timer); };
  }, [sessionId, enabled, wake]);

  /** Tries again now (the overlay's button) instead of waiting for the backoff. */
  const retryNow = useCallback(() => setWake((n) => n + 1), []);
  /** Back to watching after the frame restarted a stopped workspace. */
  const resume = useCallback(() => { setConnection({ kind: 'ok' }); setWake((n) => n + 1); }, []);
  return { connection, retryNow, resume };
}
