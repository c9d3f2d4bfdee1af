import { ActionIcon, Menu, Text } from '@mantine/core';
import { IconArrowLeft, IconArrowRight, IconDotsVertical, IconPlayerStop, IconX } from '@tabler/icons-react';
import { formatDateTime } from '../sessions/format-time';
import { useSession } from '../sessions/use-sessions';
import { WorkspaceUsageLine } from './workspace-usage';

interface Props {
  id: string;
  index: number;
  count: number;
  /** The tab is in front (its menu button is in the tab order). */
  selected: boolean;
  onMove(id: string, to: number): void;
  onStop(id: string): void;
  onClose(id: string): void;
}

/** What used to take a row above the IDE: name, resource use, last opened, id. Shown only while the menu is open. */
function SessionDetails({ id }: { id: string }) {
  const { data: session } = useSession(id);
  if (!session) return null;
  return (
    // A group is what a menu may hold besides its items (a plain block of text inside role=menu is not allowed).
    <div role="group" aria-label="Session details" style={{ padding: '6px 12px 8px', maxWidth: 320 }} data-testid="session-details">
      <Text size="sm" fw={600} truncate data-testid="session-title">{session.name}</Text>
      <WorkspaceUsageLine sessionId={id} visible />
      <Text size="xs" c="dimmed">
        {session.lastOpenedAt ? `Last opened ${formatDateTime(session.lastOpenedAt)}` : 'First open'}
      </Text>
      <Text size="xs" c="dimmed" ff="monospace" truncate>{session.id}</Text>
    </div>
  );
}

/** One tab's menu: the session's details, then move, stop and close. */
export function SessionTabMenu({ id, index, count, selected, onMove, onStop, onClose }: Props) {
  return (
    <Menu position="bottom-start" width={300} withinPortal>
      <Menu.Target>
        <ActionIcon size="sm" variant="subtle" color="gray" aria-label="Tab actions" tabIndex={selected ? 0 : -1}>
          <IconDotsVertical size={14} />
        </ActionIcon>
      </Menu.Target>
      <Menu.Dropdown>
        <SessionDetails id={id} />
        <Menu.Divider />
        <Menu.Item leftSection={<IconArrowLeft size={14} />} disabled={index === 0} onClick={() => onMove(id, index - 1)}>
          Move left
        </Menu.Item>
        <Menu.Item leftSection={<IconArrowRight size={14} />} disabled={index === count - 1} onClick={() => onMove(id, index + 1)}>
          Move right
        </Menu.Item>
        <Menu.Divider />
        <Menu.Item leftSection={<IconPlayerStop size={14} />} onClick={() => onStop(id)}>Stop workspace</Menu.Item>
        <Menu.Item leftSection={<IconX size={14} />} onClick={() => onClose(id)}>Close tab</Menu.Item>
      </Menu.Dropdown>
    </Menu>
  );
}
