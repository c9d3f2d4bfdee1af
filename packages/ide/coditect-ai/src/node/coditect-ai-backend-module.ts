import { LanguageModelProvider } from '@theia/ai-core';
import { ConnectionHandler, RpcConnectionHandler } from '@theia/core/lib/common/messaging';
import { ConnectionContainerModule } from '@theia/core/lib/node/messaging/connection-container-module';
import { ContainerModule } from '@theia/core/shared/inversify';
import { CODITECT_AI_SERVICE_PATH, CoditectAiClient, CoditectAiService } from '../common/coditect-ai-protocol';
import { CoditectAiServiceImpl, fetchGatewayModels } from './coditect-ai-service';
import { CoditectGatewayModel } from './coditect-language-model';
import { GatewayConfig, readGatewayConfig } from './gateway-client';

// Like @theia/ai-openai and ai-ollama: the models live in the per-connection backend registry of
// @theia/ai-core, which mirrors them to the browser as metadata; requests run here, in the backend.
const config = readGatewayConfig();

const coditectAiConnectionModule = ConnectionContainerModule.create(({ bind }) => {
  // The gateway's models at registry start-up, so the first model list the browser sees has them all.
  const provider: LanguageModelProvider = async () => {
    const list = await fetchGatewayModels(config);
    if (list.error && list.connected) console.warn(`[coditect-ai] gateway models: ${list.error}`);
    return list.models.map(m => new CoditectGatewayModel(m, () => config));
  };
  bind(LanguageModelProvider).toConstantValue(provider);
  bind(CoditectAiServiceImpl).toSelf().inSingletonScope();
  bind(CoditectAiService).toService(CoditectAiServiceImpl);
  bind(ConnectionHandler).toDynamicValue(ctx => new RpcConnectionHandler<CoditectAiClient>(CODITECT_AI_SERVICE_PATH, client => {
    const service = ctx.container.get<CoditectAiServiceImpl>(CoditectAiServiceImpl);
    service.setClient(client);
    client.onDidCloseConnection(() => service.dispose());
    return service;
  })).inSingletonScope();
});

export default new ContainerModule(bind => {
  bind(GatewayConfig).toConstantValue(config);
  bind(ConnectionContainerModule).toConstantValue(coditectAiConnectionModule);
});
