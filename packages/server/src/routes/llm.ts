import { endpoints } from '@coditect/contract';
import type { FastifyInstance } from 'fastify';
import { createApiToken, listUserApiTokens, revokeUserApiToken } from '../commands/api-tokens.js';
import { getConversation, listUserConversations, removeConversation } from '../commands/conversations.js';
import { streamChat, streamCompare } from '../commands/llm-chat.js';
import { deleteProvider, listModels, listProviders, putProvider, testProvider } from '../commands/llm-providers.js';
import { getBudget, putBudget, usageReport } from '../commands/llm-usage.js';
import type { Deps } from '../deps.js';
import { route } from '../http/route.js';
import { anthropicCompatRoutes } from '../llm/compat/anthropic.js';
import { openAiCompatRoutes } from '../llm/compat/openai.js';
import { createLlmGateway } from '../llm/index.js';

/**
 * The LLM gateway's routes. Who may call each is the contract's `callers`:
 * provider settings, the budget and token management need a signed-in user,
 * so a leaked token can neither mint more nor redirect a key.
 */
export async function llmRoutes(app: FastifyInstance, deps: Deps): Promise<void> {
  const gateway = createLlmGateway(deps);
  app.addHook('onClose', () => gateway.close());

  route(app, deps, endpoints.createApiToken, ({ auth, body }) => createApiToken(deps, auth, body));
  route(app, deps, endpoints.listApiTokens, async ({ auth }) => ({ items: await listUserApiTokens(deps, auth) }));
  route(app, deps, endpoints.revokeApiToken, ({ auth, params }) => revokeUserApiToken(deps, auth, params.id));

  route(app, deps, endpoints.listProviders, ({ auth }) => listProviders(gateway, auth));
  route(app, deps, endpoints.putProvider, ({ params, body, auth }) => putProvider(deps, gateway, auth, params.provider, body));
  route(app, deps, endpoints.deleteProvider, ({ params, auth }) => deleteProvider(deps, auth, params.provider));
  route(app, deps, endpoints.testProvider, ({ params, auth }) => testProvider(deps, gateway, auth, params.provider));
  route(app, deps, endpoints.listModels, ({ auth }) => listModels(gateway, auth));
  route(app, deps, endpoints.chat, ({ body, reply, auth }) => streamChat(deps, gateway, auth, body, reply));
  route(app, deps, endpoints.compare, ({ body, reply, auth }) => streamCompare(gateway, auth, body, reply));
  route(app, deps, endpoints.listConversations, ({ query, auth }) => listUserConversations(deps, auth, query));
  route(app, deps, endpoints.getConversation, ({ params, auth }) => getConversation(deps, auth, params.id));
  route(app, deps, endpoints.deleteConversation, ({ params, auth }) => removeConversation(deps, auth, params.id));
  route(app, deps, endpoints.getUsage, ({ query, auth }) => usageReport(deps, auth, query));
  route(app, deps, endpoints.getBudget, ({ auth }) => getBudget(gateway, auth));
  route(app, deps, endpoints.putBudget, ({ body, auth }) => putBudget(deps, gateway, auth, body));
  await openAiCompatRoutes(app, deps, gateway);
  await anthropicCompatRoutes(app, deps, gateway);
}
