import type { LlmModel, ModelList, ProviderId, ProviderList, ProviderStatus, PutProviderRequest } from '@coditect/contract';
import type { Deps } from '../deps.js';
import { AppError, notFound } from '../http/app-error.js';
import type { AuthContext } from '../http/authenticate.js';
import type { LlmGateway } from '../llm/gateway.js';
import { keyHint } from '../llm/key-vault.js';
import { keyContext } from '../llm/provider-settings.js';
import { UpstreamError } from '../llm/providers/types.js';
import { presentProviderStatus } from '../presenters/llm.js';
import { bool } from '../store/database.js';
import {
  deleteProviderCredential, findProviderCredential, upsertProviderCredential,
} from '../store/repositories/provider-credentials.js';

/** How long `GET /models` waits for a provider that lists its models live. */
const LISTING_TIMEOUT_MS = 5_000;

export async function listProviders(gateway: LlmGateway, auth: AuthContext): Promise<ProviderList> {
  const providers = await gateway.providers(auth.tenantId);
  return { items: [...providers.values()].map((p) => presentProviderStatus(gateway.registry[p.provider], p)) };
}

/** Stores a tenant's key (encrypted), base URL and enabled flag; an omitted key keeps the stored one. */
export async function putProvider(
  deps: Deps, gateway: LlmGateway, auth: AuthContext, provider: ProviderId, input: PutProviderRequest,
): Promise<ProviderStatus> {
  if (provider === 'local' && (input.apiKey || input.baseUrl)) {
    throw new AppError('validation_failed', 'The local provider takes no key or base URL (the operator sets its model file)', {
      details: [{ path: input.apiKey ? 'apiKey' : 'baseUrl', message: 'Not allowed for provider local', code: 'not_allowed' }],
    });
  }
  const at = deps.now().toISOString();
  await deps.store.tenant(auth.tenantId, async (tx) => {
    const existing = await findProviderCredential(tx, auth.tenantId, provider);
    const encrypted = input.apiKey ? gateway.vault.encrypt(input.apiKey, keyContext(auth.tenantId, provider)) : undefined;
    await upsertProviderCredential(tx, {
      tenant_id: auth.tenantId,
      provider,
      encrypted_key: encrypted ?? existing?.encrypted_key ?? null,
      key_hint: input.apiKey ? keyHint(input.apiKey) : existing?.key_hint ?? null,
      base_url: input.baseUrl === undefined ? existing?.base_url ?? null : input.baseUrl,
      enabled: bool(input.enabled),
      last_error: null,
      last_used_at: existing?.last_used_at ?? null,
      created_at: existing?.created_at ?? at,
      updated_at: at,
    });
  });
  const providers = await gateway.providers(auth.tenantId);
  return presentProviderStatus(gateway.registry[provider], providers.get(provider)!);
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
