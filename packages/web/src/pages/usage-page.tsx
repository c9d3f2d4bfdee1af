import { BudgetLimitUsd } from '@coditect/contract';
import { Button, Card, Container, Group, SimpleGrid, Stack, Table, Text, TextInput, Title } from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { api } from '../api/api';
import { daysBetween, UsageChart } from '../ai/usage-chart';
import { notify } from '../components/notify';
import { PageHeader } from '../components/page-header';
import { ErrorState, LoadingState } from '../components/state-views';
import { serverFieldErrors } from '../forms/field-errors';
import { formatDuration, formatUsd as usd } from '../format/units';


/** Reads the typed limit exactly as typed (no clamping, no rounding) and checks it with the API's rule. */
export function parseBudgetInput(text: string): { value: number } | { error: string } {
  const trimmed = text.trim().replace(/^\$/, '');
  if (!/^-?\d*(?:\.\d*)?$/.test(trimmed) || trimmed === '' || trimmed === '.' || trimmed === '-') {
    return { error: 'Enter an amount in dollars, e.g. 25 or 12.50' };
  }
  const parsed = BudgetLimitUsd.safeParse(Number(trimmed));
  return parsed.success ? { value: parsed.data } : { error: parsed.error.issues[0]?.message ?? 'Invalid amount' };
}

function Stat({ label, value, testId }: { label: string; value: string; testId?: string }) {
  return (
    <Card p="md">
      <Text size="xs" c="dimmed" tt="uppercase" fw={600}>{label}</Text>
      <Text fz="xl" fw={700} data-testid={testId}>{value}</Text>
    </Card>
  );
}

function BudgetCard() {
  const client = useQueryClient();
  const budget = useQuery({ queryKey: ['llm-budget'], queryFn: ({ signal }) => api.call('getBudget', { signal }) });
  const [limit, setLimit] = useState('');
  const [error, setError] = useState<string | null>(null);
  const save = useMutation({
    mutationFn: (monthlyLimitUsd: number | null) => api.call('putBudget', { body: { monthlyLimitUsd } }),
    onSuccess: () => { notify.success('Budget saved.'); setLimit(''); return client.invalidateQueries({ queryKey: ['llm-budget'] }); },
    onError: (err) => {
      const field = serverFieldErrors(err).monthlyLimitUsd;
      if (field) setError(field);
      else notify.error(err, 'Could not save the budget');
    },
  });
  function submit() {
    const parsed = parseBudgetInput(limit);
    if ('error' in parsed) { setError(parsed.error); return; }
    setError(null);
    save.mutate(parsed.value);
  }
  if (budget.isPending) return <LoadingState label="Loading budget…" />;
  if (budget.isError) return <ErrorState error={budget.error} onRetry={() => void budget.refetch()} />;
  const b = budget.data;
  return (
    <Card p="lg">
      <Title order={2} fz="md" mb={4}>Budget for {b.month}</Title>
      <Text size="sm" data-testid="budget-left">
        {b.monthlyLimitUsd == null ? `No monthly limit · ${usd(b.spentUsd)} spent`
          : `${usd(b.remainingUsd ?? 0)} left of ${usd(b.monthlyLimitUsd)} · ${usd(b.spentUsd)} spent`}
      </Text>
      <Group mt="sm" align="flex-start" gap="xs">
        <TextInput label="Monthly limit (USD)" placeholder={b.monthlyLimitUsd == null ? 'None' : String(b.monthlyLimitUsd)} inputMode="decimal"
          value={limit} error={error} w={220}
          onChange={(e) => { setLimit(e.currentTarget.value); setError(null); }}
          onKeyDown={(e) => { if (e.key === 'Enter' && limit.trim() !== '') submit(); }} />
        <Button size="sm" mt={25} disabled={limit.trim() === ''} loading={save.isPending} onClick={submit}>Set</Button>
        {b.monthlyLimitUsd != null && <Button size="sm" mt={25} variant="default" onClick={() => save.mutate(null)}>Remove limit</Button>}
      </Group>
    </Card>
  );
}

/** Usage: tokens and cost by day and by model for the last 30 days, and the budget left. */
export function UsagePage() {
  const usage = useQuery({ queryKey: ['llm-usage'], queryFn: ({ signal }) => api.call('getUsage', { query: {}, signal }), refetchInterval: 30_000 });
  return (
    <Container size="lg" py="xl" className="page-enter">
      <PageHeader title="Usage" description="Every call through the gateway — IDE chat, completion, compare, the terminal and the CLI — counted by day and model." />
      {usage.isPending ? <LoadingState label="Loading usage…" />
        : usage.isError ? <ErrorState error={usage.error} onRetry={() => void usage.refetch()} />
          : (() => {
            const u = usage.data;
            const byDay = new Map(u.byDay.map((d) => [d.key, d]));
            const days = daysBetween(u.from, u.to).map((day) => {
              const d = byDay.get(day);
              return { day, tokens: d ? d.inputTokens + d.outputTokens : 0, costUsd: d?.costUsd ?? 0 };
            });
            return (
              <Stack gap="lg">
                <SimpleGrid cols={{ base: 2, md: 4 }} spacing="md">
                  <Stat label="Requests" value={u.totals.requests.toLocaleString()} testId="usage-requests" />
                  <Stat label="Tokens" value={(u.totals.inputTokens + u.totals.outputTokens).toLocaleString()} testId="usage-tokens" />
                  <Stat label="Cost" value={usd(u.totals.costUsd)} testId="usage-cost" />
                  <Stat label="Avg latency" value={u.totals.avgLatencyMs == null ? '—' : formatDuration(u.totals.avgLatencyMs)} />
                </SimpleGrid>
                <Card p="lg">
                  <Title order={2} fz="md" mb="sm">Tokens per day ({u.from} – {u.to})</Title>
                  <UsageChart days={days} />
                </Card>
                <Card p="lg">
                  <Title order={2} fz="md" mb="sm">By model</Title>
                  {u.byModel.length === 0 ? <Text size="sm" c="dimmed">No calls yet.</Text> : (
                    <Table.ScrollContainer minWidth={560}>
                      <Table aria-label="Usage by model">
                        <Table.Thead>
                          <Table.Tr><Table.Th>Model</Table.Th><Table.Th>Requests</Table.Th><Table.Th>Errors</Table.Th><Table.Th>Input tokens</Table.Th><Table.Th>Output tokens</Table.Th><Table.Th>Cost</Table.Th></Table.Tr>
                        </Table.Thead>
                        <Table.Tbody>
                          {u.byModel.map((m) => (
                            <Table.Tr key={m.key} data-testid="usage-model-row" data-model={m.key}>
                              <Table.Td ff="monospace">{m.key}</Table.Td>
                              <Table.Td>{m.requests}</Table.Td>
                              <Table.Td>{m.errors}</Table.Td>
                              <Table.Td>{m.inputTokens.toLocaleString()}</Table.Td>
                              <Table.Td>{m.outputTokens.toLocaleString()}</Table.Td>
                              <Table.Td>{usd(m.costUsd)}</Table.Td>
                            </Table.Tr>
                          ))}
                        </Table.Tbody>
                      </Table>
                    </Table.ScrollContainer>
                  )}
                </Card>
                <Card p="lg">
                  <Title order={2} fz="md" mb="sm">By day</Title>
                  <Table aria-label="Usage by day">
                    <Table.Thead><Table.Tr><Table.Th>Day</Table.Th><Table.Th>Requests</Table.Th><Table.Th>Tokens</Table.Th><Table.Th>Cost</Table.Th></Table.Tr></Table.Thead>
                    <Table.Tbody>
                      {[...u.byDay].reverse().map((d) => (
                        <Table.Tr key={d.key}><Table.Td>{d.key}</Table.Td><Table.Td>{d.requests}</Table.Td>
                          <Table.Td>{(d.inputTokens + d.outputTokens).toLocaleString()}</Table.Td><Table.Td>{usd(d.costUsd)}</Table.Td></Table.Tr>
                      ))}
                    </Table.Tbody>
                  </Table>
                </Card>
                <BudgetCard />
              </Stack>
            );
          })()}
    </Container>
  );
}
