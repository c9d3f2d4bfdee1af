import type { ChatStreamEvent, UsageEvent } from '@coditect/contract';
import { Alert, Anchor, Button, Card, Container, MultiSelect, SimpleGrid, Stack, Text, Textarea, Title } from '@mantine/core';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useRef, useState } from 'react';
import { Link } from 'react-router';
import { api } from '../api/api';
import { errorMessage } from '../api/error-message';
import { compareBlocker } from '../compare/compare-readiness';
import { compareStream } from '../compare/compare-stream';
import { PageHeader } from '../components/page-header';
import { ErrorState, LoadingState } from '../components/state-views';
import { formatDuration, formatUsd } from '../format/units';

interface Column { model: string; text: string; usage?: UsageEvent; error?: string }

/** Compare: one prompt to 2–4 models side by side (the IDE's Compare view, reachable from the web app). */
export function ComparePage() {
  const models = useQuery({ queryKey: ['llm-models'], queryFn: ({ signal }) => api.call('listModels', { signal }) });
  const client = useQueryClient();
  const [selected, setSelected] = useState<string[]>([]);
  const [prompt, setPrompt] = useState('');
  const [columns, setColumns] = useState<Column[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [running, setRunning] = useState(false);
  const abort = useRef<AbortController | null>(null);

  const options = (models.data?.items ?? []).map((m) => ({ value: m.id, label: `${m.name} (${m.provider})` }));
  const blocker = compareBlocker(options.length, selected.length, prompt);

  async function run() {
    abort.current?.abort();
    const controller = new AbortController();
    abort.current = controller;
    setError(null);
    setRunning(true);
    setColumns(selected.map((model) => ({ model, text: '' })));
    const update = (model: string | null, change: (c: Column) => Column) =>
      setColumns((cols) => cols.map((c) => (model === null || c.model === model ? change(c) : c)));
    try {
      for await (const event of compareStream({ models: selected, messages: [{ role: 'user', content: prompt }] }, controller.signal)) {
        apply(event, update);
      }
    } catch (err) {
      if ((err as Error).name !== 'AbortError') setError(errorMessage(err));
    } finally {
      setRunning(false);
      void client.invalidateQueries({ queryKey: ['llm-usage'] });
    }
  }

  return (
    <Container size="xl" py="xl" className="page-enter">
      <PageHeader title="Compare models" description="Send one prompt to two to four models and read the answers side by side, with tokens, cost and time for each." />
      {models.isPending ? <LoadingState label="Loading models…" />
        : models.isError ? <ErrorState error={models.error} onRetry={() => void models.refetch()} />
          : (
            <Stack gap="md">
              <Card p="lg">
                <Stack gap="sm">
                  <MultiSelect label="Models" placeholder={selected.length ? undefined : 'Pick two to four'} data={options} value={selected}
                    onChange={setSelected} maxValues={4} searchable clearable nothingFoundMessage="No such model" />
                  <Textarea label="Prompt" autosize minRows={3} maxRows={12} value={prompt} onChange={(e) => setPrompt(e.currentTarget.value)} />
                  {blocker && (
                    <Text size="sm" c="dimmed" id="compare-needs" data-testid="compare-needs">
                      {blocker}{options.length < 2 && <> <Anchor component={Link} to="/models">Open Models &amp; keys</Anchor></>}
                    </Text>
                  )}
                  <div>
                    <Button onClick={() => void run()} disabled={blocker !== null} loading={running}
                      aria-describedby={blocker ? 'compare-needs' : undefined}>Compare</Button>
                    {running && <Button variant="subtle" ml="xs" onClick={() => abort.current?.abort()}>Stop</Button>}
                  </div>
                </Stack>
              </Card>
              {error && <Alert color="red" variant="light" role="alert">{error}</Alert>}
              {columns.length > 0 && (
                <SimpleGrid cols={{ base: 1, md: Math.min(columns.length, 4) }} spacing="md">
                  {columns.map((c) => (
                    <Card key={c.model} p="md" data-testid="compare-column" data-model={c.model}>
                      <Title order={2} fz="sm" ff="monospace" mb="xs">{c.model}</Title>
                      {c.error ? <Text size="sm" c="red">{c.error}</Text>
                        : <Text size="sm" style={{ whiteSpace: 'pre-wrap' }}>{c.text || (running ? '…' : '')}</Text>}
                      {c.usage && (
                        <Text size="xs" c="dimmed" mt="sm">
                          {(c.usage.inputTokens + c.usage.outputTokens).toLocaleString()} tokens · {formatUsd(c.usage.costUsd)} · {formatDuration(c.usage.latencyMs)}
                        </Text>
                      )}
                    </Card>
                  ))}
                </SimpleGrid>
              )}
            </Stack>
          )}
    </Container>
  );
}

function apply(event: ChatStreamEvent, update: (model: string | null, change: (c: Column) => Column) => void): void {
  if (event.type === 'delta') update(event.model, (c) => ({ ...c, text: c.text + event.text }));
  else if (event.type === 'usage') update(event.model, (c) => ({ ...c, usage: event }));
  else if (event.type === 'error') update(event.model, (c) => ({ ...c, error: event.message }));
}
