import { createAnthropic } from '@ai-sdk/anthropic';
import { createGoogleGenerativeAI } from '@ai-sdk/google';
import { createOpenAI } from '@ai-sdk/openai';
import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import { createXai } from '@ai-sdk/xai';
import type { LlmModel, ProviderId } from '@coditect/contract';
import { APICallError, streamText, type LanguageModel, type ModelMessage } from 'ai';
import { catalogModels } from './catalog.js';
import {
  joinUrl, parseRetryAfter, redact, UpstreamError, type GenerateRequest, type ProviderAdapter,
  type ProviderSettings, type StreamPart,
} from './types.js';

// The SDK would otherwise print warnings to the console, outside our logger.
(globalThis as { AI_SDK_LOG_WARNINGS?: boolean }).AI_SDK_LOG_WARNINGS = false;

type AiSdkProviderId = 'anthropic' | 'openai' | 'google' | 'xai' | 'openai-compatible' | 'lmstudio';

const DEFAULT_BASE_URLS: Record<AiSdkProviderId, string | null> = {
  anthropic: 'https://api.anthropic.com/v1',
  openai: 'https://api.openai.com/v1',
  google: 'https://generativelanguage.googleapis.com/v1beta',
  xai: 'https://api.x.ai/v1',
  'openai-compatible': null,
  lmstudio: 'http://127.0.0.1:1234/v1',
};

const LABELS: Record<AiSdkProviderId, string> = {
  anthropic: 'Anthropic',
  openai: 'OpenAI',
  google: 'Google Gemini',
  xai: 'xAI Grok',
  'openai-compatible': 'OpenAI-compatible',
  lmstudio: 'LM Studio',
};

function languageModel(provider: AiSdkProviderId, s: ProviderSettings, model: string): LanguageModel {
  const baseURL = s.baseUrl ?? DEFAULT_BASE_URLS[provider] ?? undefined;
  const apiKey = s.apiKey ?? '';
  switch (provider) {
    case 'anthropic': return createAnthropic({ apiKey, baseURL }).languageModel(model);
    // .chat: the Chat Completions API, which every OpenAI-style server speaks (not the Responses API).
    case 'openai': return createOpenAI({ apiKey, baseURL }).chat(model);
    case 'google': return createGoogleGenerativeAI({ apiKey, baseURL }).languageModel(model);
    case 'xai': return createXai({ apiKey, baseURL }).chat(model);
    case 'openai-compatible':
    case 'lmstudio':
      if (!baseURL) throw new UpstreamError(provider, 'protocol', `${LABELS[provider]}: no base URL configured`);
      return createOpenAICompatible({ name: provider, baseURL, ...(s.apiKey ? { apiKey } : {}), includeUsage: true })
        .chatModel(model);
  }
}

/** Maps whatever the SDK threw to an UpstreamError that names the provider and never carries the key. */
export function toUpstreamError(provider: ProviderId, err: unknown, apiKey: string | undefined): UpstreamError {
  if (err instanceof UpstreamError) return err;
  const label = LABELS[provider as AiSdkProviderId] ?? provider;
  if (APICallError.isInstance(err)) {
    const status = err.statusCode;
    const detail = redact(upstreamMessage(err.responseBody) ?? err.message, apiKey).slice(0, 300);
    if (status === undefined) {
      return new UpstreamError(provider, 'network', `${label} could not be reached: ${detail}`, { cause: redactCause(err) });
    }
    return new UpstreamError(provider, 'http', `${label} answered ${status}: ${detail}`, {
      status, retryAfterMs: parseRetryAfter(err.responseHeaders?.['retry-after']), cause: redactCause(err),
    });
  }
  const e = err as Error | undefined;
  if (e?.name === 'AbortError') return new UpstreamError(provider, 'cancelled', `${label} request cancelled`);
  const message = redact(e?.message ?? String(err), apiKey).slice(0, 300);
  const network = /fetch failed|ECONNREFUSED|ECONNRESET|socket|terminated/i.test(message + String((e as { cause?: unknown })?.cause ?? ''));
  return new UpstreamError(provider, network ? 'network' : 'protocol', `${label}: ${message}`);
}

/** The SDK's error objects hold request headers/bodies; keep only what is safe to log. */
function redactCause(err: APICallError): { status: number | undefined; url: string } {
  return { status: err.statusCode, url: err.url.replace(/([?&]key=)[^&]+/, '$1[redacted]') };
}

function upstreamMessage(body: string | undefined): string | undefined {
  if (!body) return undefined;
  try {
    const parsed = JSON.parse(body) as { error?: { message?: string } | string; message?: string };
    if (typeof parsed.error === 'string') return parsed.error;
    return parsed.error?.message ?? parsed.message ?? body;
  } catch {
    return body;
  }
}

function toModelMessages(messages: GenerateRequest['messages']): ModelMessage[] {
  return messages.map((m) => ({ role: m.role, content: m.content }) as ModelMessage);
}

/** Streams one completion through the Vercel AI SDK provider of `provider`. */
async function* streamWithSdk(
  provider: AiSdkProviderId, s: ProviderSettings, req: GenerateRequest, signal: AbortSignal,
): AsyncIterable<StreamPart> {
  const result = streamText({
    model: languageModel(provider, s, req.model),
    messages: toModelMessages(req.messages),
    ...(req.system ? { system: req.system } : {}),
    ...(req.temperature !== undefined ? { temperature: req.temperature } : {}),
    ...(req.maxTokens !== undefined ? { maxOutputTokens: req.maxTokens } : {}),
    allowSystemInMessages: true,
    maxRetries: 0, // the gateway retries (honouring Retry-After) and falls back
    abortSignal: signal,
    onError: () => {}, // errors surface below as stream parts; nothing goes to the console
  });
  for await (const part of result.fullStream) {
    if (part.type === 'text-delta') {
      if (part.text) yield { type: 'delta', text: part.text };
    } else if (part.type === 'finish') {
      yield { type: 'usage', inputTokens: part.totalUsage.inputTokens, outputTokens: part.totalUsage.outputTokens };
    } else if (part.type === 'error') {
      throw toUpstreamError(provider, part.error, s.apiKey);
    } else if (part.type === 'abort') {
      throw new UpstreamError(provider, 'cancelled', `${LABELS[provider]} request cancelled`);
    }
  }
}

/** `GET {base}/models` of an OpenAI-style server (LM Studio, vLLM, OpenRouter …): what is really there. */
async function listOpenAiStyleModels(provider: ProviderId, s: ProviderSettings, base: string, signal: AbortSignal): Promise<LlmModel[]> {
  let res: Response;
  try {
    res = await fetch(joinUrl(base, '/models'), {
      headers: s.apiKey ? { authorization: `Bearer ${s.apiKey}` } : {}, signal,
    });
  } catch (err) {
    throw toUpstreamError(provider, err, s.apiKey);
  }
  if (!res.ok) {
    throw new UpstreamError(provider, 'http', `${LABELS[provider as AiSdkProviderId]} model list answered ${res.status}`, { status: res.status });
  }
  const body = (await res.json()) as { data?: { id: string }[] };
  return (body.data ?? []).map((m) => ({
    id: `${provider}/${m.id}`, provider, model: m.id, name: m.id, contextWindow: null,
    capabilities: { streaming: true, tools: false, vision: false }, pricing: null, source: 'upstream' as const,
  }));
}

/** Builds the adapter of one AI-SDK-backed provider. */
export function aiSdkAdapter(provider: AiSdkProviderId): ProviderAdapter {
  const openAiStyleListing = provider === 'openai-compatible' || provider === 'lmstudio';
  return {
    id: provider,
    label: LABELS[provider],
    requiresKey: !openAiStyleListing,
    defaultBaseUrl: DEFAULT_BASE_URLS[provider],
    async listModels(s, signal) {
      if (!openAiStyleListing) return catalogModels(provider);
      const base = s.baseUrl ?? DEFAULT_BASE_URLS[provider];
      if (!base) throw new UpstreamError(provider, 'protocol', `${LABELS[provider]}: no base URL configured`);
      return listOpenAiStyleModels(provider, s, base, signal);
    },
    stream: (s, req, signal) => streamWithSdk(provider, s, req, signal),
  };
}
