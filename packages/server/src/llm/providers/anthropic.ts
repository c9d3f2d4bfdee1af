import { catalogModels } from './catalog.js';
import { DeltaTemplate } from './delta-template.js';
import { parseJson, send, sseBatches, type CallContext } from './transport.js';
import { upstreamFailure } from './failures.js';
import { joinUrl, UpstreamError, type GenerateRequest, type ProviderAdapter, type ProviderSettings, type StreamPart } from './types.js';
import { mergeTurns, systemText } from './turns.js';

const DEFAULT_BASE_URL = 'https://api.anthropic.com/v1';
const LABEL = 'Anthropic';
const API_VERSION = '2023-06-01';

/** `max_tokens` is required by the Messages API; without one a model's own output limit is used. */
function defaultMaxTokens(model: string): number {
  if (/claude-(sonnet|haiku)-4|claude-3-7-sonnet/.test(model)) return 64_000;
  if (/claude-opus-4/.test(model)) return 32_000;
  if (/claude-3-5/.test(model)) return 8_192;
  return 4_096;
}

/** The request body of `POST {base}/messages` (https://docs.anthropic.com/en/api/messages). */
export function messagesBody(req: GenerateRequest): string {
  const system = systemText(req);
  return JSON.stringify({
    model: req.model,
    max_tokens: req.maxTokens ?? defaultMaxTokens(req.model),
    ...(system ? { system: [{ type: 'text', text: system }] } : {}),
    messages: mergeTurns(req.messages).map((t) => ({ role: t.role, content: t.texts.map((text) => ({ type: 'text', text })) })),
    ...(req.temperature !== undefined ? { temperature: req.temperature } : {}),
    stream: true,
  });
}

interface AnthropicUsage {
  input_tokens?: number;
  output_tokens?: number;
  cache_creation_input_tokens?: number | null;
  cache_read_input_tokens?: number | null;
}

/** One stream event's payload (only the fields the gateway reads). */
interface AnthropicEvent {
  type: string;
  message?: { usage?: AnthropicUsage };
  delta?: { type?: string; text?: string };
  usage?: AnthropicUsage;
  error?: { type?: string; message?: string };
}

const ERROR_STATUS: Record<string, number> = {
  invalid_request_error: 400, authentication_error: 401, permission_error: 403, not_found_error: 404,
  request_too_large: 413, rate_limit_error: 429, api_error: 500, overloaded_error: 529,
};

/** A template for this stream's `content_block_delta` text events (see DeltaTemplate). */
export const textDeltaTemplate = () => new DeltaTemplate((parsed: AnthropicEvent, marker) =>
  parsed.type === 'content_block_delta' && parsed.delta?.type === 'text_delta' && parsed.delta.text === marker);

const inputOf = (u: AnthropicUsage) => (u.input_tokens ?? 0) + (u.cache_creation_input_tokens ?? 0) + (u.cache_read_input_tokens ?? 0);

/** Streams one message over Messages SSE (`message_start` … `content_block_delta` … `message_stop`). */
async function* streamMessages(ctx: CallContext, s: ProviderSettings, req: GenerateRequest, signal: AbortSignal): AsyncGenerator<StreamPart[]> {
  const res = await send(ctx, joinUrl(s.baseUrl ?? DEFAULT_BASE_URL, '/messages'), {
    headers: { 'x-api-key': s.apiKey ?? '', 'anthropic-version': API_VERSION }, body: messagesBody(req),
  }, signal);
  let inputTokens: number | undefined;
  let outputTokens: number | undefined;
  let stopped = false;
  const template = textDeltaTemplate();
  for await (const events of sseBatches(ctx, res, signal)) {
    const parts: StreamPart[] = [];
    for (const e of events) {
      if (stopped) continue;
      const fast = template.match(e.data);
      if (fast !== undefined) {
        if (fast) parts.push({ type: 'delta', text: fast });
        continue;
      }
      // The event name repeats the payload's `type`; the payload is authoritative.
      const ev = parseJson<AnthropicEvent>(ctx, e.data);
      switch (ev.type) {
        case 'content_block_delta':
          if (ev.delta?.type === 'text_delta' && ev.delta.text) {
            parts.push({ type: 'delta', text: ev.delta.text });
            template.learn(e.data, ev.delta.text);
          }
          break;
        case 'message_start':
          if (ev.message?.usage) {
            inputTokens = inputOf(ev.message.usage);
            outputTokens = ev.message.usage.output_tokens;
          }
          break;
        case 'message_delta':
          if (ev.usage) {
            if (ev.usage.input_tokens !== undefined) inputTokens = inputOf(ev.usage);
            if (ev.usage.output_tokens !== undefined) outputTokens = ev.usage.output_tokens;
          }
          break;
        case 'message_stop':
          stopped = true;
          break;
        case 'error': {
          const status = ERROR_STATUS[ev.error?.type ?? ''] ?? 500;
          throw upstreamFailure(ctx, status, ev.error?.message ?? 'stream error');
        }
        default: // ping, content_block_start/stop, and event types added later
      }
    }
    if (parts.length) yield parts;
  }
  if (!stopped) throw new UpstreamError(ctx.provider, 'protocol', `${LABEL} stream ended before message_stop`);
  yield [{ type: 'usage', inputTokens, outputTokens }];
}

/** Anthropic's Messages API. */
export const anthropicAdapter: ProviderAdapter = {
  id: 'anthropic',
  label: LABEL,
  requiresKey: true,
  defaultBaseUrl: DEFAULT_BASE_URL,
  listModels: async () => catalogModels('anthropic'),
  stream: (s, req, signal) => streamMessages({ provider: 'anthropic', label: LABEL, apiKey: s.apiKey, egress: s.egress }, s, req, signal),
};
