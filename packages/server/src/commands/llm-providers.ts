import type { LlmModel, ModelList, ProviderId, ProviderList, ProviderStatus, ProviderTestResult, PutProviderRequest } from '@coditect/contract';
import type { Deps } from '../deps.js';
import { refusalMessage } from '../egress/egress-policy.js';
import { AppError, notFound } from '../http/app-error.js';
import type { AuthContext } from '../http/authenticate.js';
import type { LlmGateway } from '../llm/gateway.js';
import { keyHint } from '../llm/key-vault.js';
import { keyContext, trustedBaseUrl } from '../llm/provider-settings.js';
import { UpstreamError } from '../llm/providers/types.js';
import { presentProviderStatus } from '../presenters/llm.js';
import { bool } from '../store/database.js';
import {
  deleteProviderCredential, findProviderCredential, markProviderChecked, upsertProviderCredential,
} from '../store/repositories/provider-credentials.js';

/** How long `GET /models` waits for a provider that lists its models live. */
const LISTING_TIMEOUT_MS = 5_000;

export async function listProviders(gateway: LlmGateway, auth: AuthContext): Promise<ProviderList> {
  const providers = await gateway.providers(auth.tenantId);
  return { items: [...providers.values()].map((p) => presentProviderStatus(gateway.registry[p.provider], p)) };
}

/**
 * Stores a tenant's key (encrypted), base URL and enabled flag. An omitted key
 * keeps the stored one, unless the base URL changes: a key is never sent to a
 * URL it was not given with. A new base URL must pass the egress policy.
 */
export async function putProvider(
  deps: Deps, gateway: LlmGateway, auth: AuthContext, provider: ProviderId, input: PutProviderRequest,
): Promise<ProviderStatus> {
  if (provider === 'local' && (input.apiKey || input.baseUrl)) {
    throw new AppError('validation_failed', 'The local provider takes no key or base URL (the operator sets its model file)', {
      details: [{ path: input.apiKey ? 'apiKey' : 'baseUrl', message: 'Not allowed for provider local', code: 'not_allowed' }],
    });
  }
  const at = deps.now().toISOString();
  // The operator's URL (or a cloud provider's own) is trusted; any other URL a tenant sends must pass the egress policy.
  const adapter = gateway.registry[provider];
  const trusted = trustedBaseUrl(deps.config.llm, adapter);
  if (input.baseUrl && input.baseUrl !== trusted) await checkBaseUrl(deps, input.baseUrl);
  const fallbackUrl = deps.config.llm.providers[provider]?.baseUrl ?? adapter.defaultBaseUrl;
  // Sending back the URL in effect (forms do) changes nothing: neither the stored URL nor the key.
  const changesUrl = (existing: { base_url: string | null } | undefined) => input.baseUrl !== undefined
    && input.baseUrl !== (existing?.base_url ?? null) && input.baseUrl !== (existing?.base_url ?? fallbackUrl);
  await deps.store.tenant(auth.tenantId, async (tx) => {
    const existing = await findProviderCredential(tx, auth.tenantId, provider);
    const encrypted = input.apiKey ? gateway.vault.encrypt(input.apiKey, keyContext(auth.tenantId, provider)) : undefined;
    const keepKey = !changesUrl(existing);
    // A new key or URL has not been checked yet; an unchanged one keeps its record.
    const unchanged = keepKey && !input.apiKey && existing !== undefined;
    // The URL in effect without one is stored as "none" (it follows the operator's setting).
    const baseUrl = keepKey ? existing?.base_url ?? null : input.baseUrl === fallbackUrl ? null : input.baseUrl ?? null;
    await upsertProviderCredential(tx, {
      tenant_id: auth.tenantId,
      provider,
      encrypted_key: encrypted ?? (keepKey ? existing?.encrypted_key ?? null : null),
      key_hint: input.apiKey ? keyHint(input.apiKey) : keepKey ? existing?.key_hint ?? null : null,
      base_url: baseUrl,
      enabled: bool(input.enabled),
      last_error: unchanged ? existing.last_error : null,
      last_used_at: existing?.last_used_at ?? null,
      last_checked_at: unchanged ? existing.last_checked_at : null,
      last_verified_at: unchanged ? existing.last_verified_at : null,
      created_at: existing?.created_at ?? at,
      updated_at: at,
    });
  });
  const providers = await gateway.providers(auth.tenantId);
  return presentProviderStatus(gateway.registry[provider], providers.get(provider)!);
}

/**
 * Refuses a base URL whose host is (or resolves to) an address the egress
 * policy denies. A name that does not resolve yet is accepted: the policy
 * checks it again at every connect.
 */
async function checkBaseUrl(deps: Deps, baseUrl: string): Promise<void> {
  const decision = await deps.egress.check(baseUrl);
  if (decision.allowed || decision.reason === 'unresolvable') return;
  if (decision.reason === 'invalid') {
    throw new AppError('validation_failed', 'baseUrl: not a valid http(s) URL', {
      details: [{ path: 'baseUrl', message: 'Not a valid http(s) URL', code: 'invalid_format' }],
    });
  }
  const message = refusalMessage('The base URL', decision.reason);
  throw new AppError('egress_denied', message, { details: [{ path: 'baseUrl', message, code: decision.reason }] });
}

export async function deleteProvider(deps: Deps, auth: AuthContext, provider: ProviderId): Promise<void> {
  const ok = await deps.store.tenant(auth.tenantId, (tx) => deleteProviderCredential(tx, auth.tenantId, provider));
  if (!ok) throw notFound('Provider settings');
}

/** Every configured provider's models; live listings run in parallel and a failing one is reported, not fatal. */
export async function listModels(gateway: LlmGateway, auth: AuthContext): Promise<ModelList> {
  const providers = [...(await gateway.providers(auth.tenantId)).values()].filter((p) => p.configured);
  const results = await Promise.all(providers.map(async (p) => {
    try {
      return { items: await gateway.registry[p.provider].listModels(p.settings, AbortSignal.timeout(LISTING_TIMEOUT_MS)) };
    } catch (err) {
      const message = err instanceof UpstreamError ? err.message
        : (err as Error).name === 'TimeoutError' ? `${gateway.registry[p.provider].label} did not list its models within ${LISTING_TIMEOUT_MS} ms`
          : `${gateway.registry[p.provider].label} model listing failed`;
      return { error: { provider: p.provider, message } };
    }
  }));
  const items: LlmModel[] = results.flatMap((r) => r.items ?? []);
  return { items, errors: results.flatMap((r) => (r.error ? [r.error] : [])) };
}

/** How long a connection test may take. */
const TEST_TIMEOUT_MS = 15_000;

/**
 * Tests a provider with the tenant's settings: a provider that lists its models live is asked for
 * them; one with a fixed catalog gets a one-token request to its first model. The answer carries the
 * adapter's provider-named error text, never a key.
 */
export async function testProvider(deps: Deps, gateway: LlmGateway, auth: AuthContext, provider: ProviderId): Promise<ProviderTestResult> {
  const outcome = await runProviderTest(gateway, auth, provider);
  // Only a real attempt is recorded: "not configured" or "disabled" says nothing about the provider.
  if (outcome.attempted) {
    const at = deps.now().toISOString();
    await deps.store.tenant(auth.tenantId, (tx) =>
      markProviderChecked(tx, auth.tenantId, provider, at, outcome.result.ok ? null : outcome.result.message));
  }
  return outcome.result;
}

async function runProviderTest(
  gateway: LlmGateway, auth: AuthContext, provider: ProviderId,
): Promise<{ attempted: boolean; result: ProviderTestResult }> {
  const resolved = (await gateway.providers(auth.tenantId)).get(provider);
  const adapter = gateway.registry[provider];
  const started = Date.now();
  const result = (ok: boolean, message: string, models: number | null = null): ProviderTestResult =>
    ({ provider, ok, latencyMs: Date.now() - started, message, models });
  if (!resolved?.configured) {
    return { attempted: false, result: result(false, resolved && !resolved.enabled ? `${adapter.label} is disabled` : `${adapter.label} is not configured: add a key`) };
  }
  const signal = AbortSignal.timeout(TEST_TIMEOUT_MS);
  try {
    const models = await adapter.listModels(resolved.settings, signal);
    if (models.some((m) => m.source === 'upstream')) return { attempted: true, result: result(true, `${adapter.label} listed ${models.length} models`, models.length) };
    const first = models[0];
    if (!first) return { attempted: true, result: result(false, `${adapter.label} offers no model`, 0) };
    // The adapter yields batches of parts; the first delta or usage proves the round trip.
    answered: for await (const batch of adapter.stream(resolved.settings, { model: first.model, messages: [{ role: 'user', content: 'ping' }], maxTokens: 1 }, signal)) {
      for (const part of batch) if (part.type === 'delta' || part.type === 'usage') break answered;
    }
    return { attempted: true, result: result(true, `${adapter.label} answered a 1-token request to ${first.id}`, models.length) };
  } catch (err) {
    const message = err instanceof UpstreamError ? err.message
      : (err as Error).name === 'TimeoutError' ? `${adapter.label} did not answer within ${TEST_TIMEOUT_MS} ms`
        : `${adapter.label} connection test failed`;
    return { attempted: true, result: result(false, message) };
  }
}
