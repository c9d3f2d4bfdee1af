import {
  LanguageModel, LanguageModelMessage, LanguageModelResponse, LanguageModelStatus, LanguageModelStreamResponsePart, UserRequest,
} from '@theia/ai-core';
import { CancellationToken } from '@theia/core';
import { GatewayModel, theiaModelId } from '../common/coditect-ai-protocol';
import { GatewayConfig, gatewaySse } from './gateway-client';

type GatewayEvent =
  | { type: 'start'; model: string }
  | { type: 'delta'; model: string; text: string }
  | { type: 'usage'; inputTokens: number; outputTokens: number }
  | { type: 'error'; model: string | null; code: string; message: string }
  | { type: 'done' };

interface GatewayMessage { role: 'user' | 'assistant'; content: string }

/** Theia messages → the gateway's `system` + alternating user/assistant text messages. */
export function toGatewayMessages(messages: LanguageModelMessage[]): { system?: string; messages: GatewayMessage[] } {
  const system: string[] = [];
  const out: GatewayMessage[] = [];
  const push = (role: GatewayMessage['role'], content: string) => {
    if (!content) return;
    const last = out[out.length - 1];
    if (last && last.role === role) last.content += `\n\n${content}`;
    else out.push({ role, content });
  };
  for (const m of messages) {
    if (LanguageModelMessage.isTextMessage(m)) {
      if (m.actor === 'system') system.push(m.text);
      else push(m.actor === 'ai' ? 'assistant' : 'user', m.text);
    } else if (LanguageModelMessage.isToolResultMessage(m)) {
      // Tools are not offered through the gateway yet; keep any result as plain text so context is not lost.
      const content = typeof m.content === 'string' ? m.content : JSON.stringify(m.content ?? '');
      push('user', `Result of ${m.name}: ${content}`);
    }
  }
  if (out.length === 0) out.push({ role: 'user', content: system.length ? 'Go ahead.' : '…' });
  if (out[0].role === 'assistant') out.unshift({ role: 'user', content: '…' });
  return { ...(system.length ? { system: system.join('\n\n') } : {}), messages: out };
}

/**
 * One gateway model as a Theia language model. It lives in the IDE backend: requests go to
 * `POST /api/v5/llm/chat` with the workspace token (never seen by the browser), and the SSE
 * deltas are streamed back to Theia as text parts, the usage event as a usage part.
 */
export class CoditectGatewayModel implements LanguageModel {
  readonly id: string;
  readonly name: string;
  readonly vendor: string;
  readonly family: string;
  readonly version?: string;
  readonly maxInputTokens?: number;
  status: LanguageModelStatus = { status: 'ready' };

  constructor(readonly gateway: GatewayModel, protected readonly config: () => GatewayConfig) {
    this.id = theiaModelId(gateway.id);
    this.name = gateway.name && gateway.name !== gateway.model ? `${gateway.name} (${gateway.id})` : gateway.id;
    this.vendor = gateway.provider;
    this.family = gateway.provider;
    if (gateway.contextWindow) this.maxInputTokens = gateway.contextWindow;
  }

  async request(request: UserRequest, cancellationToken?: CancellationToken): Promise<LanguageModelResponse> {
    const token = cancellationToken ?? request.cancellationToken;
    const abort = new AbortController();
    if (token?.isCancellationRequested) abort.abort();
    const disposable = token?.onCancellationRequested(() => abort.abort());
    const settings = request.settings ?? {};
    const { system, messages } = toGatewayMessages(request.messages);
    const body: Record<string, unknown> = { model: this.gateway.id, messages, persist: false };
    if (system) body.system = system;
    if (typeof settings.temperature === 'number') body.temperature = settings.temperature;
    const maxTokens = settings.maxTokens ?? settings.max_tokens ?? settings.maxOutputTokens;
    if (typeof maxTokens === 'number') body.maxTokens = maxTokens;
    const events = gatewaySse<GatewayEvent>(this.config(), '/api/v5/llm/chat', body, abort.signal);
    async function* stream(): AsyncIterable<LanguageModelStreamResponsePart> {
      try {
        for await (const e of events) {
          if (e.type === 'delta') yield { content: e.text };
          else if (e.type === 'usage') yield { input_tokens: e.inputTokens, output_tokens: e.outputTokens };
          else if (e.type === 'error') throw new Error(`${e.message} (${e.code})`);
        }
      } catch (err) {
        if (abort.signal.aborted) return;
        throw err;
      } finally {
        disposable?.dispose();
      }
    }
    return { stream: stream() };
  }
}
