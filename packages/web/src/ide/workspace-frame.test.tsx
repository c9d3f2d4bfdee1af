/** @vitest-environment happy-dom */
import { MantineProvider } from '@mantine/core';
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { cleanup, render, screen } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { theme } from '../theme';

const openAnswer = vi.hoisted(() => ({ current: {} as Record<string, unknown> }));
vi.mock('../api/api', () => ({
  api: { call: vi.fn(async () => ({ url: 'about:blank?t=x', status: 'running', ...openAnswer.current })) },
}));
const { WorkspaceFrame, restoredLabel } = await import('./workspace-frame');

afterEach(() => cleanup());
const show = () => render(
  <QueryClientProvider client={new QueryClient()}>
    <MantineProvider theme={theme}><WorkspaceFrame sessionId="s" visible /></MantineProvider>
  </QueryClientProvider>,
);

describe('the IDE tab after its node was lost', () => {
  it('says "Restored from HH:MM:SS" when the open rebuilt the workspace from its recovery point', async () => {
    const at = '2026-12-02T07:03:27.000Z';
    openAnswer.current = { restoredFrom: at };
    show();
    const notice = await screen.findByTestId('ide-restored');
    expect(restoredLabel(at)).toMatch(/^\d\d:\d\d:\d\d$/);
    expect(notice.textContent).toContain(`Restored from ${restoredLabel(at)}`);
  });

  it('says nothing on an ordinary open', async () => {
    openAnswer.current = {};
    show();
    await screen.findByTitle('Workspace IDE');
    expect(screen.queryByTestId('ide-restored')).toBeNull();
  });
});
