import type { LlmModel } from '@coditect/contract';
import { catalogModels } from './catalog.js';
import { DeltaTemplate } from './delta-template.js';
import { parseJson, readJson, send, sseBatches, type CallContext } from './transport.js';
import { upstreamFailure } from './failures.js';
import { joinUrl, UpstreamError, type GenerateRequest, type ProviderAdapter, type ProviderSettings, type StreamPart } from './types.js';

/** The providers that speak OpenAI Chat Completions. */
export type OpenAiStyleProviderId = 'openai' | 'xai' | 'lmstudio' | 'openai-compatible';

const DEFAULT_BASE_URLS: Record<OpenAiStyleProviderId, string | null> = {
  openai: 'https://api.openai.com/v1',
  xai: 'https://api.x.ai/v1',
  lmstudio: 'http://127.0.0.1:1234/v1',
  'openai-compatible': null,
};

const LABELS: Record<OpenAiStyleProviderId, string> = {
  openai: 'OpenAI',
  xai: 'xAI Grok',
  lmstudio: 'LM Studio',
  'openai-compatible': 'OpenAI-compatible',
};

/** One `chat.completion.chunk` (only the fields the gateway reads). */
interface ChatChunk {
  choices?: { delta?: { content?: string | null }; finish_reason?: string | null }[];
  usage?: { prompt_tokens?: number; completion_tokens?: number } | null;
  error?: { message?: string } | string;
}

/** A chunk that is exactly one text delta: one choice, no finish, usage, tool calls or error. */
function isPlainDelta(chunk: ChatChunk, text: string | null | undefined): boolean {
  const choice = chunk.choices?.length === 1 ? chunk.choices[0] as { delta?: Record<string, unknown>; finish_reason?: unknown } : undefined;
  return Boolean(choice && !choice.finish_reason && !chunk.usage && !chunk.error && choice.delta
    && choice.delta.content === text && !choice.delta.tool_calls && !choice.delta.refusal);
}

/** A template for this stream's text chunks (see DeltaTemplate). */
export const chatChunkTemplate = () =>
  new DeltaTemplate((parsed: ChatChunk, marker) => isPlainDelta(parsed, marker) && parsed.choices?.[0]?.delta?.content === marker);

function headers(s: ProviderSettings): Record<string, string> {
  return s.apiKey ? { authorization: `Bearer ${s.apiKey}` } : {};
}

/** OpenAI's reasoning models take `developer` instructions and `max_completion_tokens`, and reject `temperature`. */
const isOpenAiReasoningModel = (model: string) => /^(o\d|gpt-5)/.test(model) && !model.startsWith('gpt-5-chat');

/** The request body of `POST {base}/chat/completions` (https://platform.openai.com/docs/api-reference/chat/create). */
export function chatCompletionsBody(provider: OpenAiStyleProviderId, req: GenerateRequest): string {
  const reasoning = provider === 'openai' && isOpenAiReasoningModel(req.model);
  const messages: { role: string; content: string }[] = [];
  if (req.system) messages.push({ role: reasoning ? 'developer' : 'system', content: req.system });
  for (const m of req.messages) messages.push({ role: m.role, content: m.content });
  return JSON.stringify({
    model: req.model,
    messages,
    ...(req.temperature !== undefined && !reasoning ? { temperature: req.temperature } : {}),
    ...(req.maxTokens !== undefined ? { [reasoning ? 'max_completion_tokens' : 'max_tokens']: req.maxTokens } : {}),
    stream: true,
    stream_options: { include_usage: true },
  });
}

/** Streams one completion over Chat Completions SSE (`data: {chunk}` … `data: [DONE]`). */
async function* streamChat(ctx: CallContext, base: string, s: ProviderSettings, req: GenerateRequest, signal: AbortSignal): AsyncGenerator<StreamPart[]> {
  const body = chatCompletionsBody(ctx.provider as OpenAiStyleProviderId, req);
  const res = await send(ctx, joinUrl(base, '/chat/completions'), { headers: headers(s), body }, signal);
  let done = false;
  let finished = false;
  const template = chatChunkTemplate();
  let usage: { inputTokens?: number | undefined; outputTokens?: number | undefined } | undefined;
  // Read to the end even after [DONE], so the connection goes back to the pool.
  for await (const events of sseBatches(ctx, res, signal)) {
    const parts: StreamPart[] = [];
    for (const e of events) {
      if (done) continue;
      const fast = template.match(e.data);
      if (fast !== undefined) {
        if (fast) parts.push({ type: 'delta', text: fast });
        continue;
      }
      if (e.data === '[DONE]') { done = true; continue; }
      const chunk = parseJson<ChatChunk>(ctx, e.data);
      if (chunk.error) {
        const message = typeof chunk.error === 'string' ? chunk.error : chunk.error.message ?? 'stream error';
        throw upstreamFailure(ctx, 500, message);
      }
      const choice = chunk.choices?.[0];
      const text = choice?.delta?.content;
      if (text) {
        parts.push({ type: 'delta', text });
        if (isPlainDelta(chunk, text)) template.learn(e.data, text);
      }
      if (choice?.finish_reason) finished = true;
      if (chunk.usage) usage = { inputTokens: chunk.usage.prompt_tokens, outputTokens: chunk.usage.completion_tokens };
    }
    if (parts.length) yield parts;
  }
  // Some compatible servers omit [DONE]; a stream without it and without a finish_reason was cut short.
  if (!done && !finished) throw new UpstreamError(ctx.provider, 'protocol', `${ctx.label} stream ended before it finished`);
  yield [{ type: 'usage', inputTokens: usage?.inputTokens, outputTokens: usage?.outputTokens }];
}

/** `GET {base}/models` of an OpenAI-style server (LM Studio, vLLM, OpenRouter …): what is really there. */
async function listModels(ctx: CallContext, s: ProviderSettings, base: string, signal: AbortSignal): Promise<LlmModel[]> {
  const res = await send(ctx, joinUrl(base, '/models'), { headers: headers(s) }, signal);
  const body = await readJson<{ data?: { id: string }[] }>(ctx, res);
  const provider = ctx.provider;
  return (body.data ?? []).map((m) => ({
    id: `${provider}/${m.id}`, provider, model: m.id, name: m.id, contextWindow: null,
    capabilities: { streaming: true, tools: false, vision: false }, pricing: null, source: 'upstream' as const,
  }));
}

/** The adapter of one OpenAI-style provider (OpenAI, xAI, LM Studio, any compatible server). */
export function openAiStyleAdapter(provider: OpenAiStyleProviderId): ProviderAdapter {
  const label = LABELS[provider];
  const listsUpstream = provider === 'openai-compatible' || provider === 'lmstudio';
  const baseOf = (s: ProviderSettings) => {
    const base = s.baseUrl ?? DEFAULT_BASE_URLS[provider];
    if (!base) throw new UpstreamError(provider, 'protocol', `${label}: no base URL configured`);
    return base;
  };
  return {
    id: provider,
    label,
    requiresKey: !listsUpstream,
    defaultBaseUrl: DEFAULT_BASE_URLS[provider],
    async listModels(s, signal) {
      if (!listsUpstream) return catalogModels(provider);
      return listModels({ provider, label, apiKey: s.apiKey, egress: s.egress }, s, baseOf(s), signal);
    },
    stream: (s, req, signal) => streamChat({ provider, label, apiKey: s.apiKey, egress: s.egress }, baseOf(s), s, req, signal),
  };
}
