import { catalogModels } from './catalog.js';
import { parseJson, send, sseBatches, type CallContext } from './transport.js';
import { upstreamFailure } from './failures.js';
import { joinUrl, UpstreamError, type GenerateRequest, type ProviderAdapter, type ProviderSettings, type StreamPart } from './types.js';
import { mergeTurns, systemText } from './turns.js';

const DEFAULT_BASE_URL = 'https://generativelanguage.googleapis.com/v1beta';
const LABEL = 'Google Gemini';

/** The request body of `streamGenerateContent` (https://ai.google.dev/api/generate-content). */
export function generateContentBody(req: GenerateRequest): string {
  const system = systemText(req);
  const generationConfig: Record<string, number> = {};
  if (req.temperature !== undefined) generationConfig.temperature = req.temperature;
  if (req.maxTokens !== undefined) generationConfig.maxOutputTokens = req.maxTokens;
  return JSON.stringify({
    contents: mergeTurns(req.messages).map((t) => ({ role: t.role === 'assistant' ? 'model' : 'user', parts: t.texts.map((text) => ({ text })) })),
    ...(system ? { systemInstruction: { parts: [{ text: system }] } } : {}),
    ...(Object.keys(generationConfig).length ? { generationConfig } : {}),
  });
}

/** One streamed `GenerateContentResponse` (only the fields the gateway reads). */
interface GeminiChunk {
  candidates?: { content?: { parts?: { text?: string; thought?: boolean }[] }; finishReason?: string }[];
  usageMetadata?: { promptTokenCount?: number; candidatesTokenCount?: number; thoughtsTokenCount?: number };
  promptFeedback?: { blockReason?: string };
  error?: { code?: number; message?: string };
}

/** `models/{model}`, unless the id is already a resource name (`tunedModels/…`). */
const resource = (model: string) => (model.includes('/') ? model : `models/${model}`);

/** Streams one completion over `…:streamGenerateContent?alt=sse` (one JSON response per `data:` event, no terminator). */
async function* streamGenerate(ctx: CallContext, s: ProviderSettings, req: GenerateRequest, signal: AbortSignal): AsyncGenerator<StreamPart[]> {
  const url = joinUrl(s.baseUrl ?? DEFAULT_BASE_URL, `/${resource(req.model)}:streamGenerateContent?alt=sse`);
  const res = await send(ctx, url, { headers: { 'x-goog-api-key': s.apiKey ?? '' }, body: generateContentBody(req) }, signal);
  let inputTokens: number | undefined;
  let outputTokens: number | undefined;
  for await (const events of sseBatches(ctx, res, signal)) {
    const parts: StreamPart[] = [];
    for (const e of events) {
      const chunk = parseJson<GeminiChunk>(ctx, e.data);
      if (chunk.error) {
        const status = chunk.error.code ?? 500;
        throw upstreamFailure(ctx, status, chunk.error.message ?? 'stream error');
      }
      const candidateParts = chunk.candidates?.[0]?.content?.parts;
      if (candidateParts) {
        for (const p of candidateParts) if (p.text && !p.thought) parts.push({ type: 'delta', text: p.text });
      }
      const u = chunk.usageMetadata;
      if (u) {
        if (u.promptTokenCount !== undefined) inputTokens = u.promptTokenCount;
        if (u.candidatesTokenCount !== undefined || u.thoughtsTokenCount !== undefined) {
          outputTokens = (u.candidatesTokenCount ?? 0) + (u.thoughtsTokenCount ?? 0);
        }
      }
    }
    if (parts.length) yield parts;
  }
  yield [{ type: 'usage', inputTokens, outputTokens }];
}

/** Google's Gemini API. */
export const googleAdapter: ProviderAdapter = {
  id: 'google',
  label: LABEL,
  requiresKey: true,
  defaultBaseUrl: DEFAULT_BASE_URL,
  listModels: async () => catalogModels('google'),
  stream: (s, req, signal) => streamGenerate({ provider: 'google', label: LABEL, apiKey: s.apiKey, egress: s.egress }, s, req, signal),
};
