import { randomUUID } from 'node:crypto';
import type { ChatMessage, ConversationDetail, ConversationPage } from '@coditect/contract';
import type { Deps } from '../deps.js';
import { AppError, notFound } from '../http/app-error.js';
import type { AuthContext } from '../http/authenticate.js';
import { presentConversation, presentConversationDetail } from '../presenters/llm.js';
import {
  deleteConversation, findConversation, insertConversation, insertMessages, listConversations, listMessages,
  nextMessageSeq, touchConversation, type ConversationCursor,
} from '../store/repositories/conversations.js';

/** Conversations belong to the tenant; another tenant's id answers 404. */

export async function getConversation(deps: Deps, auth: AuthContext, id: string): Promise<ConversationDetail> {
  const found = await deps.store.tenant(auth.tenantId, async (tx) => {
    const row = await findConversation(tx, auth.tenantId, id);
    return row ? { row, messages: await listMessages(tx, auth.tenantId, id) } : undefined;
  });
  if (!found) throw notFound('Conversation');
  return presentConversationDetail(found.row, found.messages);
}

const encodeCursor = (c: ConversationCursor) => Buffer.from(JSON.stringify([c.updatedAt, c.id])).toString('base64url');
function decodeCursor(cursor: string): ConversationCursor {
  try {
    const [updatedAt, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown[];
    if (typeof updatedAt === 'string' && typeof id === 'string') return { updatedAt, id };
  } catch { /* fall through */ }
  throw new AppError('validation_failed', 'Invalid cursor', {
    details: [{ path: 'cursor', message: 'Not a cursor returned by this endpoint', code: 'invalid_cursor' }],
  });
}

export async function listUserConversations(
  deps: Deps, auth: AuthContext, query: { limit: number; cursor?: string | undefined },
): Promise<ConversationPage> {
  const after = query.cursor ? decodeCursor(query.cursor) : undefined;
  const rows = await deps.store.tenant(auth.tenantId, (tx) => listConversations(tx, auth.tenantId, query.limit + 1, after));
  const page = rows.slice(0, query.limit);
  const last = page.at(-1);
  return {
    items: page.map(presentConversation),
    nextCursor: rows.length > query.limit && last ? encodeCursor({ updatedAt: last.updated_at, id: last.id }) : null,
  };
}

export async function removeConversation(deps: Deps, auth: AuthContext, id: string): Promise<void> {
  const ok = await deps.store.tenant(auth.tenantId, (tx) => deleteConversation(tx, auth.tenantId, id));
  if (!ok) throw notFound('Conversation');
}

/** The stored history of a conversation as chat messages (404 for another tenant's id). */
export async function conversationHistory(deps: Deps, auth: AuthContext, id: string): Promise<ChatMessage[]> {
  const detail = await getConversation(deps, auth, id);
  return detail.messages.map((m) => ({ role: m.role, content: m.content }));
}

/** Appends messages to a conversation, creating it first when `id` is undefined. Returns its id. */
export async function appendToConversation(
  deps: Deps, auth: AuthContext, id: string | undefined, model: string,
  messages: { role: ChatMessage['role']; content: string; model: string | null }[],
): Promise<string> {
  const at = deps.now().toISOString();
  return deps.store.tenant(auth.tenantId, async (tx) => {
    let conversationId = id;
    if (!conversationId) {
      conversationId = randomUUID();
      const firstUser = messages.find((m) => m.role === 'user')?.content ?? 'Conversation';
      const title = firstUser.replace(/\s+/g, ' ').trim().slice(0, 80) || 'Conversation';
      await insertConversation(tx, {
        tenant_id: auth.tenantId, id: conversationId, user_id: auth.userId, title, model, created_at: at, updated_at: at,
      });
    } else {
      await touchConversation(tx, auth.tenantId, conversationId, at);
    }
    let seq = await nextMessageSeq(tx, auth.tenantId, conversationId);
    await insertMessages(tx, messages.map((m) => ({
      tenant_id: auth.tenantId, id: randomUUID(), conversation_id: conversationId!, seq: seq++, role: m.role,
      content: m.content, model: m.model, created_at: at,
    })));
    return conversationId;
  });
}
