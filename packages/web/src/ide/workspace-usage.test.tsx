/** @vitest-environment happy-dom */
import { MantineProvider } from '@mantine/core';
import type { WorkspaceUsage } from '@coditect/contract';
import { cleanup, render, screen } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { theme } from '../theme';
import { WorkspaceUsageView } from './workspace-usage';

afterEach(() => cleanup());

const usage: WorkspaceUsage = {
  cpuSeconds: 12.3, cpuPercent: 37, cpuLimit: 1, memoryBytes: 115 * 1024 ** 2, memoryLimitBytes: 2 * 1024 ** 3,
  pids: 13, pidsLimit: 512, oomKills: 0, diskBytes: 36 * 1024, tenantDiskBytes: 36 * 1024, diskQuotaBytes: 1024 ** 3,
  diskQuotaExceeded: false, diskState: 'ok',
};
const show = (u: WorkspaceUsage) => render(<MantineProvider theme={theme}><WorkspaceUsageView usage={u} /></MantineProvider>);

describe('the workspace usage line', () => {
  it('shows CPU, memory, processes and disk in short units', () => {
    show(usage);
    expect(screen.getByText('CPU 37% of 1 · Mem 115 MB / 2.0 GB · Procs 13 / 512 · Disk 36 KB')).toBeTruthy();
  });

  it('shows only the disk of a stopped session', () => {
    show({ ...usage, cpuSeconds: null, cpuPercent: null, cpuLimit: null, memoryBytes: null, memoryLimitBytes: null, pids: null, pidsLimit: null, oomKills: null });
    expect(screen.getByText('Disk 36 KB')).toBeTruthy();
  });

  it('says so when the disk quota is exceeded, and when the workspace was stopped for it', () => {
    show({ ...usage, diskQuotaExceeded: true, diskState: 'writes_blocked' });
    expect(screen.getByText(/Disk quota exceeded: writes fail inside the workspace/)).toBeTruthy();
    cleanup();
    show({ ...usage, diskQuotaExceeded: true, diskState: 'stopped' });
    expect(screen.getByText(/Stopped: disk quota exceeded/)).toBeTruthy();
  });
});
