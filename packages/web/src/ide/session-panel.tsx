import { Button, Group, Text, Tooltip } from '@mantine/core';
import { IconFileOff } from '@tabler/icons-react';
import { isNotFound } from '../api/error-message';
import { EmptyState, ErrorState, LoadingState } from '../components/state-views';
import { formatDateTime } from '../sessions/format-time';
import { useSession } from '../sessions/use-sessions';
import { WorkspaceFrame, WorkspaceStopped } from './workspace-frame';
import { WorkspaceUsageLine } from './workspace-usage';
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

/** One tab: a slim bar with the session's name, and its IDE. */
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
      <Group className={classes.bar} gap="sm" wrap="nowrap" justify="space-between">
        <Text size="sm" fw={600} truncate data-testid="session-title">{session.name}</Text>
        <WorkspaceUsageLine sessionId={sessionId} visible={visible} />
        <Tooltip label={session.id}>
          <Text size="xs" c="dimmed" truncate>
            {session.lastOpenedAt ? `Last opened ${formatDateTime(session.lastOpenedAt)}` : 'First open'}
          </Text>
        </Tooltip>
      </Group>
      <div className={classes.body}>
        {stopped ? <WorkspaceStopped onStart={onStart} /> : live ? <WorkspaceFrame sessionId={sessionId} visible={visible} /> : null}
      </div>
    </div>
  );
}
