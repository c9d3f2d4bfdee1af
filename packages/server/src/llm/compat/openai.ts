import { randomUUID } from 'node:crypto';
import { API_PREFIX, compatEndpoints } from '@coditect/contract';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { AuthContext } from '../../http/authenticate.js';
import { admit } from '../../http/route.js';
import { listModels } from '../../commands/llm-providers.js';
import type { Deps } from '../../deps.js';
import { AppError } from '../../http/app-error.js';
import { toAppError, type LlmGateway } from '../gateway.js';
import { UpstreamError } from '../providers/types.js';
import { deltaEncoder, SseStream, sseEvent } from '../sse.js';
import { collectAnswer, toChat } from './translate.js';

/** The OpenAI-style door: `/api/v5/llm/openai/v1/{models,chat/completions}`, personal access token as the API key. */
export const OPENAI_BASE = `${API_PREFIX}/llm/openai/v1`;

const Body = z.object({
  model: z.string().min(1),
  messages: z.array(z.object({ role: z.string(), content: z.unknown() }).passthrough()).min(1),
  stream: z.boolean().nullish(),
  stream_options: z.object({ include_usage: z.boolean().nullish() }).passthrough().nullish(),
  temperature: z.number().min(0).max(2).nullish(),
  max_tokens: z.number().int().positive().nullish(),
  max_completion_tokens: z.number().int().positive().nullish(),
}).passthrough();

const TYPES: Record<number, string> = { 400: 'invalid_request_error', 401: 'authentication_error', 402: 'insufficient_quota',
  404: 'not_found_error', 409: 'invalid_request_error', 429: 'rate_limit_error' };

/** Errors in OpenAI's shape, so OpenAI clients report them as they would OpenAI's own. */
function sendError(reply: FastifyReply, err: unknown) {
  const app = err instanceof AppError ? err : err instanceof UpstreamError ? toAppError(err) : undefined;
  if (!app) reply.log.error({ err }, 'openai-compatible endpoint failed');
  const status = app?.status ?? 500;
  reply.headers(app?.options.headers ?? {});
  return reply.status(status).send({
    error: { message: app?.message ?? 'Internal server error', type: TYPES[status] ?? 'api_error', param: null, code: app?.code ?? 'internal_error' },
  });
}

export async function openAiCompatRoutes(app: FastifyInstance, deps: Deps, gateway: LlmGateway): Promise<void> {
  const auth = async (request: FastifyRequest, endpoint: typeof compatEndpoints[keyof typeof compatEndpoints]) =>
    (await admit(deps, request, endpoint)) as AuthContext;

  app.get(API_PREFIX + compatEndpoints.openaiModels.path, async (request, reply) => {
    try {
      const caller = await auth(request, compatEndpoints.openaiModels);
      const { items } = await listModels(gateway, caller);
      return { object: 'list', data: items.map((m) => ({ id: m.id, object: 'model', created: 0, owned_by: m.provider })) };
    } catch (err) {
      return sendError(reply, err);
    }
  });

  app.post(API_PREFIX + compatEndpoints.openaiChat.path, { bodyLimit: 16 * 1024 * 1024 }, async (request, reply) => {
    try {
      const who = await auth(request, compatEndpoints.openaiChat);
      const parsed = Body.safeParse(request.body);
      if (!parsed.success) {
        throw new AppError('validation_failed', parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
      }
      const body = parsed.data;
      const caller = { tenantId: who.tenantId, userId: who.userId, endpoint: 'openai' as const };
      const attempts = await gateway.prepare(caller, body.model);
      const chat = toChat(body.messages);
      const maxTokens = body.max_completion_tokens ?? body.max_tokens ?? undefined;
      const id = `chatcmpl-${randomUUID().replaceAll('-', '')}`;
      const created = Math.floor(Date.now() / 1000);
      const sse = body.stream ? new SseStream(reply) : undefined;
      const signal = sse?.signal ?? AbortSignal.any([]);
      const events = gateway.stream(caller, attempts, { ...chat, temperature: body.temperature ?? undefined, maxTokens }, signal);
      let first;
      try {
        first = await events.next();
      } catch (err) {
        return sendError(reply, err);
      }

      if (!sse) {
        const { text, usage } = await collectAnswer(first, events);
        return {
          id, object: 'chat.completion', created, model: body.model,
          choices: [{ index: 0, message: { role: 'assistant', content: text, refusal: null }, logprobs: null, finish_reason: 'stop' }],
          usage: { prompt_tokens: usage.inputTokens, completion_tokens: usage.outputTokens, total_tokens: usage.inputTokens + usage.outputTokens },
        };
      }

      const chunk = (delta: object, finish: string | null) => ({
        id, object: 'chat.completion.chunk', created, model: body.model,
        choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
      });
      const delta = deltaEncoder(null, (content) => chunk({ content }, null));
      sse.open();
      // The role chunk travels with the first batch of deltas: one write.
      let out = sseEvent(null, JSON.stringify(chunk({ role: 'assistant', content: '' }, null)));
      try {
        for (let r = first; !r.done; r = await events.next()) {
          for (const e of r.value) {
            if (e.type === 'delta') {
              out += delta(e.text);
            } else {
              out += sseEvent(null, JSON.stringify(chunk({}, 'stop')));
              if (body.stream_options?.include_usage) {
                out += sseEvent(null, JSON.stringify({ id, object: 'chat.completion.chunk', created, model: body.model, choices: [],
                  usage: { prompt_tokens: e.usage.inputTokens, completion_tokens: e.usage.outputTokens,
                    total_tokens: e.usage.inputTokens + e.usage.outputTokens } }));
              }
            }
          }
          await sse.write(out);
          out = '';
        }
        await sse.write(out);
        await sse.send(null, '[DONE]');
      } catch (err) {
        await sse.write(out);
        const app = err instanceof UpstreamError ? toAppError(err) : undefined;
        if (!sse.signal.aborted) await sse.send(null, { error: { message: app?.message ?? 'Internal error', type: 'api_error', code: app?.code ?? 'internal_error' } });
      } finally {
        sse.end();
      }
      return reply;
    } catch (err) {
      return sendError(reply, err);
    }
  });
}
