import type { LlmModel, ModelPricing, ProviderId } from '@coditect/contract';

interface CatalogEntry {
  model: string;
  name: string;
  contextWindow: number;
  /** USD per million input / output tokens (list prices; check the provider's page). */
  price: [number, number];
  vision?: boolean;
}

/**
 * Known models of the cloud providers, with list prices for cost accounting.
 * Any other model id of these providers is still accepted (cost then 0).
 */
const CATALOG: Partial<Record<ProviderId, CatalogEntry[]>> = {
  anthropic: [
    { model: 'claude-opus-4-1', name: 'Claude Opus 4.1', contextWindow: 200_000, price: [15, 75], vision: true },
    { model: 'claude-sonnet-4-5', name: 'Claude Sonnet 4.5', contextWindow: 200_000, price: [3, 15], vision: true },
    { model: 'claude-haiku-4-5', name: 'Claude Haiku 4.5', contextWindow: 200_000, price: [1, 5], vision: true },
    { model: 'claude-3-5-haiku-latest', name: 'Claude Haiku 3.5', contextWindow: 200_000, price: [0.8, 4] },
  ],
  openai: [
    { model: 'gpt-5', name: 'GPT-5', contextWindow: 400_000, price: [1.25, 10], vision: true },
    { model: 'gpt-5-mini', name: 'GPT-5 mini', contextWindow: 400_000, price: [0.25, 2], vision: true },
    { model: 'gpt-4.1', name: 'GPT-4.1', contextWindow: 1_047_576, price: [2, 8], vision: true },
    { model: 'gpt-4.1-mini', name: 'GPT-4.1 mini', contextWindow: 1_047_576, price: [0.4, 1.6], vision: true },
    { model: 'gpt-4o', name: 'GPT-4o', contextWindow: 128_000, price: [2.5, 10], vision: true },
    { model: 'gpt-4o-mini', name: 'GPT-4o mini', contextWindow: 128_000, price: [0.15, 0.6], vision: true },
    { model: 'o4-mini', name: 'o4-mini', contextWindow: 200_000, price: [1.1, 4.4], vision: true },
  ],
  google: [
    { model: 'gemini-2.5-pro', name: 'Gemini 2.5 Pro', contextWindow: 1_048_576, price: [1.25, 10], vision: true },
    { model: 'gemini-2.5-flash', name: 'Gemini 2.5 Flash', contextWindow: 1_048_576, price: [0.3, 2.5], vision: true },
    { model: 'gemini-2.0-flash', name: 'Gemini 2.0 Flash', contextWindow: 1_048_576, price: [0.1, 0.4], vision: true },
  ],
  xai: [
    { model: 'grok-4', name: 'Grok 4', contextWindow: 256_000, price: [3, 15], vision: true },
    { model: 'grok-3', name: 'Grok 3', contextWindow: 131_072, price: [3, 15] },
    { model: 'grok-3-mini', name: 'Grok 3 mini', contextWindow: 131_072, price: [0.3, 0.5] },
  ],
};

/** The catalog models of a provider as API models. */
export function catalogModels(provider: ProviderId): LlmModel[] {
  return (CATALOG[provider] ?? []).map((e) => ({
    id: `${provider}/${e.model}`,
    provider,
    model: e.model,
    name: e.name,
    contextWindow: e.contextWindow,
    capabilities: { streaming: true, tools: true, vision: e.vision ?? false },
    pricing: { inputPerMTok: e.price[0], outputPerMTok: e.price[1] },
    source: 'catalog' as const,
  }));
}

/** Price of a model; dated snapshots (`gpt-4o-2024-08-06`) use their family's price. */
export function pricingOf(provider: ProviderId, model: string): ModelPricing | null {
  const entries = CATALOG[provider] ?? [];
  const hit = entries.find((e) => e.model === model) ??
    [...entries].sort((a, b) => b.model.length - a.model.length).find((e) => model.startsWith(`${e.model}-`));
  return hit ? { inputPerMTok: hit.price[0], outputPerMTok: hit.price[1] } : null;
}

/** The provider whose catalog has this bare model name (for clients that send `gpt-4o`). */
export function providerOfCatalogModel(model: string): ProviderId | undefined {
  for (const [provider, entries] of Object.entries(CATALOG)) {
    if (entries.some((e) => e.model === model)) return provider as ProviderId;
  }
  return undefined;
}

export function costOf(pricing: ModelPricing | null, inputTokens: number, outputTokens: number): number {
  if (!pricing) return 0;
  return (inputTokens * pricing.inputPerMTok + outputTokens * pricing.outputPerMTok) / 1_000_000;
}
