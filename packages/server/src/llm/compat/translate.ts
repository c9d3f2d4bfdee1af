import type { ChatMessage, UsageEvent } from '@coditect/contract';
import type { GatewayEvent } from '../gateway.js';

/** Text of an OpenAI/Anthropic content field: a string or a list of parts (non-text parts are dropped). */
export function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content.map((p: { type?: string; text?: string; content?: unknown }) => {
    if (typeof p === 'string') return p;
    if (p.type === 'text' || p.type === 'input_text') return p.text ?? '';
    if (p.type === 'tool_result') return textOf(p.content);
    return '';
  }).filter(Boolean).join('\n');
}

/** Splits system/developer messages out and maps the rest to user/assistant turns. */
export function toChat(messages: { role: string; content?: unknown }[], system?: unknown): { system?: string; messages: ChatMessage[] } {
  const systemParts = system === undefined ? [] : [textOf(system)];
  const out: ChatMessage[] = [];
  for (const m of messages) {
    const text = textOf(m.content);
    if (m.role === 'system' || m.role === 'developer') systemParts.push(text);
    else out.push({ role: m.role === 'assistant' ? 'assistant' : 'user', content: text });
  }
  const joined = systemParts.filter(Boolean).join('\n\n');
  return { ...(joined ? { system: joined } : {}), messages: out };
}

/**
 * Drains a gateway stream whose first batch was already read, for the
 * non-streaming form of the compatible endpoints: the whole text and the usage.
 */
export async function collectAnswer(
  first: IteratorResult<GatewayEvent[]>, events: AsyncIterator<GatewayEvent[]>,
): Promise<{ text: string; usage: { inputTokens: number; outputTokens: number } }> {
  let text = '';
  let usage: Pick<UsageEvent, 'inputTokens' | 'outputTokens'> = { inputTokens: 0, outputTokens: 0 };
  for (let r = first; !r.done; r = await events.next()) {
    for (const e of r.value) {
      if (e.type === 'delta') text += e.text;
      else usage = e.usage;
    }
  }
  return { text, usage };
}
