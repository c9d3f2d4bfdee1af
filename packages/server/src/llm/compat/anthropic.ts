import { randomUUID } from 'node:crypto';
import { API_PREFIX, compatEndpoints } from '@coditect/contract';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { z } from 'zod';
import type { AuthContext } from '../../http/authenticate.js';
import { admit } from '../../http/route.js';
import type { Deps } from '../../deps.js';
import { AppError } from '../../http/app-error.js';
import { toAppError, type LlmGateway } from '../gateway.js';
import { UpstreamError } from '../providers/types.js';
import { deltaEncoder, SseStream, sseEvent } from '../sse.js';
import { collectAnswer, toChat } from './translate.js';

/** The Anthropic-style door: `/api/v5/llm/anthropic/v1/messages`, personal access token as `x-api-key`. */
export const ANTHROPIC_BASE = `${API_PREFIX}/llm/anthropic`;

const Body = z.object({
  model: z.string().min(1),
  max_tokens: z.number().int().positive(),
  messages: z.array(z.object({ role: z.enum(['user', 'assistant']), content: z.unknown() }).passthrough()).min(1),
  system: z.unknown().optional(),
  stream: z.boolean().nullish(),
  temperature: z.number().min(0).max(1).nullish(),
}).passthrough();

const TYPES: Record<number, string> = { 400: 'invalid_request_error', 401: 'authentication_error', 402: 'billing_error',
  403: 'permission_error', 404: 'not_found_error', 409: 'invalid_request_error', 413: 'request_too_large', 429: 'rate_limit_error',
  504: 'timeout_error' };

/** Errors in Anthropic's shape (`{type:'error', error:{type, message}}`). */
function errorBody(err: unknown): { status: number; body: object; headers: Record<string, string> } {
  const app = err instanceof AppError ? err : err instanceof UpstreamError ? toAppError(err) : undefined;
  const status = app?.status ?? 500;
  return { status, headers: app?.options.headers ?? {},
    body: { type: 'error', error: { type: TYPES[status] ?? 'api_error', message: app?.message ?? 'Internal server error' } } };
}

function sendError(reply: FastifyReply, err: unknown) {
  const { status, body, headers } = errorBody(err);
  if (status >= 500 && !(err instanceof UpstreamError)) reply.log.error({ err }, 'anthropic-compatible endpoint failed');
  return reply.status(status).headers(headers).send(body);
}

export async function anthropicCompatRoutes(app: FastifyInstance, deps: Deps, gateway: LlmGateway): Promise<void> {
  app.post(API_PREFIX + compatEndpoints.anthropicMessages.path, { bodyLimit: 16 * 1024 * 1024 }, async (request, reply) => {
    try {
      const who = (await admit(deps, request, compatEndpoints.anthropicMessages)) as AuthContext;
      const parsed = Body.safeParse(request.body);
      if (!parsed.success) {
        throw new AppError('validation_failed', parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
      }
      const body = parsed.data;
      const caller = { tenantId: who.tenantId, userId: who.userId, endpoint: 'anthropic' as const };
      const attempts = await gateway.prepare(caller, body.model);
      const chat = toChat(body.messages, body.system);
      const id = `msg_${randomUUID().replaceAll('-', '')}`;
      const sse = body.stream ? new SseStream(reply) : undefined;
      const events = gateway.stream(caller, attempts,
        { ...chat, temperature: body.temperature ?? undefined, maxTokens: body.max_tokens }, sse?.signal ?? AbortSignal.any([]));
      let first;
      try {
        first = await events.next();
      } catch (err) {
        return sendError(reply, err);
      }

      if (!sse) {
        const { text, usage } = await collectAnswer(first, events);
        return { id, type: 'message', role: 'assistant', model: body.model, content: [{ type: 'text', text }],
          stop_reason: 'end_turn', stop_sequence: null, usage: { input_tokens: usage.inputTokens, output_tokens: usage.outputTokens } };
      }

      const ev = (name: string, data: object) => sseEvent(name, JSON.stringify(data));
      const delta = deltaEncoder('content_block_delta', (text) => ({ type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text } }));
      sse.open();
      // The opening events travel with the first batch of deltas: one write.
      let out = ev('message_start', { type: 'message_start', message: { id, type: 'message', role: 'assistant', model: body.model,
        content: [], stop_reason: null, stop_sequence: null, usage: { input_tokens: 0, output_tokens: 0 } } })
        + ev('content_block_start', { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } })
        + ev('ping', { type: 'ping' });
      try {
        for (let r = first; !r.done; r = await events.next()) {
          for (const e of r.value) {
            if (e.type === 'delta') {
              out += delta(e.text);
            } else {
              out += ev('content_block_stop', { type: 'content_block_stop', index: 0 })
                + ev('message_delta', { type: 'message_delta', delta: { stop_reason: 'end_turn', stop_sequence: null },
                  usage: { input_tokens: e.usage.inputTokens, output_tokens: e.usage.outputTokens } })
                + ev('message_stop', { type: 'message_stop' });
            }
          }
          await sse.write(out);
          out = '';
        }
        await sse.write(out);
      } catch (err) {
        await sse.write(out);
        if (!sse.signal.aborted) await sse.send('error', errorBody(err).body);
      } finally {
        sse.end();
      }
      return reply;
    } catch (err) {
      return sendError(reply, err);
    }
  });
}
