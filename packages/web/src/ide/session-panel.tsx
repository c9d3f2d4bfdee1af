import { Button } from '@mantine/core';
import { IconFileOff } from '@tabler/icons-react';
import { isNotFound } from '../api/error-message';
import { EmptyState, ErrorState, LoadingState } from '../components/state-views';
import { useSession } from '../sessions/use-sessions';
import { WorkspaceFrame, WorkspaceStopped } from './workspace-frame';
import classes from './session-panel.module.css';

interface Props {
  sessionId: string;
  /** The tab is in front. */
  visible: boolean;
  /** The IDE is loaded in this tab (the front tab and the last few before it). */
  live: boolean;
  /** Stopped from the tab menu: no frame until started again. */
  stopped: boolean;
  onStart(): void;
  onClose(): void;
}

/** One tab's IDE (its details live in the tab's menu, so the IDE gets the whole height). */
export function SessionPanel({ sessionId, visible, live, stopped, onStart, onClose }: Props) {
  const { data: session, error, isPending, refetch } = useSession(sessionId);
  if (isPending) return <LoadingState label="Opening session…" />;
  if (error) {
    if (isNotFound(error)) {
      return (
        <EmptyState icon={<IconFileOff size={26} />} title="This session no longer exists" action={<Button variant="default" onClick={onClose}>Close tab</Button>}>
          It may have been deleted from another tab or device.
        </EmptyState>
      );
    }
    return <div style={{ padding: 'var(--mantine-spacing-lg)' }}><ErrorState error={error} onRetry={() => void refetch()} title="Could not open this session" /></div>;
  }
  return (
    <div className={classes.panel}>
      <div className={classes.body}>
        {stopped ? <WorkspaceStopped onStart={onStart} /> : live ? <WorkspaceFrame sessionId={sessionId} visible={visible} /> : null}
      </div>
    </div>
  );
}
