import type { Tx } from '../database.js';
import type { ConversationsTable, MessagesTable } from '../llm-schema.js';

export type ConversationRow = ConversationsTable;
export type MessageRow = MessagesTable;

export async function insertConversation(tx: Tx, row: ConversationRow): Promise<void> {
  await tx.insertInto('conversations').values(row).execute();
}

export async function findConversation(tx: Tx, tenantId: string, id: string): Promise<ConversationRow | undefined> {
  return tx.selectFrom('conversations').selectAll().where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirst();
}

export interface ConversationCursor { updatedAt: string; id: string }

/** Most recently active first; ties broken by id so pages never skip or repeat rows. */
export async function listConversations(
  tx: Tx, tenantId: string, limit: number, after?: ConversationCursor,
): Promise<ConversationRow[]> {
  let q = tx.selectFrom('conversations').selectAll().where('tenant_id', '=', tenantId);
  if (after) {
    q = q.where((eb) => eb.or([
      eb('updated_at', '<', after.updatedAt),
      eb.and([eb('updated_at', '=', after.updatedAt), eb('id', '<', after.id)]),
    ]));
  }
  return q.orderBy('updated_at', 'desc').orderBy('id', 'desc').limit(limit).execute();
}

export async function touchConversation(tx: Tx, tenantId: string, id: string, at: string): Promise<void> {
  await tx.updateTable('conversations').set({ updated_at: at }).where('tenant_id', '=', tenantId).where('id', '=', id).execute();
}

export async function deleteConversation(tx: Tx, tenantId: string, id: string): Promise<boolean> {
  const r = await tx.deleteFrom('conversations').where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirst();
  return r.numDeletedRows > 0n;
}

export async function listMessages(tx: Tx, tenantId: string, conversationId: string): Promise<MessageRow[]> {
  return tx.selectFrom('messages').selectAll()
    .where('tenant_id', '=', tenantId).where('conversation_id', '=', conversationId).orderBy('seq').execute();
}

export async function nextMessageSeq(tx: Tx, tenantId: string, conversationId: string): Promise<number> {
  const r = await tx.selectFrom('messages').select((eb) => eb.fn.max<number | null>('seq').as('max'))
    .where('tenant_id', '=', tenantId).where('conversation_id', '=', conversationId).executeTakeFirst();
  return r?.max === null || r?.max === undefined ? 0 : Number(r.max) + 1;
}

export async function insertMessages(tx: Tx, rows: MessageRow[]): Promise<void> {
  if (rows.length) await tx.insertInto('messages').values(rows).execute();
}
