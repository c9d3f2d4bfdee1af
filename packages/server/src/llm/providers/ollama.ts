import type { LlmModel } from '@coditect/contract';
import { lineBatches, parseJson, readJson, send, type CallContext } from './transport.js';
import { upstreamFailure } from './failures.js';
import {
  joinUrl, UpstreamError, type GenerateRequest, type ProviderAdapter, type ProviderSettings, type StreamPart,
} from './types.js';

const DEFAULT_BASE_URL = 'http://127.0.0.1:11434';
const LABEL = 'Ollama';

interface OllamaChunk {
  message?: { content?: string };
  done?: boolean;
  prompt_eval_count?: number;
  eval_count?: number;
  error?: string;
}

function headers(s: ProviderSettings): Record<string, string> {
  // Ollama itself has no auth; a key is sent for proxies in front of it.
  return s.apiKey ? { authorization: `Bearer ${s.apiKey}` } : {};
}

const context = (s: ProviderSettings): CallContext => ({ provider: 'ollama', label: LABEL, apiKey: s.apiKey, egress: s.egress });

/** Ollama's native API: `/api/chat` streams NDJSON, `/api/tags` lists the pulled models. */
export const ollamaAdapter: ProviderAdapter = {
  id: 'ollama',
  label: LABEL,
  requiresKey: false,
  defaultBaseUrl: DEFAULT_BASE_URL,

  async listModels(s, signal): Promise<LlmModel[]> {
    const ctx = context(s);
    const res = await send(ctx, joinUrl(s.baseUrl ?? DEFAULT_BASE_URL, '/api/tags'), { headers: headers(s) }, signal);
    const body = await readJson<{ models?: { name: string; model?: string; details?: { parameter_size?: string } }[] }>(ctx, res);
    return (body.models ?? []).map((m) => ({
      id: `ollama/${m.name}`, provider: 'ollama' as const, model: m.name,
      name: m.details?.parameter_size ? `${m.name} (${m.details.parameter_size})` : m.name,
      contextWindow: null, capabilities: { streaming: true, tools: false, vision: false }, pricing: null,
      source: 'upstream' as const,
    }));
  },

  async *stream(s, req: GenerateRequest, signal): AsyncGenerator<StreamPart[]> {
    const ctx = context(s);
    const messages = [...(req.system ? [{ role: 'system', content: req.system }] : []), ...req.messages];
    const options: Record<string, number> = {};
    if (req.temperature !== undefined) options.temperature = req.temperature;
    if (req.maxTokens !== undefined) options.num_predict = req.maxTokens;
    const res = await send(ctx, joinUrl(s.baseUrl ?? DEFAULT_BASE_URL, '/api/chat'), {
      headers: headers(s),
      body: JSON.stringify({ model: req.model, messages, stream: true, ...(Object.keys(options).length ? { options } : {}) }),
    }, signal);
    let done = false;
    for await (const lines of lineBatches(ctx, res, signal)) {
      const parts: StreamPart[] = [];
      for (const raw of lines) {
        const line = raw.trim();
        if (!line || done) continue;
        const chunk = parseJson<OllamaChunk>(ctx, line);
        if (chunk.error) throw upstreamFailure(ctx, 500, chunk.error);
        if (chunk.message?.content) parts.push({ type: 'delta', text: chunk.message.content });
        if (chunk.done) {
          done = true;
          parts.push({ type: 'usage', inputTokens: chunk.prompt_eval_count, outputTokens: chunk.eval_count });
        }
      }
      if (parts.length) yield parts;
    }
    if (!done) throw new UpstreamError('ollama', 'protocol', 'Ollama stream ended before done');
  },
};
