import { Alert, Button, Group, Loader, Progress, Stack, Text, ThemeIcon } from '@mantine/core';
import { useComputedColorScheme } from '@mantine/core';
import { IconAlertTriangle, IconHistory, IconPlayerPlay, IconPlayerStop } from '@tabler/icons-react';
import { ApiError } from '@coditect/contract';
import { useQueryClient } from '@tanstack/react-query';
import { useCallback, useEffect, useRef, useState } from 'react';
import { api } from '../api/api';
import { errorMessage } from '../api/error-message';
import { useConnectionWatch } from './connection-watch';
import { ReconnectOverlay } from './reconnect-overlay';
import classes from './workspace-frame.module.css';

/**
 * Re-call `open` before showing a frame whose last open is older than this (and
 * every so often while it is shown) and redeem its ticket: the workspace cookie
 * lives 15 min by default and slides only on HTTP requests, while Theia talks
 * over one WebSocket — a reconnect after a long idle would otherwise get a 401.
 */
export const REFRESH_AFTER_MS = 5 * 60_000;

type Phase =
  | { kind: 'opening' }
  | { kind: 'loading' }
  | { kind: 'ready' }
  | { kind: 'error'; title: string; message: string; code?: string };

export type FrameState = Phase['kind'];

/** A message for a failed open, by the server's error code. */
function openFailure(error: unknown): Extract<Phase, { kind: 'error' }> {
  const code = error instanceof ApiError ? error.code : undefined;
  const title =
    code === 'workspace_capacity' ? 'No room for another workspace right now'
      : code === 'workspace_sandbox_unavailable' || code === 'workspace_limits_unavailable' ? 'Workspaces are unavailable on this server'
        : code === 'workspace_start_failed' ? 'The workspace failed to start'
          : 'Could not open the workspace';
  return { kind: 'error', title, message: errorMessage(error), ...(code ? { code } : {}) };
}

/** `restored from 14:03:27` in the viewer's local time. */
export const restoredLabel = (iso: string): string =>
  new Date(iso).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false });

/** Message type the workspace origin's refusal page posts to this frame's parent. */
const REFUSED = 'coditect:workspace-refused';

/**
 * Redeems a fresh ticket without reloading the frame: the answer's cookie lands in the same
 * (partitioned) cookie jar as the frame's. The answer itself is opaque and not needed.
 */
async function renewCookie(url: string): Promise<void> {
  await fetch(url, { mode: 'no-cors', credentials: 'include', redirect: 'manual', cache: 'no-store' }).catch(() => {});
}

interface Props {
  sessionId: string;
  /** The tab is in front. */
  visible: boolean;
}

/**
 * One session's IDE: `POST /sessions/{id}/open` (starts the sandboxed Theia and
 * answers a one-time link on the workspace's own origin), then an iframe at that
 * link, which trades it for the origin's cookie and shows the IDE. Progress while
 * it starts and loads, the error and a Retry when it fails; the IDE's theme
 * follows the app's on load (`?theme=`).
 */
export function WorkspaceFrame({ sessionId, visible }: Props) {
  const scheme = useComputedColorScheme('light');
  const schemeRef = useRef(scheme);
  schemeRef.current = scheme;
  const [phase, setPhase] = useState<Phase>({ kind: 'opening' });
  const [src, setSrc] = useState<string | null>(null);
  /** Bumped by Retry: runs the open again. */
  const [attempt, setAttempt] = useState(0);
  /** Bumped to reload the iframe (a new IDE instance behind the same URL). */
  const [frameKey, setFrameKey] = useState(0);
  const iframeRef = useRef<HTMLIFrameElement>(null);
  const lastOpenAt = useRef(0);
  const recovering = useRef(false);
  const timings = useRef({ start: 0, openMs: 0, readyMs: 0 });
  const client = useQueryClient();
  // An open moves "last opened" and starts the IDE: the dashboard's rows must say so.
  const opened = useCallback(() => { void client.invalidateQueries({ queryKey: ['sessions'] }); }, [client]);
  /** Set when an open rebuilt the workspace from its recovery point (its node was lost): the point's time. */
  const [restoredFrom, setRestoredFrom] = useState<string | null>(null);
  const noteRestore = useCallback((res: { restoredFrom?: string }) => {
    if (res.restoredFrom) setRestoredFrom(res.restoredFrom);
  }, []);

  // Open (again on Retry).
  useEffect(() => {
    const controller = new AbortController();
    setPhase({ kind: 'opening' });
    setSrc(null);
    const start = performance.now();
    timings.current = { start, openMs: 0, readyMs: 0 };
    api.call('openWorkspace', { params: { id: sessionId }, signal: controller.signal }).then(
      (res) => {
        if (controller.signal.aborted) return;
        lastOpenAt.current = Date.now();
        opened();
        noteRestore(res);
        timings.current.openMs = Math.round(performance.now() - start);
        setSrc(`${res.url}&theme=${schemeRef.current}`);
        setPhase({ kind: 'loading' });
      },
      (error: unknown) => {
        if (!controller.signal.aborted) setPhase(openFailure(error));
      },
    );
    return () => controller.abort();
  }, [sessionId, attempt, opened, noteRestore]);

  const retry = useCallback(() => {
    recovering.current = false;
    setAttempt((n) => n + 1);
  }, []);

  /**
   * Re-calls open without unloading the IDE: refreshes the cookie (so Theia's
   * reconnects are accepted) and restarts a backend the server has reaped, in
   * which case the frame reloads onto the new instance.
   */
  const refresh = useCallback(async () => {
    try {
      const before = await api.call('workspaceStatus', { params: { id: sessionId } });
      const res = await api.call('openWorkspace', { params: { id: sessionId } });
      lastOpenAt.current = Date.now();
      opened();
      noteRestore(res);
      if (before.status === 'stopped') {
        timings.current = { start: performance.now(), openMs: 0, readyMs: 0 };
        setPhase({ kind: 'loading' });
        setSrc(`${res.url}&theme=${schemeRef.current}`);
        setFrameKey((k) => k + 1);
      } else {
        await renewCookie(res.url);
      }
    } catch (error) {
      setPhase(openFailure(error));
    }
  }, [sessionId, opened, noteRestore]);

  // Server or workspace lost: a blocking overlay until it is back (a restart that ended the IDE reopens it).
  const watch = useConnectionWatch(sessionId, visible && phase.kind === 'ready', refresh);

  // Hidden for long → refresh before (well, as) it is shown again; refresh now and then while shown.
  const loaded = phase.kind === 'loading' || phase.kind === 'ready';
  useEffect(() => {
    if (!visible || !loaded) return;
    const stale = () => Date.now() - lastOpenAt.current > REFRESH_AFTER_MS;
    if (stale()) void refresh();
    const timer = setInterval(() => {
      if (document.visibilityState === 'visible' && stale()) void refresh();
    }, 30_000);
    const onVisible = () => {
      if (document.visibilityState === 'visible' && stale()) void refresh();
    };
    document.addEventListener('visibilitychange', onVisible);
    return () => {
      clearInterval(timer);
      document.removeEventListener('visibilitychange', onVisible);
    };
  }, [visible, loaded, refresh]);

  /** The IDE's origin: messages to the frame go there only. */
  const frameOrigin = src ? new URL(src).origin : undefined;

  // The frame is on another origin: its load event is all this page may see of it.
  const markReady = () => {
    if (phase.kind !== 'loading') return;
    timings.current.readyMs = Math.round(performance.now() - timings.current.start);
    setPhase({ kind: 'ready' });
    // The scheme may have changed while it loaded; the query parameter only covered the start.
    if (frameOrigin) iframeRef.current?.contentWindow?.postMessage({ type: 'coditect:theme', theme: schemeRef.current }, frameOrigin);
  };

  // The app's theme changes → tell the IDE.
  useEffect(() => {
    if (frameOrigin) iframeRef.current?.contentWindow?.postMessage({ type: 'coditect:theme', theme: scheme }, frameOrigin);
  }, [scheme, frameOrigin]);

  // The workspace origin refused the frame (cookie expired after a long idle, backend gone): re-open once, transparently.
  useEffect(() => {
    const onMessage = (event: MessageEvent) => {
      const data = event.data as { type?: unknown; code?: unknown; message?: unknown } | null;
      if (!iframeRef.current || event.source !== iframeRef.current.contentWindow || data?.type !== REFUSED) return;
      const refused = { code: String(data.code ?? 'unknown'), message: String(data.message ?? 'The workspace did not answer') };
      if (recovering.current) {
        setPhase({ kind: 'error', title: 'The workspace did not load', message: refused.message, code: refused.code });
        return;
      }
      recovering.current = true;
      setPhase({ kind: 'loading' });
      void api.call('openWorkspace', { params: { id: sessionId } }).then(
        (res) => {
          lastOpenAt.current = Date.now();
          noteRestore(res);
          timings.current = { start: performance.now(), openMs: 0, readyMs: 0 };
          setSrc(`${res.url}&theme=${schemeRef.current}`);
          setFrameKey((k) => k + 1);
        },
        (error: unknown) => setPhase(openFailure(error)),
      );
    };
    window.addEventListener('message', onMessage);
    return () => window.removeEventListener('message', onMessage);
  }, [sessionId, noteRestore]);

  return (
    <div
      className={classes.root}
      data-testid="ide-frame"
      data-state={phase.kind}
      data-open-ms={timings.current.openMs || undefined}
      data-ready-ms={timings.current.readyMs || undefined}
    >
      {src && phase.kind !== 'error' && (
        <iframe
          key={frameKey}
          ref={iframeRef}
          src={src}
          title="Workspace IDE"
          className={classes.iframe}
          data-ready={phase.kind === 'ready' || undefined}
          // Clipboard for copy/paste in the editor and terminal.
          allow="clipboard-read; clipboard-write"
          onLoad={markReady}
        />
      )}
      {(phase.kind === 'opening' || phase.kind === 'loading') && <Starting phase={phase.kind} />}
      {phase.kind === 'ready' && watch.connection.kind !== 'ok' && (
        <ReconnectOverlay connection={watch.connection} onRetry={watch.retryNow}
          onRestart={() => void refresh().then(watch.resume)} />
      )}
      {restoredFrom && phase.kind !== 'error' && (
        <Alert
          className={classes.notice}
          color="yellow"
          variant="filled"
          icon={<IconHistory size={18} />}
          withCloseButton
          onClose={() => setRestoredFrom(null)}
          role="status"
          data-testid="ide-restored"
          title={`Restored from ${restoredLabel(restoredFrom)}`}
        >
          The server this workspace ran on was lost; it came back from its copy of {restoredLabel(restoredFrom)}. Edits made after that time (the last seconds before the loss) may be missing.
        </Alert>
      )}
      {phase.kind === 'error' && (
        <div className={classes.overlay}>
          <Alert color="red" variant="light" icon={<IconAlertTriangle size={18} />} title={phase.title} role="alert" maw={520} data-testid="ide-error">
            <Stack gap="xs" align="flex-start">
              <Text size="sm">{phase.message}</Text>
              {phase.code && <Text size="xs" c="dimmed" ff="monospace">{phase.code}</Text>}
              <Button size="xs" color="red" variant="white" onClick={retry}>Retry</Button>
            </Stack>
          </Alert>
        </div>
      )}
    </div>
  );
}

/** Progress while the sandbox starts and the IDE loads (elapsed time: it can take a while on a busy node). */
function Starting({ phase }: { phase: 'opening' | 'loading' }) {
  const [seconds, setSeconds] = useState(0);
  useEffect(() => {
    const t0 = Date.now();
    const timer = setInterval(() => setSeconds(Math.floor((Date.now() - t0) / 1000)), 1000);
    return () => clearInterval(timer);
  }, []);
  const step = phase === 'opening' ? 1 : 2;
  return (
    <div className={classes.overlay} role="status" aria-live="polite" data-testid="ide-progress">
      <Stack align="center" gap="sm" w={320}>
        <Loader size="md" type="dots" />
        <Text fw={600}>{phase === 'opening' ? 'Starting your workspace…' : 'Loading the IDE…'}</Text>
        <Progress value={step === 1 ? 35 : 75} animated striped w="100%" size="sm" aria-label="Workspace start progress" />
        <Text size="xs" c="dimmed">
          Step {step} of 2 · {phase === 'opening' ? 'sandbox and IDE backend' : 'editor, explorer and terminal'}
          {seconds >= 3 ? ` · ${seconds} s` : ''}
        </Text>
      </Stack>
    </div>
  );
}

/** Shown instead of the frame after "Stop workspace". */
export function WorkspaceStopped({ onStart }: { onStart(): void }) {
  return (
    <div className={classes.overlay} data-testid="ide-stopped">
      <Stack align="center" gap="sm" maw={420} ta="center">
        <ThemeIcon size={48} radius="xl" variant="light" color="gray"><IconPlayerStop size={24} /></ThemeIcon>
        <Text fw={600}>Workspace stopped</Text>
        <Text size="sm" c="dimmed">Its files are kept. Start it again to continue where you left off.</Text>
        <Group>
          <Button leftSection={<IconPlayerPlay size={16} />} onClick={onStart}>Start workspace</Button>
        </Group>
      </Stack>
    </div>
  );
}
