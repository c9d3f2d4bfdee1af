import type { ChatMessage } from '@coditect/contract';

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
