import { Badge, Button, Card, Code, Group, SimpleGrid, Stack, Text, ThemeIcon, Title } from '@mantine/core';
import { IconFileOff, IconLayoutBoard } from '@tabler/icons-react';
import { isNotFound } from '../api/error-message';
import { ErrorState, LoadingState, EmptyState } from '../components/state-views';
import { formatDateTime } from '../sessions/format-time';
import { useSession } from '../sessions/use-sessions';
import classes from './session-panel.module.css';

function Detail({ label, children }: { label: string; children: React.ReactNode }) {
  return (
    <div>
      <Text size="xs" c="dimmed" tt="uppercase" fw={600} lts={0.4}>{label}</Text>
      <Text size="sm" mt={2}>{children}</Text>
    </div>
  );
}

/**
 * Where a session's IDE lives. The IDE (a Theia app proxied at `/ws/{id}/`)
 * is not served yet, so this keeps its frame and shows the session details;
 * the iframe replaces the placeholder in `IdeFrame` when it lands.
 */
function IdeFrame({ sessionId }: { sessionId: string }) {
  return (
    <div className={classes.frame} data-testid="ide-frame" data-ide-src={`/ws/${sessionId}/`}>
      <Stack align="center" gap="xs" maw={420} ta="center">
        <ThemeIcon size={48} radius="xl" variant="light"><IconLayoutBoard size={26} /></ThemeIcon>
        <Text fw={600}>The IDE opens here</Text>
        <Text size="sm" c="dimmed">
          The editor, explorer and terminal for this session will load in this frame from <Code>/ws/{sessionId.slice(0, 8)}…/</Code>.
        </Text>
      </Stack>
    </div>
  );
}

export function SessionPanel({ sessionId, onClose }: { sessionId: string; onClose(): void }) {
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
    return <Stack p="lg"><ErrorState error={error} onRetry={() => void refetch()} title="Could not open this session" /></Stack>;
  }
  return (
    <div className={classes.panel}>
      <Card radius={0} className={classes.details} withBorder={false}>
        <Group justify="space-between" align="flex-start" wrap="nowrap">
          <Stack gap={4} miw={0}>
            <Group gap="xs">
              <Title order={2} fz="lg" data-testid="session-title">{session.name}</Title>
              <Badge variant="light" color="gray" radius="sm">Workspace</Badge>
            </Group>
            <Text size="xs" c="dimmed" ff="monospace">{session.id}</Text>
          </Stack>
        </Group>
        <SimpleGrid cols={{ base: 2, md: 4 }} mt="md" spacing="lg">
          <Detail label="Created">{formatDateTime(session.createdAt)}</Detail>
          <Detail label="Last updated">{formatDateTime(session.updatedAt)}</Detail>
          <Detail label="Last opened">{session.lastOpenedAt ? formatDateTime(session.lastOpenedAt) : 'Not opened yet'}</Detail>
          <Detail label="Open files">{session.activeFiles.length === 0 ? 'None' : session.activeFiles.length}</Detail>
        </SimpleGrid>
      </Card>
      <IdeFrame sessionId={session.id} />
    </div>
  );
}
