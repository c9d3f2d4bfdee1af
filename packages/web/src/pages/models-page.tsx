import type { LlmModel, ProviderId, ProviderStatus, ProviderTestResult } from '@coditect/contract';
import {
  Badge, Button, Card, Container, Group, PasswordInput, SimpleGrid, Stack, Switch, Text, TextInput, Title, Tooltip,
} from '@mantine/core';
import { IconArrowsSplit, IconPlugConnected, IconTrash } from '@tabler/icons-react';
import { Link } from 'react-router';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { api } from '../api/api';
import { notify } from '../components/notify';
import { PageHeader } from '../components/page-header';
import { serverFieldErrors } from '../forms/field-errors';
import { ErrorState, LoadingState } from '../components/state-views';
import { formatDuration } from '../format/units';
import { timeAgo } from '../sessions/format-time';

type Shown = ProviderStatus['verification'] | 'disabled';
const STATUS_COLOR: Record<Shown, string> = { verified: 'teal', untested: 'blue', disabled: 'gray', not_configured: 'gray', failing: 'red' };
const STATUS_LABEL: Record<Shown, string> = { verified: 'Verified', untested: 'Untested', disabled: 'Disabled', not_configured: 'Not configured', failing: 'Failing' };

/** The one-line truth under the badge: when it last answered, or when and how it last failed. */
function checkLine(p: ProviderStatus): string | null {
  if (p.verification === 'failing') return `Last check failed${p.lastCheckedAt ? ` ${timeAgo(p.lastCheckedAt)}` : ''}: ${p.lastError}`;
  if (p.verification === 'verified' && p.lastVerifiedAt) return `Answered ${timeAgo(p.lastVerifiedAt)}`;
  if (p.verification === 'untested') return 'Not checked yet: use Test connection';
  return null;
}

function ProviderCard({ provider, models }: { provider: ProviderStatus; models: LlmModel[] }) {
  const client = useQueryClient();
  const [apiKey, setApiKey] = useState('');
  const [baseUrl, setBaseUrl] = useState(provider.keySource === 'server' ? '' : provider.baseUrl ?? '');
  const [test, setTest] = useState<ProviderTestResult | undefined>();
  const [keyError, setKeyError] = useState<string | null>(null);
  const refresh = () => Promise.all([
    client.invalidateQueries({ queryKey: ['llm-providers'] }), client.invalidateQueries({ queryKey: ['llm-models'] }),
  ]);
  const save = useMutation({
    mutationFn: (input: { enabled: boolean; apiKey?: string; baseUrl?: string | null }) =>
      api.call('putProvider', { params: { provider: provider.provider }, body: input }),
    onSuccess: () => { setApiKey(''); setTest(undefined); notify.success(`${provider.label} saved.`); return refresh(); },
    onError: (err) => {
      const fields = serverFieldErrors(err);
      if (fields.apiKey) setKeyError(fields.apiKey);
      else if (fields.baseUrl) setUrlError(fields.baseUrl);
      else notify.error(err, `Could not save ${provider.label}`);
    },
  });
  const [urlError, setUrlError] = useState<string | null>(null);
  const remove = useMutation({
    mutationFn: () => api.call('deleteProvider', { params: { provider: provider.provider } }),
    onSuccess: () => { setTest(undefined); notify.success(`${provider.label} settings removed.`); return refresh(); },
    onError: (err) => notify.error(err, `Could not remove ${provider.label}`),
  });
  const testConnection = useMutation({
    mutationFn: () => api.call('testProvider', { params: { provider: provider.provider } }),
    onSuccess: (r) => { setTest(r); return refresh(); },
    onError: (err) => notify.error(err, `Could not test ${provider.label}`),
  });
  const local = provider.provider === 'local';
  const submit = (enabled = provider.enabled || Boolean(apiKey.trim()) || provider.status === 'not_configured') => {
    // Saving a provider that needs a key without one would store nothing usable and claim success.
    if (provider.requiresKey && !provider.keyHint && !apiKey.trim()) {
      setKeyError(`Paste your ${provider.label} API key to save`);
      return;
    }
    save.mutate({
      enabled,
      ...(apiKey.trim() ? { apiKey: apiKey.trim() } : {}),
      ...(!local ? { baseUrl: baseUrl.trim() ? baseUrl.trim() : null } : {}),
    });
  };
  const shown: Shown = provider.verification === 'not_configured' ? 'not_configured' : !provider.enabled ? 'disabled' : provider.verification;
  const check = provider.enabled ? checkLine(provider) : null;

  return (
    <Card p="lg" data-testid="provider-card" data-provider={provider.provider} data-status={provider.status} data-verification={provider.verification}>
      <Group justify="space-between" align="flex-start" mb="sm">
        <div>
          <Group gap="xs">
            <Title order={3} fz="md">{provider.label}</Title>
            <Badge color={STATUS_COLOR[shown]} c={`${STATUS_COLOR[shown]}.9`} variant="light" data-testid="provider-status">{STATUS_LABEL[shown]}</Badge>
          </Group>
          <Text size="xs" c="dimmed">
            {provider.keyHint ? <>Key ••••{provider.keyHint} ({provider.keySource === 'server' ? 'server default' : 'yours'})</>
              : provider.requiresKey ? 'No key' : 'No key needed'}
            {provider.baseUrl ? <> · {provider.baseUrl}</> : null}
          </Text>
        </div>
        <Switch aria-label={`Enable ${provider.label}`} checked={provider.enabled} disabled={save.isPending || (provider.requiresKey && !provider.keyHint && !apiKey)}
          onChange={(e) => submit(e.currentTarget.checked)} label="Enabled" labelPosition="left" />
      </Group>
      {check && <Text size="xs" c={provider.verification === 'failing' ? 'red' : 'dimmed'} mb="xs" data-testid="provider-check">{check}</Text>}
      {!local && (
        <Stack gap="xs">
          {provider.requiresKey && (
            <PasswordInput label="API key" placeholder={provider.keyHint ? `••••${provider.keyHint} (leave empty to keep)` : 'Paste the key'}
              value={apiKey} error={keyError} onChange={(e) => { setApiKey(e.currentTarget.value); setKeyError(null); }} autoComplete="off" />
          )}
          <TextInput label="Base URL" placeholder="Default" value={baseUrl} error={urlError} onChange={(e) => { setBaseUrl(e.currentTarget.value); setUrlError(null); }} />
        </Stack>
      )}
      <Group gap="xs" mt="sm">
        {!local && <Button size="xs" onClick={() => submit()} loading={save.isPending}>Save</Button>}
        <Button size="xs" variant="default" leftSection={<IconPlugConnected size={14} />} loading={testConnection.isPending}
          onClick={() => testConnection.mutate()}>Test connection</Button>
        {provider.updatedAt && provider.keySource !== 'server' && (
          <Tooltip label="Forget your key and settings for this provider">
            <Button size="xs" variant="subtle" color="red" leftSection={<IconTrash size={14} />} loading={remove.isPending}
              onClick={() => remove.mutate()}>Remove</Button>
          </Tooltip>
        )}
      </Group>
      {test && (
        <Text size="xs" mt="xs" c={test.ok ? 'teal' : 'red'} data-testid="provider-test">
          {test.ok ? '✓' : '✗'} {test.message} ({formatDuration(test.latencyMs)})
        </Text>
      )}
      {models.length > 0 && (
        <Stack gap={2} mt="sm">
          <Text size="xs" fw={600}>Models offered ({models.length})</Text>
          <Group gap={4}>
            {models.slice(0, 24).map((m) => (
              <Tooltip key={m.id} label={m.pricing ? `$${m.pricing.inputPerMTok} in / $${m.pricing.outputPerMTok} out per MTok` : 'Price unknown or free'}>
                <Badge variant="outline" size="sm" tt="none" data-testid="provider-model">{m.id}</Badge>
              </Tooltip>
            ))}
            {models.length > 24 && <Text size="xs" c="dimmed">+{models.length - 24} more</Text>}
          </Group>
        </Stack>
      )}
    </Card>
  );
}

/** Models & keys: each provider's status, key hint, base URL, enable switch, connection test and models. */
export function ModelsPage() {
  const providers = useQuery({ queryKey: ['llm-providers'], queryFn: ({ signal }) => api.call('listProviders', { signal }) });
  const models = useQuery({ queryKey: ['llm-models'], queryFn: ({ signal }) => api.call('listModels', { signal }) });
  const byProvider = new Map<ProviderId, LlmModel[]>();
  for (const m of models.data?.items ?? []) byProvider.set(m.provider, [...(byProvider.get(m.provider) ?? []), m]);
  return (
    <Container size="lg" py="xl" className="page-enter">
      <PageHeader title="Models & keys" description="Add a provider key once: its models appear in the IDE chat, completion, compare view and terminal. Keys are encrypted on the server and never sent back."
        actions={<Button variant="default" component={Link} to="/compare" leftSection={<IconArrowsSplit size={16} />}>Compare models</Button>} />
      {providers.isPending ? <LoadingState label="Loading providers…" />
        : providers.isError ? <ErrorState error={providers.error} onRetry={() => void providers.refetch()} />
          : (
            <Stack gap="md">
              {(models.data?.errors ?? []).map((e) => (
                <Text key={e.provider} size="sm" c="red">{e.message}</Text>
              ))}
              <SimpleGrid cols={{ base: 1, md: 2 }} spacing="md">
                {providers.data.items.map((p) => <ProviderCard key={p.provider} provider={p} models={byProvider.get(p.provider) ?? []} />)}
              </SimpleGrid>
            </Stack>
          )}
    </Container>
  );
}
