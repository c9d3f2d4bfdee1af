import { Emitter } from '@theia/core';
import { injectable } from '@theia/core/shared/inversify';
import { CoditectAiClient, CompareEvent } from '../common/coditect-ai-protocol';

@injectable()
export class CoditectAiClientImpl implements CoditectAiClient {
  protected readonly emitter = new Emitter<{ requestId: string; event: CompareEvent }>();
  readonly onCompareEvent_ = this.emitter.event;

  onCompareEvent(requestId: string, event: CompareEvent): void {
    this.emitter.fire({ requestId, event });
  }
}
