import { Group, Text, Tooltip } from '@mantine/core';
import { IconAlertTriangle } from '@tabler/icons-react';
import type { WorkspaceUsage } from '@coditect/contract';
import { useQuery } from '@tanstack/react-query';
import { api } from '../api/api';
import { formatBytes, formatOf } from '../format/units';

/** How often the line refreshes while its tab is in front. */
const POLL_MS = 5_000;

/** What to tell the user about the disk, or nothing when all is well. */
export function diskWarning(usage: WorkspaceUsage): string | undefined {
  if (usage.diskState === 'stopped') return 'Stopped: disk quota exceeded. Delete files (e.g. from another session or the files API) before starting it again.';
  if (usage.diskQuotaExceeded || usage.diskState === 'writes_blocked') return 'Disk quota exceeded: writes fail inside the workspace until you delete files.';
  return undefined;
}

/** The compact resource line of one session's tab: CPU, memory, processes, disk. */
export function WorkspaceUsageLine({ sessionId, visible }: { sessionId: string; visible: boolean }) {
  const { data } = useQuery({
    queryKey: ['workspace-status', sessionId],
    queryFn: ({ signal }) => api.call('workspaceStatus', { params: { id: sessionId }, signal }),
    refetchInterval: visible ? POLL_MS : false,
    enabled: visible,
  });
  return data?.usage ? <WorkspaceUsageView usage={data.usage} /> : null;
}

/** The line itself, for a given usage. */
export function WorkspaceUsageView({ usage }: { usage: WorkspaceUsage }) {
  const warning = diskWarning(usage);
  const parts = [
    usage.cpuPercent !== null ? `CPU ${usage.cpuPercent}%${usage.cpuLimit !== null ? ` of ${usage.cpuLimit}` : ''}` : null,
    usage.memoryBytes !== null ? `Mem ${formatOf(usage.memoryBytes, usage.memoryLimitBytes)}` : null,
    usage.pids !== null ? `Procs ${formatOf(usage.pids, usage.pidsLimit, String)}` : null,
    `Disk ${formatBytes(usage.diskBytes)}`,
  ].filter(Boolean);
  const details = [
    usage.cpuSeconds !== null ? `CPU time ${usage.cpuSeconds.toFixed(1)} s` : null,
    usage.oomKills ? `${usage.oomKills} process(es) killed for running out of memory` : null,
    `This session: ${formatBytes(usage.diskBytes)} (workspace + home)`,
    `All your sessions: ${formatOf(usage.tenantDiskBytes, usage.diskQuotaBytes)}`,
  ].filter(Boolean);
  return (
    <Tooltip label={<>{details.map((d) => <div key={d}>{d}</div>)}</>} multiline>
      <Group gap={6} wrap="nowrap" data-testid="workspace-usage">
        {warning && <IconAlertTriangle size={14} color="var(--mantine-color-red-6)" aria-hidden />}
        <Text size="xs" c={warning ? 'red' : 'dimmed'} truncate>
          {warning ?? parts.join(' · ')}
        </Text>
      </Group>
    </Tooltip>
  );
}
