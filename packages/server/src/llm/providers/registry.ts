import type { ProviderId } from '@coditect/contract';
import { aiSdkAdapter } from './ai-sdk.js';
import { localAdapter, type LocalLlama } from './local-llama.js';
import { ollamaAdapter } from './ollama.js';
import type { ProviderAdapter } from './types.js';

/** Every provider adapter by id. */
export type ProviderRegistry = Record<ProviderId, ProviderAdapter>;

export function createProviderRegistry(local: LocalLlama | undefined): ProviderRegistry {
  return {
    anthropic: aiSdkAdapter('anthropic'),
    openai: aiSdkAdapter('openai'),
    google: aiSdkAdapter('google'),
    xai: aiSdkAdapter('xai'),
    'openai-compatible': aiSdkAdapter('openai-compatible'),
    lmstudio: aiSdkAdapter('lmstudio'),
    ollama: ollamaAdapter,
    local: localAdapter(local),
  };
}
