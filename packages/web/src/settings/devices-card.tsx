import type { Device } from '@coditect/contract';
import { Badge, Button, Card, Group, Stack, Table, Text, ThemeIcon, Title, Tooltip } from '@mantine/core';
import { modals } from '@mantine/modals';
import { IconDeviceDesktop, IconLogout } from '@tabler/icons-react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api } from '../api/api';
import { useAuth } from '../auth/auth-store';
import { notify } from '../components/notify';
import { ErrorState, LoadingState } from '../components/state-views';
import { formatDateTime, timeAgo } from '../sessions/format-time';
import { describeUserAgent } from './user-agent';

export function DevicesCard() {
  const client = useQueryClient();
  const signOut = useAuth((s) => s.signOut);
  const signOutEverywhere = useAuth((s) => s.signOutEverywhere);
  const devices = useQuery({ queryKey: ['devices'], queryFn: ({ signal }) => api.call('listDevices', { signal }) });
  const revoke = useMutation({
    mutationFn: (id: string) => api.call('revokeDevice', { params: { id } }),
    onSuccess: () => {
      notify.success('That device was signed out.');
      void client.invalidateQueries({ queryKey: ['devices'] });
    },
    onError: (err) => notify.error(err, 'Could not sign that device out'),
  });

  function confirmEverywhere() {
    modals.openConfirmModal({
      title: 'Sign out everywhere?',
      centered: true,
      children: <Text size="sm">Every device, including this one, will be signed out. You will need to sign in again.</Text>,
      labels: { confirm: 'Sign out everywhere', cancel: 'Cancel' },
      confirmProps: { color: 'red' },
      onConfirm: () => signOutEverywhere().catch((err: unknown) => notify.error(err, 'Could not sign out everywhere')),
    });
  }

  const items: Device[] = devices.data?.items ?? [];
  return (
    <Card p="xl">
      <Group justify="space-between" align="flex-start" mb="md">
        <div>
          <Title order={2} fz="md">Devices</Title>
          <Text size="sm" c="dimmed">Browsers and tools signed in to your account.</Text>
        </div>
        <Group gap="sm">
          <Button variant="default" leftSection={<IconLogout size={16} />} onClick={() => void signOut()}>Sign out this device</Button>
          <Button color="red" variant="light" onClick={confirmEverywhere}>Sign out everywhere</Button>
        </Group>
      </Group>
      {devices.isPending ? <LoadingState label="Loading devices…" />
        : devices.isError ? <ErrorState error={devices.error} onRetry={() => void devices.refetch()} />
          : (
            <Table.ScrollContainer minWidth={560}>
              <Table verticalSpacing="sm" aria-label="Signed-in devices">
                <Table.Thead>
                  <Table.Tr>
                    <Table.Th>Device</Table.Th>
                    <Table.Th>IP address</Table.Th>
                    <Table.Th>Last active</Table.Th>
                    <Table.Th><span className="visually-hidden">Actions</span></Table.Th>
                  </Table.Tr>
                </Table.Thead>
                <Table.Tbody>
                  {items.map((d) => (
                    <Table.Tr key={d.id} data-testid="device-row" data-current={d.current || undefined}>
                      <Table.Td>
                        <Group gap="sm" wrap="nowrap">
                          <ThemeIcon variant="light" color="gray" radius="md"><IconDeviceDesktop size={16} /></ThemeIcon>
                          <Stack gap={0}>
                            <Group gap={6}>
                              <Text size="sm" fw={600}>{describeUserAgent(d.userAgent)}</Text>
                              {d.current && <Badge size="xs" variant="light" color="teal">This device</Badge>}
                            </Group>
                            <Text size="xs" c="dimmed">Signed in {formatDateTime(d.createdAt)}</Text>
                          </Stack>
                        </Group>
                      </Table.Td>
                      <Table.Td><Text size="sm" ff="monospace">{d.ip ?? 'unknown'}</Text></Table.Td>
                      <Table.Td>
                        <Tooltip label={formatDateTime(d.lastUsedAt)}><Text size="sm">{timeAgo(d.lastUsedAt)}</Text></Tooltip>
                      </Table.Td>
                      <Table.Td ta="right">
                        {!d.current && (
                          <Button size="xs" variant="subtle" color="red" loading={revoke.isPending && revoke.variables === d.id}
                            onClick={() => revoke.mutate(d.id)} aria-label={`Sign out ${describeUserAgent(d.userAgent)} (${d.ip ?? 'unknown IP'})`}>
                            Sign out
                          </Button>
                        )}
                      </Table.Td>
                    </Table.Tr>
                  ))}
                </Table.Tbody>
              </Table>
            </Table.ScrollContainer>
          )}
    </Card>
  );
}
