import { Agent, LanguageModelAliasRegistry } from '@theia/ai-core';
import { DefaultLanguageModelAliasRegistry } from '@theia/ai-core/lib/browser/frontend-language-model-alias-registry';
import { ChatAgent, DefaultChatAgentId, FallbackChatAgentId } from '@theia/ai-chat/lib/common';
import { ApplicationShell, ApplicationShellOptions, bindViewContribution, FrontendApplicationContribution, RemoteConnectionProvider, ServiceConnectionProvider, WidgetFactory } from '@theia/core/lib/browser';
import { ContainerModule } from '@theia/core/shared/inversify';
import { CODITECT_AI_SERVICE_PATH, CoditectAiService } from '../common/coditect-ai-protocol';
import { CoditectAiClientImpl } from './coditect-ai-client';
import { CoditectAiContribution } from './coditect-ai-contribution';
import { CoditectLanguageModelAliasRegistry } from './coditect-alias-registry';
import { CODITECT_CHAT_AGENT_ID, CoditectChatAgent } from './coditect-chat-agent';
import { CoditectCompareWidget } from './compare-widget';
import { CoditectModelCatalog } from './coditect-model-catalog';
import '../../src/browser/style/compare.css';

export default new ContainerModule((bind, _unbind, isBound, rebind) => {
  // The AI chat opens in the right panel; Theia's default 19% of the width (~200 px) cut its agent name to "C.".
  rebind(ApplicationShellOptions).toConstantValue({
    rightPanel: { ...ApplicationShell.DEFAULT_OPTIONS.rightPanel, initialSizeRatio: 0.3 },
  });
  bind(CoditectModelCatalog).toSelf().inSingletonScope();
  bind(CoditectAiClientImpl).toSelf().inSingletonScope();
  bind(CoditectAiService).toDynamicValue(ctx => {
    const provider = ctx.container.get<ServiceConnectionProvider>(RemoteConnectionProvider);
    return provider.createProxy<CoditectAiService>(CODITECT_AI_SERVICE_PATH, ctx.container.get(CoditectAiClientImpl));
  }).inSingletonScope();

  // Theia's aliases fall back to the gateway's models.
  bind(CoditectLanguageModelAliasRegistry).toSelf().inSingletonScope();
  rebind(DefaultLanguageModelAliasRegistry).toService(CoditectLanguageModelAliasRegistry);
  rebind(LanguageModelAliasRegistry).toService(CoditectLanguageModelAliasRegistry);

  bind(CoditectChatAgent).toSelf().inSingletonScope();
  bind(Agent).toService(CoditectChatAgent);
  bind(ChatAgent).toService(CoditectChatAgent);
  if (isBound(DefaultChatAgentId)) rebind(DefaultChatAgentId).toConstantValue({ id: CODITECT_CHAT_AGENT_ID });
  else bind(DefaultChatAgentId).toConstantValue({ id: CODITECT_CHAT_AGENT_ID });
  if (isBound(FallbackChatAgentId)) rebind(FallbackChatAgentId).toConstantValue({ id: CODITECT_CHAT_AGENT_ID });
  else bind(FallbackChatAgentId).toConstantValue({ id: CODITECT_CHAT_AGENT_ID });

  bind(CoditectCompareWidget).toSelf();
  bind(WidgetFactory).toDynamicValue(ctx => ({
    id: CoditectCompareWidget.ID,
    createWidget: () => ctx.container.get(CoditectCompareWidget),
  })).inSingletonScope();
  bindViewContribution(bind, CoditectAiContribution);
  bind(FrontendApplicationContribution).toService(CoditectAiContribution);
});
