import { ContainerModule } from '@theia/core/shared/inversify';
import { ConnectionHandler, RpcConnectionHandler } from '@theia/core/lib/common/messaging';
import { BrowserConnectionTokenBackendContribution } from '@theia/core/lib/node/hosting/browser-connection-token';
import { CODITECT_SESSION_SERVICE_PATH, CoditectSessionService } from '../common/coditect-session-protocol';
import { CoditectSessionConfig, CoditectSessionServiceImpl, readSessionConfig } from './coditect-session-service';
import { CoditectConnectionTokenContribution } from './coditect-connection-token';

export default new ContainerModule((bind, _unbind, _isBound, rebind) => {
  bind(CoditectSessionConfig).toConstantValue(readSessionConfig());
  bind(CoditectSessionServiceImpl).toSelf().inSingletonScope();
  bind(CoditectSessionService).toService(CoditectSessionServiceImpl);
  bind(ConnectionHandler).toDynamicValue(ctx =>
    new RpcConnectionHandler(CODITECT_SESSION_SERVICE_PATH, () => ctx.container.get(CoditectSessionService)),
  ).inSingletonScope();

  bind(CoditectConnectionTokenContribution).toSelf().inSingletonScope();
  rebind(BrowserConnectionTokenBackendContribution).toService(CoditectConnectionTokenContribution);
});
