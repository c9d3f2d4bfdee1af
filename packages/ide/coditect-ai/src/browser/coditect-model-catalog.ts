import { Emitter } from '@theia/core';
import { injectable } from '@theia/core/shared/inversify';
import { GatewayModelList } from '../common/coditect-ai-protocol';

/** The gateway's model list as last read by the IDE (ids, names, prices: never a key). */
@injectable()
export class CoditectModelCatalog {
  protected list: GatewayModelList = { connected: false, models: [], errors: [] };
  protected readonly onDidChangeEmitter = new Emitter<GatewayModelList>();
  readonly onDidChange = this.onDidChangeEmitter.event;

  get current(): GatewayModelList {
    return this.list;
  }

  get modelIds(): string[] {
    return this.list.models.map(m => m.id);
  }

  update(list: GatewayModelList): void {
    this.list = list;
    this.onDidChangeEmitter.fire(list);
  }
}
