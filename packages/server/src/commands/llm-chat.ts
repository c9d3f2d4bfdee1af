import type { ChatRequest, ChatStreamEvent, CompareRequest } from '@coditect/contract';
import type { FastifyReply } from 'fastify';
import type { Deps } from '../deps.js';
import { AppError, notFound } from '../http/app-error.js';
import type { AuthContext } from '../http/authenticate.js';
import { toAppError, type Attempt, type GatewayEvent, type LlmGateway } from '../llm/gateway.js';
import { UpstreamError } from '../llm/providers/types.js';
import { deltaEncoder, SseStream, sseEvent } from '../llm/sse.js';
import { appendToConversation, conversationHistory } from './conversations.js';

const send = (sse: SseStream, e: ChatStreamEvent) => sse.send(e.type, e);
const encode = (e: ChatStreamEvent) => sseEvent(e.type, JSON.stringify(e));
/** `delta` events of one model, encoded without re-serialising the event per token. */
const deltaEvents = (model: string) => deltaEncoder('delta', (text): ChatStreamEvent => ({ type: 'delta', model, text }));

function errorEvent(model: string | null, err: unknown): ChatStreamEvent {
  const app = err instanceof UpstreamError ? toAppError(err) : err instanceof AppError ? err : undefined;
  return { type: 'error', model, code: app?.code ?? 'internal_error', message: app?.message ?? 'Internal error' };
}

/**
 * `POST /llm/chat`: answers JSON errors until the first token (so a client
 * sees 402/404/409/429/502/504 as statuses), then streams SSE: start, deltas,
 * usage, done. The exchange is stored as a conversation unless `persist: false`.
 */
export async function streamChat(
  deps: Deps, gateway: LlmGateway, auth: AuthContext, body: ChatRequest, reply: FastifyReply,
): Promise<void> {
  const caller = { tenantId: auth.tenantId, userId: auth.userId, endpoint: 'chat' as const };
  // A workspace may continue only conversations it started: the user's other chats stay out of its reach.
  const workspace = auth.workspaceSessionId;
  if (workspace && body.conversationId && !deps.workspaces.startedConversation(workspace, body.conversationId)) {
    throw notFound('Conversation');
  }
  const history = body.conversationId ? await conversationHistory(deps, auth, body.conversationId) : [];
  const attempts = await gateway.prepare(caller, body.model, body.fallbackModels);
  const sse = new SseStream(reply);
  const events = gateway.stream(caller, attempts, {
    messages: [...history, ...body.messages], system: body.system, temperature: body.temperature, maxTokens: body.maxTokens,
  }, sse.signal);

  let first: IteratorResult<GatewayEvent[]>;
  try {
    first = await events.next();
  } catch (err) {
    if (err instanceof UpstreamError) throw toAppError(err);
    throw err;
  }
  let text = '';
  let servedBy = attempts[0]!.ref;
  let conversationId: string | null = body.conversationId ?? null;
  if (body.persist) {
    conversationId = await appendToConversation(deps, auth, body.conversationId, body.model,
      body.messages.map((m) => ({ ...m, model: null })));
    if (workspace) deps.workspaces.rememberConversation(workspace, conversationId);
  }
  sse.open();
  const delta = deltaEvents(body.model);
  // The start event travels with the first batch of deltas: one write.
  let out = encode({ type: 'start', model: body.model, conversationId });
  try {
    for (let r = first; !r.done; r = await events.next()) {
      for (const e of r.value) {
        if (e.type === 'delta') {
          if (body.persist) text += e.text;
          out += delta(e.text);
        } else {
          servedBy = e.usage.model;
          out += encode({ type: 'usage', ...e.usage });
        }
      }
      await sse.write(out);
      out = '';
    }
    await sse.write(out); // a stream without any event still sends its start
  } catch (err) {
    await sse.write(out);
    if (!sse.signal.aborted) await send(sse, errorEvent(body.model, err));
  } finally {
    if (body.persist && conversationId && text) {
      await appendToConversation(deps, auth, conversationId, body.model, [{ role: 'assistant', content: text, model: servedBy }])
        .catch((err) => deps.log.error({ err }, 'failed to store assistant message'));
    }
    if (!sse.signal.aborted) await send(sse, { type: 'done' });
    sse.end();
  }
}

/**
 * `POST /llm/compare`: every model streams at once into one SSE stream, each
 * event tagged with its model; a model that fails sends its own error event
 * and the others carry on.
 */
export async function streamCompare(
  gateway: LlmGateway, auth: AuthContext, body: CompareRequest, reply: FastifyReply,
): Promise<void> {
  const caller = { tenantId: auth.tenantId, userId: auth.userId, endpoint: 'compare' as const };
  await gateway.checkBudget(auth.tenantId);
  const prepared = await Promise.all(body.models.map(async (model) => {
    try {
      return { model, attempts: await gateway.prepare(caller, model) as Attempt[] };
    } catch (err) {
      return { model, error: err };
    }
  }));
  const sse = new SseStream(reply);
  sse.open();
  const gen = { messages: body.messages, system: body.system, temperature: body.temperature, maxTokens: body.maxTokens };
  await Promise.all(prepared.map(async (p) => {
    await send(sse, { type: 'start', model: p.model, conversationId: null });
    if (!p.attempts) return send(sse, errorEvent(p.model, p.error));
    const delta = deltaEvents(p.model);
    try {
      for await (const batch of gateway.stream(caller, p.attempts, gen, sse.signal)) {
        let out = '';
        for (const e of batch) {
          out += e.type === 'delta' ? delta(e.text) : encode({ type: 'usage', ...e.usage, model: p.model });
        }
        await sse.write(out);
      }
    } catch (err) {
      if (!sse.signal.aborted) await send(sse, errorEvent(p.model, err));
    }
    return undefined;
  }));
  if (!sse.signal.aborted) await send(sse, { type: 'done' });
  sse.end();
}
