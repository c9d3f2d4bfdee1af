import { LanguageModelRegistry } from '@theia/ai-core';
import { ILogger } from '@theia/core/lib/common/logger';
import { inject, injectable, named } from '@theia/core/shared/inversify';
import {
  CoditectAiClient, CoditectAiService, CompareEvent, GatewayModel, GatewayModelList,
} from '../common/coditect-ai-protocol';
import { CoditectGatewayModel } from './coditect-language-model';
import { GatewayConfig, gatewayConfigured, gatewayJson, gatewaySse } from './gateway-client';

/** Reads the gateway's model list (shared by the language-model provider and the RPC service). */
export async function fetchGatewayModels(config: GatewayConfig): Promise<GatewayModelList> {
  if (!gatewayConfigured(config)) return { connected: false, models: [], errors: [], error: 'No Coditect gateway connection in this IDE' };
  try {
    const list = await gatewayJson<{ items: GatewayModel[]; errors: { provider: string; message: string }[] }>(config, 'GET', '/api/v5/llm/models');
    const models = list.items.map(m => ({
      id: m.id, provider: m.provider, model: m.model, name: m.name, contextWindow: m.contextWindow ?? null, pricing: m.pricing ?? null,
    }));
    return { connected: true, models, errors: list.errors ?? [] };
  } catch (err) {
    return { connected: true, models: [], errors: [], error: (err as Error).message };
  }
}

/** Per browser connection: keeps the Theia registry in sync with the gateway and runs compare streams. */
@injectable()
export class CoditectAiServiceImpl implements CoditectAiService {
  @inject(LanguageModelRegistry) protected readonly registry!: LanguageModelRegistry;
  @inject(GatewayConfig) protected readonly config!: GatewayConfig;
  @inject(ILogger) @named('coditect-ai') protected readonly logger!: ILogger;

  protected client: CoditectAiClient | undefined;
  protected readonly compares = new Map<string, AbortController>();

  setClient(client: CoditectAiClient | undefined): void {
    this.client = client;
  }

  dispose(): void {
    for (const c of this.compares.values()) c.abort();
    this.compares.clear();
  }

  async refreshModels(): Promise<GatewayModelList> {
    const list = await fetchGatewayModels(this.config);
    if (list.error) {
      this.logger.warn(`Coditect gateway models: ${list.error}`);
      return list;
    }
    const wanted = new Map(list.models.map(m => [m.id, m]));
    const current = (await this.registry.getLanguageModels()).filter(m => m instanceof CoditectGatewayModel) as CoditectGatewayModel[];
    const stale = current.filter(m => !wanted.has(m.gateway.id)).map(m => m.id);
    if (stale.length) this.registry.removeLanguageModels(stale);
    const have = new Set(current.map(m => m.gateway.id));
    const added = list.models.filter(m => !have.has(m.id)).map(m => new CoditectGatewayModel(m, () => this.config));
    if (added.length) this.registry.addLanguageModels(added);
    return list;
  }

  async compare(requestId: string, request: { models: string[]; prompt: string; context?: string; system?: string }): Promise<void> {
    const abort = new AbortController();
    this.compares.get(requestId)?.abort();
    this.compares.set(requestId, abort);
    const content = request.context ? `${request.prompt}\n\n---\n${request.context}` : request.prompt;
    const emit = (e: CompareEvent) => this.client?.onCompareEvent(requestId, e);
    try {
      const body = { models: request.models, messages: [{ role: 'user', content }], ...(request.system ? { system: request.system } : {}) };
      for await (const e of gatewaySse<Record<string, unknown>>(this.config, '/api/v5/llm/compare', body, abort.signal)) {
        switch (e.type) {
          case 'start': emit({ type: 'start', model: String(e.model) }); break;
          case 'delta': emit({ type: 'delta', model: String(e.model), text: String(e.text) }); break;
          case 'usage': emit({
            type: 'usage', model: String(e.model), inputTokens: Number(e.inputTokens), outputTokens: Number(e.outputTokens),
            costUsd: Number(e.costUsd), latencyMs: Number(e.latencyMs), ttftMs: e.ttftMs == null ? null : Number(e.ttftMs), status: String(e.status),
          }); break;
          case 'error': emit({ type: 'error', model: e.model == null ? null : String(e.model), code: String(e.code), message: String(e.message) }); break;
          case 'done': break;
        }
      }
    } catch (err) {
      if (!abort.signal.aborted) {
        const e = err as { code?: string; message: string };
        emit({ type: 'error', model: null, code: e.code ?? 'gateway_error', message: e.message });
      }
    } finally {
      if (this.compares.get(requestId) === abort) this.compares.delete(requestId);
      emit({ type: 'done' });
    }
  }

  async cancelCompare(requestId: string): Promise<void> {
    this.compares.get(requestId)?.abort();
  }
}
