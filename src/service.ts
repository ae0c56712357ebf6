import type { Express } from 'express';
import { AnswerService, type AnswerObserver } from './answer/answer-service.js';
import { type ChatModel, OpenAiChatModel } from './answer/chat-model.js';
import { qwenTokenCounter } from './answer/token-budget.js';
import { ProductLineClassifier, loadProductLineRules } from './classify/product-lines.js';
import type { Config } from './config/config.js';
import type { Embedder } from './embed/embedder.js';
import { loadEmbedder } from './embed/load-embedder.js';
import { createApp } from './http/app.js';
import type { Logger } from './log.js';
import { HybridRetriever } from './retrieve/hybrid-retriever.js';
import { KnowledgeStore } from './store/knowledge-store.js';

export interface Service {
  app: Express;
  answers: AnswerService;
  store: KnowledgeStore;
  close: () => Promise<void>;
}

export interface ServiceOverrides {
  /** Share one loaded model between several app instances (tests, benchmarks). */
  embedder?: Embedder;
  chatModel?: ChatModel | null;
  observer?: AnswerObserver;
}

/** The composition root: settings in, a wired Express app out. Nothing below this reads settings. */
export async function buildService(config: Config, logger: Logger, overrides: ServiceOverrides = {}): Promise<Service> {
  const classifier = new ProductLineClassifier(await loadProductLineRules(config.PRODUCT_LINES_FILE));
  const embedder = overrides.embedder ?? (await loadEmbedder(config));
  const store = await KnowledgeStore.open(config.DB_DIR, config.TABLE_NAME, { readConsistencySeconds: config.LANCEDB_READ_CONSISTENCY_SECONDS });
  if (store.dimension !== embedder.dimension) {
    throw new Error(`The knowledge table has ${store.dimension}-dimensional vectors but EMBEDDING_MODEL gives ${embedder.dimension}: re-ingest with this model.`);
  }
  const chatModel =
    overrides.chatModel === null
      ? undefined
      : (overrides.chatModel ??
        (config.LLM_BASE_URL
          ? new OpenAiChatModel({
              baseURL: config.LLM_BASE_URL,
              apiKey: config.LLM_API_KEY,
              model: config.LLM_MODEL,
              timeoutMs: config.LLM_TIMEOUT_MS,
              firstTokenTimeoutMs: config.LLM_FIRST_TOKEN_TIMEOUT_MS,
            })
          : undefined));
  const answers = new AnswerService({
    retriever: new HybridRetriever(embedder, store),
    classifier,
    chatModel,
    tokenCounter: qwenTokenCounter,
    companyName: config.COMPANY_NAME,
    handoffContact: { zh: config.HANDOFF_CONTACT_ZH, en: config.HANDOFF_CONTACT_EN },
    refusalThreshold: { zh: config.REFUSAL_THRESHOLD_ZH, en: config.REFUSAL_THRESHOLD_EN },
    candidates: config.RETRIEVAL_CANDIDATES,
    sources: config.RETRIEVAL_SOURCES,
    contextTokens: config.LLM_CONTEXT_TOKENS,
    maxAnswerTokens: config.LLM_MAX_ANSWER_TOKENS,
    temperature: config.LLM_TEMPERATURE,
    observer: overrides.observer,
  });
  const app = createApp({
    logger,
    bodyLimitBytes: config.BODY_LIMIT_BYTES,
    trustProxy: config.TRUST_PROXY,
    ask: { answers, classifier, maxQuestionChars: config.MAX_QUESTION_CHARS },
    readiness: [
      { name: 'knowledge', check: async () => (await store.countRows()) >= 0 },
      { name: 'embedder', check: async () => embedder.dimension > 0 },
      ...(chatModel ? [{ name: 'llm', check: () => chatModel.ping() }] : []),
    ],
  });
  return {
    app,
    answers,
    store,
    close: async () => {
      store.close();
    },
  };
}
