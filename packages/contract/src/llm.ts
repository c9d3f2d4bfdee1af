import { z } from 'zod';
import { Id, Timestamp } from './fields.js';
import type { Endpoint } from './endpoints.js';
import type { PlainEndpoint } from './file-endpoints.js';
import { TokenScope, USER_ONLY, type Callers } from './callers.js';

/** Every provider the gateway can reach. */
export const ProviderId = z.enum(['anthropic', 'openai', 'google', 'xai', 'ollama', 'lmstudio', 'openai-compatible', 'local']);
export type ProviderId = z.infer<typeof ProviderId>;
export const PROVIDER_IDS = ProviderId.options;

export const ProviderParams = z.object({ provider: ProviderId });

/** An http(s) URL; provider base URLs point at the API root (e.g. `https://api.openai.com/v1`). */
const HttpUrl = z.string().trim().max(2048).refine((v) => /^https?:\/\/[^\s]+$/i.test(v), 'Must be an http(s) URL');

/**
 * Stores (or updates) a tenant's settings for one provider. An omitted apiKey
 * keeps the stored one, unless baseUrl changes: then the stored key is dropped.
 */
export const PutProviderRequest = z.object({
  apiKey: z.string().trim().min(1).max(4096).optional().describe('Provider API key; write-only, never returned'),
  baseUrl: HttpUrl.nullable().optional().describe('API root override (proxy, self-hosted); null resets it. Changing it without an apiKey drops the stored key; '
    + 'loopback, private, link-local and metadata addresses are refused (egress_denied) unless the operator allows them'),
  enabled: z.boolean().default(true),
});
export type PutProviderRequest = z.infer<typeof PutProviderRequest>;

/** One provider as a tenant sees it: never the key, only its last four characters. */
export const ProviderStatus = z.object({
  provider: ProviderId,
  label: z.string(),
  requiresKey: z.boolean(),
  /** Usable: enabled, and a key is present when the provider needs one. */
  configured: z.boolean(),
  enabled: z.boolean(),
  keyHint: z.string().nullable().describe('Last four characters of the key in use'),
  keySource: z.enum(['tenant', 'server']).nullable(),
  baseUrl: z.string().nullable(),
  status: z.enum(['ready', 'disabled', 'not_configured', 'error']),
  lastError: z.string().nullable().describe('Last upstream error: a generic, provider-named sentence (never a key or the upstream\'s own text)'),
  verification: z.enum(['not_configured', 'untested', 'verified', 'failing'])
    .describe('What is known: no usable key; never checked; answered at lastVerifiedAt; failed at lastCheckedAt with lastError'),
  lastCheckedAt: Timestamp.nullable().describe('Last connection test or call, whatever its outcome'),
  lastVerifiedAt: Timestamp.nullable().describe('Last time the provider answered'),
  lastUsedAt: Timestamp.nullable(),
  updatedAt: Timestamp.nullable(),
});
export type ProviderStatus = z.infer<typeof ProviderStatus>;
export const ProviderList = z.object({ items: z.array(ProviderStatus) });
export type ProviderList = z.infer<typeof ProviderList>;

/** Result of `POST /llm/providers/{provider}/test`: one small real call to the provider with the tenant's settings. */
export const ProviderTestResult = z.object({
  provider: ProviderId,
  ok: z.boolean(),
  latencyMs: z.number().int(),
  message: z.string().describe('What was checked, or the upstream error (provider-named, never a key)'),
  models: z.number().int().nullable().describe('Models the provider offers, when listed'),
});
export type ProviderTestResult = z.infer<typeof ProviderTestResult>;

/** USD per million tokens. */
export const ModelPricing = z.object({ inputPerMTok: z.number(), outputPerMTok: z.number() });
export type ModelPricing = z.infer<typeof ModelPricing>;

export const LlmModel = z.object({
  id: z.string().describe('`provider/model`, the id every endpoint accepts'),
  provider: ProviderId,
  model: z.string(),
  name: z.string(),
  contextWindow: z.number().int().nullable(),
  capabilities: z.object({ streaming: z.boolean(), tools: z.boolean(), vision: z.boolean() }),
  pricing: ModelPricing.nullable().describe('null: unknown or free (local)'),
  source: z.enum(['catalog', 'upstream']).describe('catalog: known model list; upstream: listed by the provider'),
});
export type LlmModel = z.infer<typeof LlmModel>;
export const ModelList = z.object({
  items: z.array(LlmModel),
  errors: z.array(z.object({ provider: ProviderId, message: z.string() })).describe('Providers whose listing failed'),
});
export type ModelList = z.infer<typeof ModelList>;

export const ChatRole = z.enum(['system', 'user', 'assistant']);
export const ChatMessage = z.object({ role: ChatRole, content: z.string().max(1_000_000) });
export type ChatMessage = z.infer<typeof ChatMessage>;

/** `provider/model`. */
export const ModelRef = z.string().trim().min(3).max(300).regex(/^[a-z-]+\/.+$/, 'Use provider/model, e.g. openai/gpt-4o');

const Generation = {
  system: z.string().max(200_000).optional(),
  temperature: z.number().min(0).max(2).optional(),
  maxTokens: z.number().int().min(1).max(200_000).optional(),
};

export const ChatRequest = z.object({
  model: ModelRef,
  messages: z.array(ChatMessage).min(1).max(500),
  ...Generation,
  conversationId: Id.optional().describe('Continue this conversation: its history is prepended'),
  persist: z.boolean().default(true).describe('false: do not store the exchange as a conversation'),
  fallbackModels: z.array(ModelRef).max(3).optional().describe('Tried in order on 429/5xx/timeout before the first token'),
});
export type ChatRequest = z.infer<typeof ChatRequest>;

export const CompareRequest = z.object({
  models: z.array(ModelRef).min(2).max(4).refine((m) => new Set(m).size === m.length, 'Models must differ'),
  messages: z.array(ChatMessage).min(1).max(500),
  ...Generation,
});
export type CompareRequest = z.infer<typeof CompareRequest>;

/** Per-call accounting, sent as the last event of each stream and stored in `llm_usage`. */
export const UsageEvent = z.object({
  model: z.string(),
  provider: ProviderId,
  inputTokens: z.number().int(),
  outputTokens: z.number().int(),
  costUsd: z.number(),
  latencyMs: z.number().int(),
  ttftMs: z.number().int().nullable(),
  status: z.enum(['ok', 'error', 'cancelled']),
  fallbackFrom: z.string().nullable(),
});
export type UsageEvent = z.infer<typeof UsageEvent>;

/**
 * Server-sent events of `/llm/chat` and `/llm/compare` (the SSE `event:` name
 * is `type`; `data:` is this JSON). Compare tags every event with its model.
 */
export const ChatStreamEvent = z.discriminatedUnion('type', [
  z.object({ type: z.literal('start'), model: z.string(), conversationId: Id.nullable() }),
  z.object({ type: z.literal('delta'), model: z.string(), text: z.string() }),
  z.object({ type: z.literal('usage'), ...UsageEvent.shape }),
  z.object({ type: z.literal('error'), model: z.string().nullable(), code: z.string(), message: z.string() }),
  z.object({ type: z.literal('done') }),
]);
export type ChatStreamEvent = z.infer<typeof ChatStreamEvent>;

export const Conversation = z.object({
  id: Id,
  userId: Id,
  title: z.string(),
  model: z.string(),
  createdAt: Timestamp,
  updatedAt: Timestamp,
});
export type Conversation = z.infer<typeof Conversation>;
export const StoredMessage = z.object({
  id: Id, role: ChatRole, content: z.string(), model: z.string().nullable(), createdAt: Timestamp,
});
export const ConversationDetail = Conversation.extend({ messages: z.array(StoredMessage) });
export type ConversationDetail = z.infer<typeof ConversationDetail>;
export const ListConversationsQuery = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(50),
  cursor: z.string().max(200).optional(),
});
export const ConversationPage = z.object({ items: z.array(Conversation), nextCursor: z.string().nullable() });
export type ConversationPage = z.infer<typeof ConversationPage>;

const Day = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'Use YYYY-MM-DD');
export const UsageQuery = z.object({
  from: Day.optional().describe('First day (UTC), default: 30 days ago'),
  to: Day.optional().describe('Last day (UTC), inclusive; default: today'),
});
export const UsageTotals = z.object({
  requests: z.number().int(),
  errors: z.number().int(),
  inputTokens: z.number().int(),
  outputTokens: z.number().int(),
  costUsd: z.number(),
  avgLatencyMs: z.number().int().nullable(),
});
export const UsageGroup = UsageTotals.extend({ key: z.string() });
export const UsageReport = z.object({
  from: Day,
  to: Day,
  totals: UsageTotals,
  byDay: z.array(UsageGroup),
  byModel: z.array(UsageGroup),
  byUser: z.array(UsageGroup),
});
export type UsageReport = z.infer<typeof UsageReport>;

export const Budget = z.object({
  monthlyLimitUsd: z.number().nullable().describe('null: no limit'),
  month: z.string().describe('YYYY-MM (UTC)'),
  spentUsd: z.number(),
  remainingUsd: z.number().nullable(),
});
export type Budget = z.infer<typeof Budget>;
/** A monthly limit in US dollars: whole cents from $0 (block every call) to $1,000,000. */
export const BudgetLimitUsd = z.number({ error: 'Enter an amount in dollars, e.g. 25 or 12.50' })
  .min(0, 'The limit cannot be negative')
  .max(1_000_000, 'The limit can be at most $1,000,000')
  // Whole cents: a sub-cent limit would be silently rounded by every display of it.
  .refine((v) => Math.abs(v * 100 - Math.round(v * 100)) < 1e-6, 'Use whole cents (at most two decimals)');
export const PutBudgetRequest = z.object({ monthlyLimitUsd: BudgetLimitUsd.nullable() });
export type PutBudgetRequest = z.infer<typeof PutBudgetRequest>;

export const CreateApiTokenRequest = z.object({
  name: z.string().trim().min(1).max(100),
  scopes: z.array(TokenScope).min(1).default(['llm', 'sessions']),
  expiresInDays: z.number().int().min(1).max(3650).optional().describe('Omit for a token that does not expire'),
});
export type CreateApiTokenRequest = z.infer<typeof CreateApiTokenRequest>;
export const ApiToken = z.object({
  id: Id,
  name: z.string(),
  prefix: z.string().describe('First characters of the token, to recognise it'),
  scopes: z.array(TokenScope),
  createdAt: Timestamp,
  expiresAt: Timestamp.nullable(),
  lastUsedAt: Timestamp.nullable(),
});
export type ApiToken = z.infer<typeof ApiToken>;
export const CreatedApiToken = ApiToken.extend({ token: z.string().describe('Shown once; store it now') });
export type CreatedApiToken = z.infer<typeof CreatedApiToken>;
export const ApiTokenList = z.object({ items: z.array(ApiToken) });
export const IdParam = z.object({ id: Id });

const endpoint = <const E extends Endpoint>(e: E): E => e;

/** The gateway itself: the user, a personal token with `llm`, and the workspace's token (within the tenant's budget). */
const GATEWAY = { user: true, personalToken: 'llm', workspace: 'gateway' } as const satisfies Callers;
/** Reading the tenant's LLM records (providers without keys, conversations, usage): the user and `llm` personal tokens, not workspaces. */
const LLM_READ = { user: true, personalToken: 'llm' } as const satisfies Callers;

/** The gateway's endpoints (spread into the `endpoints` table). */
export const llmEndpoints = {
  listProviders: endpoint({ method: 'GET', path: '/llm/providers', tag: 'llm', callers: LLM_READ, status: 200,
    response: ProviderList, summary: "The tenant's providers: configured, key hint, status (never a key)" }),
  putProvider: endpoint({ method: 'PUT', path: '/llm/providers/:provider', tag: 'llm', callers: USER_ONLY, status: 200,
    params: ProviderParams, body: PutProviderRequest, response: ProviderStatus,
    summary: 'Store a provider key (encrypted), base URL and enabled flag for the tenant' }),
  deleteProvider: endpoint({ method: 'DELETE', path: '/llm/providers/:provider', tag: 'llm', callers: USER_ONLY, status: 204,
    params: ProviderParams, summary: "Forget the tenant's settings and key for a provider" }),
  testProvider: endpoint({ method: 'POST', path: '/llm/providers/:provider/test', tag: 'llm', callers: USER_ONLY, rateLimit: 'providerTest', status: 200,
    params: ProviderParams, response: ProviderTestResult,
    summary: "Test the tenant's provider settings: lists its models, or streams one token from its first model (not billed to usage)" }),
  listModels: endpoint({ method: 'GET', path: '/llm/models', tag: 'llm', callers: GATEWAY, status: 200,
    response: ModelList, summary: 'Models of every enabled provider, with capabilities and prices' }),
  chat: endpoint({ method: 'POST', path: '/llm/chat', tag: 'llm', callers: GATEWAY, rateLimit: 'llm', status: 200, body: ChatRequest,
    summary: 'Stream a chat completion as server-sent events (ChatStreamEvent): deltas, then usage' }),
  compare: endpoint({ method: 'POST', path: '/llm/compare', tag: 'llm', callers: GATEWAY, rateLimit: 'llm', status: 200, body: CompareRequest,
    summary: 'One prompt to 2–4 models; one SSE stream, every event tagged with its model' }),
  listConversations: endpoint({ method: 'GET', path: '/llm/conversations', tag: 'llm', callers: LLM_READ, status: 200,
    query: ListConversationsQuery, response: ConversationPage, summary: "The tenant's conversations, newest first" }),
  getConversation: endpoint({ method: 'GET', path: '/llm/conversations/:id', tag: 'llm', callers: LLM_READ, status: 200,
    params: IdParam, response: ConversationDetail, summary: 'One conversation with its messages' }),
  deleteConversation: endpoint({ method: 'DELETE', path: '/llm/conversations/:id', tag: 'llm', callers: LLM_READ,
    status: 204, params: IdParam, summary: 'Delete a conversation and its messages' }),
  getUsage: endpoint({ method: 'GET', path: '/llm/usage', tag: 'llm', callers: LLM_READ, status: 200, query: UsageQuery,
    response: UsageReport, summary: 'Token, cost and latency totals by day, model and user' }),
  getBudget: endpoint({ method: 'GET', path: '/llm/budget', tag: 'llm', callers: GATEWAY, status: 200, response: Budget,
    summary: "The tenant's monthly budget and this month's spend" }),
  putBudget: endpoint({ method: 'PUT', path: '/llm/budget', tag: 'llm', callers: USER_ONLY, status: 200,
    body: PutBudgetRequest, response: Budget, summary: 'Set (or clear) the monthly budget; over it calls answer 402' }),

  createApiToken: endpoint({ method: 'POST', path: '/users/me/tokens', tag: 'users', callers: USER_ONLY, status: 201,
    body: CreateApiTokenRequest, response: CreatedApiToken,
    summary: 'Create a personal access token for CLIs and SDKs (shown once, stored hashed)' }),
  listApiTokens: endpoint({ method: 'GET', path: '/users/me/tokens', tag: 'users', callers: USER_ONLY, status: 200,
    response: ApiTokenList, summary: "The user's personal access tokens (never the token)" }),
  revokeApiToken: endpoint({ method: 'DELETE', path: '/users/me/tokens/:id', tag: 'users', callers: USER_ONLY, status: 204,
    params: IdParam, summary: 'Revoke a personal access token' }),
} as const;

/**
 * The OpenAI- and Anthropic-compatible doors (plain routes: foreign request and
 * error shapes). Their clients send a token as the API key, never a user's JWT.
 */
export const compatEndpoints = {
  openaiModels: { method: 'GET', path: '/llm/openai/v1/models', callers: { user: false, personalToken: 'llm', workspace: 'gateway' } },
  openaiChat: { method: 'POST', path: '/llm/openai/v1/chat/completions', callers: { user: false, personalToken: 'llm', workspace: 'gateway' },
    rateLimit: 'llm' },
  anthropicMessages: { method: 'POST', path: '/llm/anthropic/v1/messages', callers: { user: false, personalToken: 'llm', workspace: 'gateway' },
    rateLimit: 'llm' },
} as const satisfies Record<string, PlainEndpoint>;
