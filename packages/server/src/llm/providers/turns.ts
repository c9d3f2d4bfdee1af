import type { ChatMessage } from '@coditect/contract';
import type { GenerateRequest } from './types.js';

/** The system prompt: the request's own, then any system messages (APIs that take it apart from the turns). */
export function systemText(req: GenerateRequest): string {
  const parts = req.system ? [req.system] : [];
  for (const m of req.messages) if (m.role === 'system' && m.content) parts.push(m.content);
  return parts.join('\n\n');
}

/** User/assistant turns with consecutive messages of one role merged (APIs that want alternating turns). */
export function mergeTurns(messages: ChatMessage[]): { role: 'user' | 'assistant'; texts: string[] }[] {
  const turns: { role: 'user' | 'assistant'; texts: string[] }[] = [];
  for (const m of messages) {
    if (m.role === 'system') continue;
    const last = turns.at(-1);
    if (last?.role === m.role) last.texts.push(m.content);
    else turns.push({ role: m.role, texts: [m.content] });
  }
  return turns;
}
