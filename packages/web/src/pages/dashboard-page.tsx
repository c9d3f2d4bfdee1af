import type { WorkspaceSession } from '@coditect/contract';
import { ActionIcon, Anchor, Badge, Button, Card, Container, Group, Menu, Table, Text, Tooltip } from '@mantine/core';
import { modals } from '@mantine/modals';
import { IconDots, IconExternalLink, IconFolderPlus, IconPencil, IconPlayerStop, IconPlus, IconRefresh, IconTrash } from '@tabler/icons-react';
import { useState } from 'react';
import { Link, useNavigate } from 'react-router';
import { EmptyState, ErrorState, LoadingState } from '../components/state-views';
import { notify } from '../components/notify';
import { PageHeader } from '../components/page-header';
import { formatDateTime, timeAgo } from '../sessions/format-time';
import { SessionNameModal } from '../sessions/session-name-modal';
import { useCreateSession, useDeleteSession, useRenameSession, useSessionList, useStopWorkspace } from '../sessions/use-sessions';

const STATE: Record<WorkspaceSession['workspaceStatus'], { label: string; color: string }> = {
  running: { label: 'Running', color: 'teal' },
  starting: { label: 'Starting', color: 'blue' },
  stopped: { label: 'Stopped', color: 'gray' },
};

function When({ iso, never }: { iso: string | null; never: string }) {
  if (!iso) return <Text size="sm" c="dimmed">{never}</Text>;
  return (
    <Tooltip label={formatDateTime(iso)}>
      <Text size="sm" component="time" dateTime={iso}>{timeAgo(iso)}</Text>
    </Tooltip>
  );
}

export function DashboardPage() {
  const list = useSessionList();
  const create = useCreateSession();
  const rename = useRenameSession();
  const remove = useDeleteSession();
  const stop = useStopWorkspace();
  const navigate = useNavigate();
  const [creating, setCreating] = useState(false);
  const [openNow, setOpenNow] = useState(true);
  const [renaming, setRenaming] = useState<WorkspaceSession | null>(null);

  const sessions = list.data?.pages.flatMap((p) => p.items) ?? [];
  const open = (s: WorkspaceSession) => navigate(`/ide/${s.id}`);

  function confirmDelete(s: WorkspaceSession) {
    modals.openConfirmModal({
      title: 'Delete this session?',
      centered: true,
      children: (
        <Text size="sm">
          <b>{s.name}</b> and its IDE state will be deleted. This cannot be undone.
        </Text>
      ),
      labels: { confirm: 'Delete session', cancel: 'Cancel' },
      confirmProps: { color: 'red' },
      onConfirm: () =>
        remove.mutate(s.id, {
          onSuccess: () => notify.success(`“${s.name}” was deleted.`),
          onError: (err) => notify.error(err, 'Could not delete the session'),
        }),
    });
  }

  const newButton = (
    <Button leftSection={<IconPlus size={16} />} onClick={() => setCreating(true)}>New session</Button>
  );

  let body: React.ReactNode;
  if (list.isPending) body = <LoadingState label="Loading your sessions…" />;
  else if (list.isError) body = <ErrorState error={list.error} onRetry={() => void list.refetch()} title="Could not load your sessions" />;
  else if (sessions.length === 0) {
    body = (
      <EmptyState
        icon={<IconFolderPlus size={28} />}
        title="Create your first workspace session"
        action={newButton}
      >
        A session is a workspace with its own files and IDE state. Create one, open it, and start coding — you can
        keep several open side by side as tabs.
      </EmptyState>
    );
  } else {
    body = (
      <>
        <Table.ScrollContainer minWidth={0}>
          <Table verticalSpacing="sm" highlightOnHover aria-label="Workspace sessions">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Name</Table.Th>
                <Table.Th w={110} visibleFrom="xs">IDE</Table.Th>
                <Table.Th w={170} visibleFrom="xs">Last opened</Table.Th>
                <Table.Th w={170} visibleFrom="sm">Created</Table.Th>
                <Table.Th w={200}><span className="visually-hidden">Actions</span></Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {sessions.map((s) => (
                <Table.Tr key={s.id} data-testid="session-row" data-workspace-status={s.workspaceStatus}>
                  <Table.Td>
                    <Anchor component={Link} to={`/ide/${s.id}`} fw={600} c="var(--mantine-color-text)" data-testid="session-name">
                      {s.name}
                    </Anchor>
                  </Table.Td>
                  <Table.Td visibleFrom="xs">
                    <Badge variant="light" color={STATE[s.workspaceStatus].color} data-testid="session-state">{STATE[s.workspaceStatus].label}</Badge>
                  </Table.Td>
                  <Table.Td visibleFrom="xs"><When iso={s.lastOpenedAt} never="Not opened yet" /></Table.Td>
                  <Table.Td visibleFrom="sm"><When iso={s.createdAt} never="—" /></Table.Td>
                  <Table.Td>
                    <Group gap={6} justify="flex-end" wrap="nowrap">
                      {s.workspaceStatus !== 'stopped' && (
                        <Button size="xs" variant="default" leftSection={<IconPlayerStop size={14} />} aria-label={`Stop ${s.name}`}
                          loading={stop.isPending && stop.variables === s.id}
                          onClick={() => stop.mutate(s.id, { onError: (err) => notify.error(err, 'Could not stop the workspace') })}>
                          Stop
                        </Button>
                      )}
                      <Button size="xs" variant="light" leftSection={<IconExternalLink size={14} />} onClick={() => open(s)} aria-label={`Open ${s.name}`}>
                        Open
                      </Button>
                      <Menu position="bottom-end" withinPortal>
                        <Menu.Target>
                          <ActionIcon variant="subtle" color="gray" aria-label={`More actions for ${s.name}`}><IconDots size={16} /></ActionIcon>
                        </Menu.Target>
                        <Menu.Dropdown>
                          <Menu.Item leftSection={<IconPencil size={14} />} onClick={() => setRenaming(s)}>Rename</Menu.Item>
                          <Menu.Item leftSection={<IconTrash size={14} />} color="red" onClick={() => confirmDelete(s)}>Delete</Menu.Item>
                        </Menu.Dropdown>
                      </Menu>
                    </Group>
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
        <Group justify="space-between" px="md" py="sm" style={{ borderTop: '1px solid var(--mantine-color-default-border)' }}>
          <Text size="sm" c="dimmed" data-testid="session-count">
            Showing {sessions.length} session{sessions.length === 1 ? '' : 's'}{list.hasNextPage ? ' — there are more' : ''}
          </Text>
          {list.hasNextPage && (
            <Button variant="default" size="xs" onClick={() => void list.fetchNextPage()} loading={list.isFetchingNextPage}>
              Load more
            </Button>
          )}
        </Group>
      </>
    );
  }

  return (
    <Container size="lg" py="xl" className="page-enter">
      <PageHeader
        title="Workspace sessions"
        description="Each session is a workspace with its own files and IDE state."
        actions={
          <>
            <Tooltip label="Refresh list">
              <ActionIcon variant="default" size="lg" aria-label="Refresh list" onClick={() => void list.refetch()} loading={list.isRefetching}>
                <IconRefresh size={16} />
              </ActionIcon>
            </Tooltip>
            {sessions.length > 0 && newButton}
          </>
        }
      />
      <Card p={0}>
        {body}
      </Card>
      {sessions.length > 0 && (
        <Group mt="sm" gap={6}>
          <Badge variant="light" color="gray" radius="sm">Tip</Badge>
          <Text size="xs" c="dimmed">Open several sessions — they stay open as tabs on the IDE page, even after a reload.</Text>
        </Group>
      )}
      <SessionNameModal
        opened={creating}
        title="New workspace session"
        submitLabel="Create session"
        openNow={{ checked: openNow, onChange: setOpenNow }}
        onClose={() => setCreating(false)}
        onSubmit={async (name) => {
          const s = await create.mutateAsync(name);
          // Creating is for working in it: open it right away (unless asked not to).
          if (openNow) void navigate(`/ide/${s.id}`);
          else notify.success(`“${s.name}” is ready.`, 'Session created');
        }}
      />
      <SessionNameModal
        opened={renaming !== null}
        title="Rename session"
        submitLabel="Save name"
        initialName={renaming?.name ?? ''}
        onClose={() => setRenaming(null)}
        onSubmit={async (name) => {
          await rename.mutateAsync({ id: renaming!.id, name });
          notify.success('Session renamed.');
        }}
      />
    </Container>
  );
}
