import type { LlmModel } from '@coditect/contract';
import {
  joinUrl, parseRetryAfter, redact, UpstreamError, type GenerateRequest, type ProviderAdapter,
  type ProviderSettings, type StreamPart,
} from './types.js';

const DEFAULT_BASE_URL = 'http://127.0.0.1:11434';

interface OllamaChunk {
  message?: { content?: string };
  done?: boolean;
  prompt_eval_count?: number;
  eval_count?: number;
  error?: string;
}

function headers(s: ProviderSettings): Record<string, string> {
  // Ollama itself has no auth; a key is sent for proxies in front of it.
  return { 'content-type': 'application/json', ...(s.apiKey ? { authorization: `Bearer ${s.apiKey}` } : {}) };
}

async function call(s: ProviderSettings, path: string, init: RequestInit): Promise<Response> {
  let res: Response;
  try {
    res = await fetch(joinUrl(s.baseUrl ?? DEFAULT_BASE_URL, path), init);
  } catch (err) {
    if ((err as Error).name === 'AbortError') throw new UpstreamError('ollama', 'cancelled', 'Ollama request cancelled');
    throw new UpstreamError('ollama', 'network', `Ollama could not be reached: ${redact((err as Error).message, s.apiKey)}`);
  }
  if (!res.ok) {
    const text = await res.text().catch(() => '');
    let detail = text;
    try { detail = (JSON.parse(text) as { error?: string }).error ?? text; } catch { /* plain text */ }
    throw new UpstreamError('ollama', 'http', `Ollama answered ${res.status}: ${redact(detail, s.apiKey).slice(0, 300)}`, {
      status: res.status, retryAfterMs: parseRetryAfter(res.headers.get('retry-after')),
    });
  }
  return res;
}

/** Ollama's native API: `/api/chat` streams NDJSON, `/api/tags` lists the pulled models. */
export const ollamaAdapter: ProviderAdapter = {
  id: 'ollama',
  label: 'Ollama',
  requiresKey: false,
  defaultBaseUrl: DEFAULT_BASE_URL,

  async listModels(s, signal): Promise<LlmModel[]> {
    const res = await call(s, '/api/tags', { headers: headers(s), signal });
    const body = (await res.json()) as { models?: { name: string; model?: string; details?: { parameter_size?: string } }[] };
    return (body.models ?? []).map((m) => ({
      id: `ollama/${m.name}`, provider: 'ollama' as const, model: m.name,
      name: m.details?.parameter_size ? `${m.name} (${m.details.parameter_size})` : m.name,
      contextWindow: null, capabilities: { streaming: true, tools: false, vision: false }, pricing: null,
      source: 'upstream' as const,
    }));
  },

  async *stream(s, req: GenerateRequest, signal): AsyncIterable<StreamPart> {
    const messages = [...(req.system ? [{ role: 'system', content: req.system }] : []), ...req.messages];
    const options: Record<string, number> = {};
    if (req.temperature !== undefined) options.temperature = req.temperature;
    if (req.maxTokens !== undefined) options.num_predict = req.maxTokens;
    const res = await call(s, '/api/chat', {
      method: 'POST', headers: headers(s), signal,
      body: JSON.stringify({ model: req.model, messages, stream: true, ...(Object.keys(options).length ? { options } : {}) }),
    });
    if (!res.body) throw new UpstreamError('ollama', 'protocol', 'Ollama sent no body');
    const decoder = new TextDecoder();
    let buffer = '';
    let done = false;
    try {
      for await (const bytes of res.body as unknown as AsyncIterable<Uint8Array>) {
        buffer += decoder.decode(bytes, { stream: true });
        let nl: number;
        while ((nl = buffer.indexOf('\n')) >= 0) {
          const line = buffer.slice(0, nl).trim();
          buffer = buffer.slice(nl + 1);
          if (!line) continue;
          let chunk: OllamaChunk;
          try { chunk = JSON.parse(line) as OllamaChunk; } catch {
            throw new UpstreamError('ollama', 'protocol', 'Ollama sent a malformed NDJSON line');
          }
          if (chunk.error) throw new UpstreamError('ollama', 'http', `Ollama: ${redact(chunk.error, s.apiKey).slice(0, 300)}`, { status: 500 });
          if (chunk.message?.content) yield { type: 'delta', text: chunk.message.content };
          if (chunk.done) {
            done = true;
            yield { type: 'usage', inputTokens: chunk.prompt_eval_count, outputTokens: chunk.eval_count };
          }
        }
      }
    } catch (err) {
      if (err instanceof UpstreamError) throw err;
      if ((err as Error).name === 'AbortError' || signal.aborted) throw new UpstreamError('ollama', 'cancelled', 'Ollama request cancelled');
      throw new UpstreamError('ollama', 'network', 'Ollama stream broke off');
    }
    if (!done) throw new UpstreamError('ollama', 'protocol', 'Ollama stream ended before done');
  },
};
