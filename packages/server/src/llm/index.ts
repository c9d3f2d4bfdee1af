import type { Deps } from '../deps.js';
import { LlmGateway } from './gateway.js';
import { KeyVault, resolveMasterKey } from './key-vault.js';
import { LocalLlama } from './providers/local-llama.js';
import { createProviderRegistry } from './providers/registry.js';

/** Builds the gateway from config: master key (env or generated into the data dir), adapters, local model. */
export function createLlmGateway(deps: Deps): LlmGateway {
  const { key, generated } = resolveMasterKey(deps.config.llm.masterKey, deps.config.dataDir);
  if (generated && deps.config.database.kind === 'postgres') {
    deps.log.warn('CODITECT_LLM_MASTER_KEY is not set: provider keys are encrypted with a key generated into this node\'s data dir; '
      + 'set the same key on every node');
  }
  const local = deps.config.llm.localModelPath ? new LocalLlama(deps.config.llm.localModelPath) : undefined;
  return new LlmGateway(deps, new KeyVault(key), createProviderRegistry(local), local);
}
