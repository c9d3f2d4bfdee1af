import { Button, Container } from '@mantine/core';
import { IconLayoutDashboard, IconTerminal2 } from '@tabler/icons-react';
import { useEffect, useRef } from 'react';
import { useNavigate, useParams } from 'react-router';
import { isNotFound } from '../api/error-message';
import { useAuth } from '../auth/auth-store';
import { EmptyState, LoadingState } from '../components/state-views';
import { SessionPanel } from '../ide/session-panel';
import { SessionTabStrip } from '../ide/session-tab-strip';
import { useTabs, useUserTabs } from '../ide/tabs-store';
import { useSession } from '../sessions/use-sessions';
import { NotFoundPage } from './not-found-page';
import classes from './ide-page.module.css';

/**
 * `/ide/:sessionId?` — the open sessions as tabs. The URL names the tab in
 * front, so a session link opens (or focuses) its tab; the set of tabs and
 * the front one are remembered across reloads.
 */
export function IdePage() {
  const userId = useAuth((s) => s.user!.id);
  const { sessionId } = useParams();
  const navigate = useNavigate();
  const tabs = useUserTabs(userId);
  const { open, close, activate, move } = useTabs();
  const requested = useSession(sessionId);
  const alreadyOpen = sessionId ? tabs.open.includes(sessionId) : false;

  // Tabs closed while their URL is still showing must not reopen before the navigation lands.
  const closing = useRef(new Set<string>());
  useEffect(() => {
    for (const id of closing.current) if (id !== sessionId) closing.current.delete(id);
  }, [sessionId]);

  // The URL names the tab in front. A session from the URL becomes a tab once
  // the server confirms it exists (and belongs to this tenant).
  useEffect(() => {
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
  }, [sessionId, alreadyOpen, tabs.active, requested.isSuccess, activate, open, navigate, userId]);

  if (sessionId && !alreadyOpen && !closing.current.has(sessionId)) {
    if (requested.isPending) return <LoadingState label="Opening session…" />;
    if (requested.isError && isNotFound(requested.error)) return <NotFoundPage what="session" />;
  }

  const onActivate = (id: string) => {
    activate(userId, id);
    void navigate(`/ide/${id}`, { replace: true });
  };
  const onClose = (id: string) => {
    const wasActive = tabs.active === id;
    closing.current.add(id);
    close(userId, id);
    if (wasActive) {
      const state = useTabs.getState().byUser[userId];
      void navigate(state?.active ? `/ide/${state.active}` : '/ide', { replace: true });
    }
  };

  if (tabs.open.length === 0) {
    return (
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
      <SessionTabStrip
        tabs={tabs.open}
        active={tabs.active}
        onActivate={onActivate}
        onClose={onClose}
        onMove={(id, to) => move(userId, id, to)}
        onAdd={() => navigate('/')}
      />
      {tabs.open.map((id) => (
        // Panels stay mounted so each tab's IDE keeps its state while in the background.
        <section key={id} role="tabpanel" id={`panel-${id}`} aria-labelledby={`tab-${id}`} hidden={id !== tabs.active} className={classes.panel}>
          <SessionPanel sessionId={id} onClose={() => onClose(id)} />
        </section>
      ))}
    </div>
  );
}
