import { PROVIDER_IDS, type ProviderId } from '@coditect/contract';
import type { LlmConfig } from '../config/config.js';
import type { EgressPolicy } from '../egress/egress-policy.js';
import { readBool, type Tx } from '../store/database.js';
import {
  listProviderCredentials, type ProviderCredentialRow,
} from '../store/repositories/provider-credentials.js';
import { keyHint, type KeyVault } from './key-vault.js';
import type { ProviderRegistry } from './providers/registry.js';
import type { ProviderAdapter, ProviderSettings } from './providers/types.js';

/** A provider as resolved for one tenant: its own settings over the server's defaults. */
export interface ResolvedProvider {
  provider: ProviderId;
  enabled: boolean;
  /** Enabled, and everything a call needs is present. */
  configured: boolean;
  settings: ProviderSettings;
  keySource: 'tenant' | 'server' | null;
  keyHint: string | null;
  row: ProviderCredentialRow | undefined;
}

/** The AAD that binds an encrypted key to its tenant and provider. */
export const keyContext = (tenantId: string, provider: string) => `provider-key:${tenantId}:${provider}`;

/**
 * The base URL a provider may use without the egress policy: the operator's
 * (`CODITECT_LLM_*_BASE_URL`), or else a cloud provider's own API root. The
 * built-in defaults of Ollama and LM Studio (loopback) are not trusted: the
 * operator did not point tenants there.
 */
export function trustedBaseUrl(config: LlmConfig, adapter: ProviderAdapter): string | null {
  return config.providers[adapter.id]?.baseUrl ?? (adapter.requiresKey ? adapter.defaultBaseUrl : null);
}

/**
 * Resolves every provider of a tenant. A tenant row wins over the server
 * defaults; a server key is never sent to a base URL the tenant chose, and a
 * base URL the tenant chose is reached only through the egress policy.
 */
export async function resolveProviders(
  tx: Tx, tenantId: string, config: LlmConfig, vault: KeyVault, registry: ProviderRegistry, hasLocalModel: boolean,
  egress: EgressPolicy,
): Promise<Map<ProviderId, ResolvedProvider>> {
  const rows = new Map((await listProviderCredentials(tx, tenantId)).map((r) => [r.provider, r]));
  const out = new Map<ProviderId, ResolvedProvider>();
  for (const provider of PROVIDER_IDS) {
    const adapter = registry[provider];
    const server = config.providers[provider] ?? {};
    const row = rows.get(provider);
    let settings: ProviderSettings = {};
    let keySource: ResolvedProvider['keySource'] = null;
    let hint: string | null = null;
    let enabled: boolean;
    if (row) {
      enabled = readBool(row.enabled);
      const baseUrl = row.base_url ?? server.baseUrl;
      let apiKey: string | undefined;
      if (row.encrypted_key) {
        apiKey = vault.decrypt(row.encrypted_key, keyContext(tenantId, provider));
        keySource = 'tenant';
        hint = row.key_hint;
      } else if (!row.base_url && server.apiKey) {
        apiKey = server.apiKey;
        keySource = 'server';
        hint = keyHint(server.apiKey);
      }
      settings = { apiKey, baseUrl };
    } else {
      settings = { apiKey: server.apiKey, baseUrl: server.baseUrl };
      if (server.apiKey) { keySource = 'server'; hint = keyHint(server.apiKey); }
      // Keyless providers are on by default only when the operator pointed them somewhere.
      enabled = adapter.requiresKey ? Boolean(server.apiKey)
        : provider === 'local' ? hasLocalModel : Boolean(server.baseUrl);
    }
    // Any URL but the trusted one (a tenant's own, or the loopback default of Ollama or LM Studio that the
    // operator did not choose) meets the egress policy at every connect.
    if ((settings.baseUrl ?? adapter.defaultBaseUrl) !== trustedBaseUrl(config, adapter)) settings.egress = egress;
    const reachable = provider === 'local' ? hasLocalModel
      : provider === 'openai-compatible' ? Boolean(settings.baseUrl) : true;
    const configured = enabled && reachable && (!adapter.requiresKey || Boolean(settings.apiKey));
    out.set(provider, { provider, enabled, configured, settings, keySource, keyHint: hint, row });
  }
  return out;
}
