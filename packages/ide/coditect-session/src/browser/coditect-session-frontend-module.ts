import { ContainerModule } from '@theia/core/shared/inversify';
import { FrontendApplicationContribution } from '@theia/core/lib/browser/frontend-application-contribution';
import { ServiceConnectionProvider } from '@theia/core/lib/browser/messaging/service-connection-provider';
import { CODITECT_SESSION_SERVICE_PATH, CoditectSessionService } from '../common/coditect-session-protocol';
import { CoditectSessionContribution } from './coditect-session-contribution';
import { CoditectThemeContribution } from './coditect-theme-contribution';

export default new ContainerModule(bind => {
  bind(CoditectSessionService).toDynamicValue(ctx =>
    ServiceConnectionProvider.createProxy<CoditectSessionService>(ctx.container, CODITECT_SESSION_SERVICE_PATH),
  ).inSingletonScope();
  bind(CoditectSessionContribution).toSelf().inSingletonScope();
  bind(FrontendApplicationContribution).toService(CoditectSessionContribution);
  bind(CoditectThemeContribution).toSelf().inSingletonScope();
  bind(FrontendApplicationContribution).toService(CoditectThemeContribution);
});
