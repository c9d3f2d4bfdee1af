/**
 * Row shapes of the LLM gateway's tables, merged into `Database` so Kysely
 * types them (see schema.ts for the engine conventions).
 */
type Bool = number | boolean;
type Json = string | object;
type Ts = string;

export interface ProviderCredentialsTable {
  tenant_id: string;
  provider: string;
  /** AES-256-GCM ciphertext (KeyVault); never a plaintext key. */
  encrypted_key: string | null;
  key_hint: string | null;
  base_url: string | null;
  enabled: Bool;
  last_error: string | null;
  last_used_at: Ts | null;
  /** Last connection test or call, whatever its outcome. */
  last_checked_at: Ts | null;
  /** Last time the provider answered (a passing test or a successful call). */
  last_verified_at: Ts | null;
  created_at: Ts;
  updated_at: Ts;
}

export interface LlmBudgetsTable {
  tenant_id: string;
  monthly_limit_usd: number | null;
  updated_at: Ts;
}

export interface ConversationsTable {
  tenant_id: string;
  id: string;
  user_id: string;
  title: string;
  model: string;
  created_at: Ts;
  updated_at: Ts;
}

export interface MessagesTable {
  tenant_id: string;
  id: string;
  conversation_id: string;
  seq: number;
  role: 'system' | 'user' | 'assistant';
  content: string;
  model: string | null;
  created_at: Ts;
}

export interface LlmUsageTable {
  tenant_id: string;
  id: string;
  user_id: string;
  provider: string;
  model: string;
  /** chat | compare | openai | anthropic */
  endpoint: string;
  input_tokens: number;
  output_tokens: number;
  cost_usd: number;
  latency_ms: number;
  ttft_ms: number | null;
  status: 'ok' | 'error' | 'cancelled';
  error_code: string | null;
  fallback_from: string | null;
  created_at: Ts;
}

export interface ApiTokensTable {
  tenant_id: string;
  id: string;
  user_id: string;
  name: string;
  /** SHA-256 of the token (high-entropy, so a fast hash is enough). */
  token_hash: string;
  prefix: string;
  scopes: Json;
  created_at: Ts;
  expires_at: Ts | null;
  last_used_at: Ts | null;
  revoked_at: Ts | null;
}

declare module './schema.js' {
  interface Database {
    provider_credentials: ProviderCredentialsTable;
    llm_budgets: LlmBudgetsTable;
    conversations: ConversationsTable;
    messages: MessagesTable;
    llm_usage: LlmUsageTable;
    api_tokens: ApiTokensTable;
  }
}

export type { Bool };
