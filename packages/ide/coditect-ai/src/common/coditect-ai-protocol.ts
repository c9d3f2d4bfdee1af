import { RpcServer } from '@theia/core/lib/common/messaging/proxy-factory';

export const CODITECT_AI_SERVICE_PATH = '/services/coditect-ai';
export const CoditectAiService = Symbol('CoditectAiService');

/** Vendor of every Theia language model served through the Coditect gateway. */
export const CODITECT_VENDOR = 'Coditect';

/** A model as `GET /api/v5/llm/models` lists it (the subset the IDE uses). */
export interface GatewayModel {
  /** `provider/model`, the id every gateway endpoint accepts */
  id: string;
  provider: string;
  model: string;
  name: string;
  contextWindow: number | null;
  pricing: { inputPerMTok: number; outputPerMTok: number } | null;
}

export interface GatewayModelList {
  /** false when the IDE backend has no gateway connection (no CODITECT_API_URL / token) */
  connected: boolean;
  models: GatewayModel[];
  /** Providers whose listing failed, and a gateway-level error (unreachable, 401, …) */
  errors: { provider: string; message: string }[];
  error?: string;
}

export interface CompareUsage {
  model: string;
  inputTokens: number;
  outputTokens: number;
  costUsd: number;
  latencyMs: number;
  ttftMs: number | null;
  status: string;
}

/** The events of `POST /api/v5/llm/compare`, relayed to the browser (no credential in them). */
export type CompareEvent =
  | { type: 'start'; model: string }
  | { type: 'delta'; model: string; text: string }
  | ({ type: 'usage' } & CompareUsage)
  | { type: 'error'; model: string | null; code: string; message: string }
  | { type: 'done' };

export interface CoditectAiClient {
  onCompareEvent(requestId: string, event: CompareEvent): void;
}

export interface CoditectAiService extends RpcServer<CoditectAiClient> {
  /** Re-reads the gateway's models and (re)registers them as Theia language models. */
  refreshModels(): Promise<GatewayModelList>;
  /** Starts a compare stream; its events arrive through `CoditectAiClient.onCompareEvent`. Resolves when it ends. */
  compare(requestId: string, request: { models: string[]; prompt: string; context?: string; system?: string }): Promise<void>;
  cancelCompare(requestId: string): Promise<void>;
}

/** Theia model ids are the gateway's own `provider/model` ids (so Theia's default aliases match gateway models). */
export function theiaModelId(gatewayId: string): string {
  return gatewayId;
}
