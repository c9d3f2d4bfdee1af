import type { ApiToken, Conversation, ConversationDetail, ProviderStatus } from '@coditect/contract';
import type { ResolvedProvider } from '../llm/provider-settings.js';
import type { ProviderAdapter } from '../llm/providers/types.js';
import { readJson } from '../store/database.js';
import type { ApiTokenRow } from '../store/repositories/api-tokens.js';
import type { ConversationRow, MessageRow } from '../store/repositories/conversations.js';

/** A provider as the tenant sees it: the key only as its last four characters. */
export function presentProviderStatus(adapter: ProviderAdapter, p: ResolvedProvider): ProviderStatus {
  const lastError = p.row?.last_error ?? null;
  return {
    provider: p.provider,
    label: adapter.label,
    requiresKey: adapter.requiresKey,
    configured: p.configured,
    enabled: p.enabled,
    keyHint: p.keyHint,
    keySource: p.keySource,
    baseUrl: p.settings.baseUrl ?? adapter.defaultBaseUrl,
    status: !p.enabled ? 'disabled' : !p.configured ? 'not_configured' : lastError ? 'error' : 'ready',
    lastError,
    // "Not configured" means no key where one is needed (a disabled provider keeps what is known of it).
    verification: adapter.requiresKey && !p.keyHint ? 'not_configured' : lastError ? 'failing' : p.row?.last_verified_at ? 'verified' : 'untested',
    lastCheckedAt: p.row?.last_checked_at ?? null,
    lastVerifiedAt: p.row?.last_verified_at ?? null,
    lastUsedAt: p.row?.last_used_at ?? null,
    updatedAt: p.row?.updated_at ?? null,
  };
}

export function presentConversation(row: ConversationRow): Conversation {
  return { id: row.id, userId: row.user_id, title: row.title, model: row.model, createdAt: row.created_at, updatedAt: row.updated_at };
}

export function presentConversationDetail(row: ConversationRow, messages: MessageRow[]): ConversationDetail {
  return {
    ...presentConversation(row),
    messages: messages.map((m) => ({ id: m.id, role: m.role, content: m.content, model: m.model, createdAt: m.created_at })),
  };
}

/** A personal access token without the token (only its prefix). */
export function presentApiToken(row: ApiTokenRow): ApiToken {
  return {
    id: row.id, name: row.name, prefix: row.prefix, scopes: readJson(row.scopes), createdAt: row.created_at,
    expiresAt: row.expires_at, lastUsedAt: row.last_used_at,
  };
}
