import { endpoints, type Endpoint } from '@coditect/contract';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import {
  authenticateAny, createApiToken, listUserApiTokens, revokeUserApiToken,
} from '../commands/api-tokens.js';
import { getConversation, listUserConversations, removeConversation } from '../commands/conversations.js';
import { streamChat, streamCompare } from '../commands/llm-chat.js';
import { deleteProvider, listModels, listProviders, putProvider } from '../commands/llm-providers.js';
import { getBudget, putBudget, usageReport } from '../commands/llm-usage.js';
import type { Deps } from '../deps.js';
import type { AuthContext } from '../http/authenticate.js';
import { route, type HandlerInput } from '../http/route.js';
import { anthropicCompatRoutes } from '../llm/compat/anthropic.js';
import { openAiCompatRoutes } from '../llm/compat/openai.js';
import { createLlmGateway } from '../llm/index.js';

/**
 * The LLM gateway's routes. `/llm/*` accept a signed-in user's access token
 * or a personal access token with the `llm` scope (the CLI); token management
 * needs a signed-in user, so a leaked token cannot mint more.
 */
export async function llmRoutes(app: FastifyInstance, deps: Deps): Promise<void> {
  const gateway = createLlmGateway(deps);
  app.addHook('onClose', () => gateway.close());

  route(app, deps, endpoints.createApiToken, ({ auth, body }) => createApiToken(deps, auth, body));
  route(app, deps, endpoints.listApiTokens, async ({ auth }) => ({ items: await listUserApiTokens(deps, auth) }));
  route(app, deps, endpoints.revokeApiToken, ({ auth, params }) => revokeUserApiToken(deps, auth, params.id));

  await app.register(async (scope) => {
    const callers = new WeakMap<FastifyRequest, AuthContext>();
    // Authenticate before validation, exactly as the shared pipeline does, but also accepting tokens.
    scope.addHook('onRequest', async (request) => {
      callers.set(request, await authenticateAny(deps, request, 'llm'));
    });
    const llm = <E extends Endpoint>(e: E, handler: (input: HandlerInput<E>, auth: AuthContext) => Promise<unknown>) =>
      route(scope, deps, { ...e, auth: false } as E, (input) => handler(input, callers.get(input.request)!) as never);

    llm(endpoints.listProviders, (_i, auth) => listProviders(gateway, auth));
    llm(endpoints.putProvider, ({ params, body }, auth) => putProvider(deps, gateway, auth, params.provider, body));
    llm(endpoints.deleteProvider, ({ params }, auth) => deleteProvider(deps, auth, params.provider));
    llm(endpoints.listModels, (_i, auth) => listModels(gateway, auth));
    llm(endpoints.chat, ({ body, reply }, auth) => streamChat(deps, gateway, auth, body, reply));
    llm(endpoints.compare, ({ body, reply }, auth) => streamCompare(gateway, auth, body, reply));
    llm(endpoints.listConversations, ({ query }, auth) => listUserConversations(deps, auth, query));
    llm(endpoints.getConversation, ({ params }, auth) => getConversation(deps, auth, params.id));
    llm(endpoints.deleteConversation, ({ params }, auth) => removeConversation(deps, auth, params.id));
    llm(endpoints.getUsage, ({ query }, auth) => usageReport(deps, auth, query));
    llm(endpoints.getBudget, (_i, auth) => getBudget(gateway, auth));
    llm(endpoints.putBudget, ({ body }, auth) => putBudget(deps, gateway, auth, body));
  });
  await openAiCompatRoutes(app, deps, gateway);
  await anthropicCompatRoutes(app, deps, gateway);
}
