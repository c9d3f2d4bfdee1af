import path from 'node:path';
import type { LlmModel } from '@coditect/contract';
import type { Llama, LlamaContext, LlamaModel, ChatHistoryItem } from 'node-llama-cpp';
import { AsyncQueue } from '../async-queue.js';
import { UpstreamError, type GenerateRequest, type ProviderAdapter, type StreamPart } from './types.js';

/**
 * One GGUF model run in-process by llama.cpp (node-llama-cpp, CPU, offline).
 * Loaded on first use; one generation at a time (a CPU model gains nothing
 * from parallel sequences), later callers queue.
 */
export class LocalLlama {
  private loading: Promise<{ llama: Llama; model: LlamaModel; context: LlamaContext }> | undefined;
  private tail: Promise<unknown> = Promise.resolve();

  constructor(readonly modelPath: string) {}

  /** The model's name: its file name without `.gguf`. */
  get modelName(): string {
    return path.basename(this.modelPath).replace(/\.gguf$/i, '');
  }

  private load() {
    this.loading ??= (async () => {
      const { getLlama } = await import('node-llama-cpp');
      // build: 'never' — use the prebuilt binary from npm; never compile or download at run time.
      const llama = await getLlama({ gpu: false, build: 'never', logLevel: 'error' as never });
      const model = await llama.loadModel({ modelPath: this.modelPath });
      const context = await model.createContext({ contextSize: Math.min(4096, model.trainContextSize) });
      return { llama, model, context };
    })();
    this.loading.catch(() => { this.loading = undefined; });
    return this.loading;
  }

  /** Streams a reply; throws UpstreamError('local', …) on failure. */
  stream(req: GenerateRequest, signal: AbortSignal): AsyncIterable<StreamPart[]> {
    const queue = new AsyncQueue<StreamPart>();
    const run = async () => {
      const { model, context } = await this.load();
      const { LlamaChatSession } = await import('node-llama-cpp');
      const sequence = context.getSequence();
      const session = new LlamaChatSession({ contextSequence: sequence, systemPrompt: req.system ?? '' });
      try {
        const turns = req.messages.filter((m) => m.role !== 'system');
        const last = turns.at(-1);
        if (!last || last.role !== 'user') throw new UpstreamError('local', 'protocol', 'Local model: the last message must be from the user');
        const history: ChatHistoryItem[] = [
          ...(req.system ? [{ type: 'system' as const, text: req.system }] : []),
          ...turns.slice(0, -1).map((m): ChatHistoryItem => (m.role === 'user'
            ? { type: 'user', text: m.content } : { type: 'model', response: [m.content] })),
        ];
        session.setChatHistory(history);
        let outputTokens = 0;
        await session.prompt(last.content, {
          maxTokens: req.maxTokens ?? 256,
          ...(req.temperature !== undefined ? { temperature: req.temperature } : {}),
          signal,
          stopOnAbortSignal: true,
          onTextChunk: (text) => { if (text) queue.push({ type: 'delta', text }); },
          onToken: (tokens) => { outputTokens += tokens.length; },
        });
        const prompt = [req.system ?? '', ...req.messages.map((m) => m.content)].join('\n');
        queue.push({ type: 'usage', inputTokens: model.tokenize(prompt).length, outputTokens });
        if (signal.aborted) throw new UpstreamError('local', 'cancelled', 'Local model request cancelled');
      } finally {
        session.dispose({ disposeSequence: true });
      }
    };
    // Serialise generations; a failure of one does not poison the next.
    const job = this.tail.then(() => (signal.aborted ? undefined : run()));
    this.tail = job.catch(() => {});
    job.then(() => queue.end(), (err) => queue.fail(err instanceof UpstreamError ? err
      : new UpstreamError('local', 'protocol', `Local model failed: ${(err as Error).message}`)));
    return queue;
  }

  async dispose(): Promise<void> {
    const loaded = await this.loading?.catch(() => undefined);
    if (!loaded) return;
    await loaded.context.dispose();
    await loaded.model.dispose();
    await loaded.llama.dispose();
  }
}

/** The `local` provider: the server's one GGUF model (a file path set by the operator, never by a tenant). */
export function localAdapter(local: LocalLlama | undefined): ProviderAdapter {
  return {
    id: 'local',
    label: 'Local (llama.cpp)',
    requiresKey: false,
    defaultBaseUrl: null,
    async listModels(): Promise<LlmModel[]> {
      if (!local) return [];
      return [{
        id: `local/${local.modelName}`, provider: 'local', model: local.modelName, name: `${local.modelName} (GGUF, in-process)`,
        contextWindow: null, capabilities: { streaming: true, tools: false, vision: false }, pricing: null, source: 'upstream',
      }];
    },
    stream(_s, req, signal) {
      if (!local) throw new UpstreamError('local', 'protocol', 'No local model is configured (CODITECT_LLM_LOCAL_MODEL_PATH)');
      if (req.model !== local.modelName) {
        throw new UpstreamError('local', 'http', `Local model "${req.model}" does not exist (have "${local.modelName}")`, { status: 404 });
      }
      return local.stream(req, signal);
    },
  };
}
