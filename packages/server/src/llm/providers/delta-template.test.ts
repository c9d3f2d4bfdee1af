import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { textDeltaTemplate } from './anthropic.js';
import { chatChunkTemplate } from './openai-chat.js';

const chunk = (delta: object, extra: object = {}, finish: string | null = null) => JSON.stringify({
  id: 'chatcmpl-x', object: 'chat.completion.chunk', created: 1, model: 'gpt-4o', ...extra,
  choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
});
const learned = (first: string) => {
  const t = chatChunkTemplate();
  t.learn(chunk({ content: first }), first);
  return t;
};

describe('DeltaTemplate (OpenAI chunks)', () => {
  it('reads any text exactly as JSON.parse does once learned', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary', minLength: 1 }), fc.string({ unit: 'binary', minLength: 1 }), (first, text) => {
      expect(learned(first).match(chunk({ content: text }))).toBe(text);
    }), { numRuns: 2000 });
  });

  it('matches nothing before it has learned', () => {
    expect(chatChunkTemplate().match(chunk({ content: 'x' }))).toBeUndefined();
  });

  it('leaves every other chunk to the full parse', () => {
    const t = learned('Hello');
    expect(t.match(chunk({ role: 'assistant', content: '' }))).toBeUndefined();
    expect(t.match(chunk({}, {}, 'stop'))).toBeUndefined();
    expect(t.match(chunk({ content: 'x' }, {}, 'length'))).toBeUndefined();
    expect(t.match(chunk({ content: 'x' }, { usage: { prompt_tokens: 1 } }))).toBeUndefined();
    expect(t.match(chunk({ content: null, tool_calls: [{ index: 0, function: { arguments: '{"content":"no"}' } }] }))).toBeUndefined();
    expect(t.match(chunk({ content: 'a"},"logprobs":null,"finish_reason":"stop"}]}' }))).toBe('a"},"logprobs":null,"finish_reason":"stop"}]}');
    expect(t.match(`${chunk({ content: 'x' }).slice(0, -2)}`)).toBeUndefined();
    expect(t.match('[DONE]')).toBeUndefined();
    // Raw text that would end the string early is not a match.
    const raw = chunk({ content: 'PLACEHOLDER' }).replace('PLACEHOLDER', 'a","x":"b');
    expect(t.match(raw)).toBeUndefined();
  });

  it('does not learn from a chunk whose text also appears elsewhere, nor from non-plain chunks', () => {
    const t = chatChunkTemplate();
    t.learn(chunk({ content: 'gpt-4o' }), 'gpt-4o');
    expect(t.match(chunk({ content: 'other' }))).toBeUndefined();
    t.learn(chunk({ content: 'x' }, {}, 'stop'), 'x');
    expect(t.match(chunk({ content: 'other' }, {}, 'stop'))).toBeUndefined();
  });

  it('gives up on envelopes that change per chunk', () => {
    const t = chatChunkTemplate();
    for (let i = 0; i < 10; i++) t.learn(chunk({ content: `t${i}` }, { obfuscation: `pad${i}` }), `t${i}`);
    expect(t.match(chunk({ content: 'x' }, { obfuscation: 'pad9' }))).toBeUndefined();
  });
});

describe('DeltaTemplate (Anthropic events)', () => {
  const ev = (text: string, index = 0) => JSON.stringify({ type: 'content_block_delta', index, delta: { type: 'text_delta', text } });
  it('reads text deltas and declines the rest', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary', minLength: 1 }), (text) => {
      const t = textDeltaTemplate();
      t.learn(ev('first'), 'first');
      expect(t.match(ev(text))).toBe(text);
      expect(t.match(ev(text, 1))).toBeUndefined();
    }), { numRuns: 1000 });
    const t = textDeltaTemplate();
    t.learn(ev('first'), 'first');
    expect(t.match(JSON.stringify({ type: 'content_block_delta', index: 0, delta: { type: 'thinking_delta', thinking: 'x' } }))).toBeUndefined();
    expect(t.match(JSON.stringify({ type: 'message_delta', delta: { stop_reason: 'end_turn' }, usage: { output_tokens: 3 } }))).toBeUndefined();
  });
});
