import { Button, Container } from '@mantine/core';
import { IconLayoutDashboard, IconTerminal2 } from '@tabler/icons-react';
import { useEffect, useRef, useState } from 'react';
import { useNavigate } from 'react-router';
import { api } from '../api/api';
import { isNotFound } from '../api/error-message';
import { useAuth } from '../auth/auth-store';
import { notify } from '../components/notify';
import { EmptyState, LoadingState } from '../components/state-views';
import { SessionPanel } from '../ide/session-panel';
import { SessionTabStrip } from '../ide/session-tab-strip';
import { LIVE_TABS, touchRecent } from '../ide/tabs-model';
import { useTabs, useUserTabs } from '../ide/tabs-store';
import { useSession } from '../sessions/use-sessions';
import { InAppBar } from '../layout/app-bar-slot';
import { NotFoundPage } from './not-found-page';
import classes from './ide-page.module.css';

/**
 * The `/ide/:sessionId?` route itself renders nothing: the IDE page lives in
 * the app layout (see `IdeHost`) so its IDE frames survive a visit to the
 * dashboard or the settings.
 */
export function IdeRoute() {
  return null;
}

interface Props {
  /** The `/ide` route is showing (the page stays mounted, hidden, while it is not). */
  routeActive: boolean;
  /** The session named by the URL, when the route is showing. */
  sessionId: string | undefined;
}

/**
 * The open sessions as tabs, each with its IDE. The URL names the tab in
 * front, so a session link opens (or focuses) its tab; the set of tabs and
 * the front one are remembered across reloads. The front tab and the last
 * few shown keep their IDE loaded (hidden, not unmounted).
 */
export function IdePage({ routeActive, sessionId: routeSessionId }: Props) {
  const sessionId = routeActive ? routeSessionId : undefined;
  const userId = useAuth((s) => s.user!.id);
  const navigate = useNavigate();
  const tabs = useUserTabs(userId);
  const { open, close, activate, move } = useTabs();
  const requested = useSession(sessionId);
  const alreadyOpen = sessionId ? tabs.open.includes(sessionId) : false;
  // The front tab and the few shown before it keep their IDE loaded; older ones unload.
  const [recent, setRecent] = useState<string[]>([]);
  useEffect(() => setRecent((r) => touchRecent(r, tabs.active, tabs.open)), [tabs.active, tabs.open]);
  const live = new Set(touchRecent(recent, tabs.active, tabs.open).slice(0, LIVE_TABS));
  // Workspaces stopped from the tab menu show a "start again" state instead of the IDE.
  const [stopped, setStopped] = useState<ReadonlySet<string>>(new Set());
  const setStoppedFor = (id: string, value: boolean) =>
    setStopped((s) => {
      if (s.has(id) === value) return s;
      const next = new Set(s);
      if (value) next.add(id);
      else next.delete(id);
      return next;
    });

  // Tabs closed while their URL is still showing must not reopen before the navigation lands.
  const closing = useRef(new Set<string>());
  useEffect(() => {
    for (const id of closing.current) if (id !== sessionId) closing.current.delete(id);
  }, [sessionId]);

  // The URL names the tab in front. A session from the URL becomes a tab once
  // the server confirms it exists (and belongs to this tenant).
  useEffect(() => {
    if (!routeActive) return;
    if (!sessionId) {
      closing.current.clear();
      if (tabs.active) void navigate(`/ide/${tabs.active}`, { replace: true });
      return;
    }
    if (closing.current.has(sessionId)) return;
    if (alreadyOpen) {
      if (tabs.active !== sessionId) activate(userId, sessionId);
    } else if (requested.isSuccess) {
      open(userId, sessionId);
    }
  }, [routeActive, sessionId, alreadyOpen, tabs.active, requested.isSuccess, activate, open, navigate, userId]);

  const onActivate = (id: string) => {
    activate(userId, id);
    void navigate(`/ide/${id}`, { replace: true });
  };
  const onClose = (id: string) => {
    const wasActive = tabs.active === id;
    closing.current.add(id);
    setStoppedFor(id, false);
    close(userId, id);
    if (wasActive) {
      const state = useTabs.getState().byUser[userId];
      void navigate(state?.active ? `/ide/${state.active}` : '/ide', { replace: true });
    }
  };
  /** Unloads the tab's IDE first (no reconnect noise), then stops its backend. Closing a tab does not stop it: the server reaps idle IDEs. */
  const onStop = (id: string) => {
    setStoppedFor(id, true);
    api.call('stopWorkspace', { params: { id } }).then(
      () => notify.success('Workspace stopped'),
      (error: unknown) => notify.error(error, 'Could not stop the workspace'),
    );
  };

  // A session from the URL that is not a tab yet: shown over the tabs (which stay mounted).
  let pending: React.ReactNode = null;
  if (sessionId && !alreadyOpen && !closing.current.has(sessionId)) {
    if (requested.isPending) pending = <LoadingState label="Opening session…" />;
    else if (requested.isError && isNotFound(requested.error)) pending = <NotFoundPage what="session" />;
  }

  if (tabs.open.length === 0) {
    return pending ?? (
      <Container size="sm" py={48} className="page-enter">
        <EmptyState
          icon={<IconTerminal2 size={28} />}
          title="No sessions open"
          action={<Button leftSection={<IconLayoutDashboard size={16} />} onClick={() => navigate('/')}>Choose a session</Button>}
        >
          Open workspace sessions from the dashboard. Each one gets a tab here, and your tabs are still here when you come back.
        </EmptyState>
      </Container>
    );
  }

  return (
    <div className={classes.ide}>
      <p className={classes.narrow} role="note">The IDE is made for a wider screen: on a phone, use the dashboard to manage sessions.</p>
      {routeActive && (
        <InAppBar>
          <SessionTabStrip
            tabs={tabs.open}
            active={pending ? null : tabs.active}
            onActivate={onActivate}
            onClose={onClose}
            onStop={onStop}
            onMove={(id, to) => move(userId, id, to)}
            onAdd={() => navigate('/')}
          />
        </InAppBar>
      )}
      <div className={classes.panels}>
        {tabs.open.map((id) => {
          const front = id === tabs.active && !pending && routeActive;
          return (
            // Panels stay mounted (hidden, keeping their size) so the last few IDEs keep their state in the background.
            <section key={id} role="tabpanel" id={`panel-${id}`} aria-labelledby={`tab-${id}`} hidden={!front} className={classes.panel}>
              <SessionPanel
                sessionId={id}
                visible={front}
                live={live.has(id)}
                stopped={stopped.has(id)}
                onStart={() => setStoppedFor(id, false)}
                onClose={() => onClose(id)}
              />
            </section>
          );
        })}
        {pending && <div className={classes.pending}>{pending}</div>}
      </div>
    </div>
  );
}
