import type { ProviderId } from '@coditect/contract';
import { anthropicAdapter } from './anthropic.js';
import { googleAdapter } from './google.js';
import { localAdapter, type LocalLlama } from './local-llama.js';
import { ollamaAdapter } from './ollama.js';
import { openAiStyleAdapter } from './openai-chat.js';
import type { ProviderAdapter } from './types.js';

/** Every provider adapter by id. */
export type ProviderRegistry = Record<ProviderId, ProviderAdapter>;

export function createProviderRegistry(local: LocalLlama | undefined): ProviderRegistry {
  return {
    anthropic: anthropicAdapter,
    openai: openAiStyleAdapter('openai'),
    google: googleAdapter,
    xai: openAiStyleAdapter('xai'),
    'openai-compatible': openAiStyleAdapter('openai-compatible'),
    lmstudio: openAiStyleAdapter('lmstudio'),
    ollama: ollamaAdapter,
    local: localAdapter(local),
  };
}
