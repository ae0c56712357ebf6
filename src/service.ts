import type { Express } from 'express';
import { AnswerCache } from './answer/answer-cache.js';
import { AnswerService } from './answer/answer-service.js';
import { type ChatModel, OpenAiChatModel } from './answer/chat-model.js';
import { qwenTokenCounter } from './answer/token-budget.js';
import { Conversations } from './chat/conversation.js';
import { SessionStore } from './chat/session-store.js';
import { ProductLineClassifier, loadProductLineRules } from './classify/product-lines.js';
import type { Config } from './config/config.js';
import type { Embedder } from './embed/embedder.js';
import { loadEmbedder } from './embed/load-embedder.js';
import { AccessControl, loadApiKeys } from './http/access.js';
import { adminRoutes } from './http/admin-routes.js';
import { createApp } from './http/app.js';
import { conversationRoutes } from './http/conversation-routes.js';
import { createMetrics, type Metrics } from './http/metrics.js';
import { rateLimit } from './http/rate-limit.js';
import { webRoutes } from './http/web-routes.js';
import { ingestKnowledgeBase } from './ingest/ingest-knowledge-base.js';
import type { Logger } from './log.js';
import { HybridRetriever } from './retrieve/hybrid-retriever.js';
import { RedisState } from './state/redis-state.js';
import { ResilientState } from './state/resilient-state.js';
import { MemoryState, type SharedState } from './state/shared-state.js';
import { KnowledgeStore } from './store/knowledge-store.js';

export interface Service {
  app: Express;
  answers: AnswerService;
  store: KnowledgeStore;
  state: SharedState;
  metrics: Metrics;
  close: () => Promise<void>;
}

export interface ServiceOverrides {
  /** Share one loaded model between several app instances (tests, benchmarks). */
  embedder?: Embedder;
  chatModel?: ChatModel | null;
  state?: SharedState;
}

/** The composition root: settings in, a wired Express app out. Nothing below this reads settings. */
export async function buildService(config: Config, logger: Logger, overrides: ServiceOverrides = {}): Promise<Service> {
  const metrics = createMetrics();
  const classifier = new ProductLineClassifier(await loadProductLineRules(config.PRODUCT_LINES_FILE));
  const embedder = overrides.embedder ?? (await loadEmbedder(config));
  const store = await KnowledgeStore.open(config.DB_DIR, config.TABLE_NAME, { readConsistencySeconds: config.LANCEDB_READ_CONSISTENCY_SECONDS });
  if (store.dimension !== embedder.dimension) {
    throw new Error(`The knowledge table has ${store.dimension}-dimensional vectors but EMBEDDING_MODEL gives ${embedder.dimension}: re-ingest with this model.`);
  }
  const state =
    overrides.state ??
    (config.REDIS_URL
      ? new ResilientState(RedisState.connect(config.REDIS_URL, { commandTimeoutMs: config.REDIS_COMMAND_TIMEOUT_MS, prefix: config.REDIS_KEY_PREFIX }), logger, metrics.stateObserver)
      : new MemoryState(Date.now, config.STATE_LOG_DIR));
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
  const knowledgeVersion = async () => {
    const version = await store.version();
    metrics.knowledgeVersion.set(version);
    return version;
  };
  await knowledgeVersion();
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
    observer: metrics.answerObserver,
    cache: config.ANSWER_CACHE ? new AnswerCache(state, config.CACHE_TTL_SECONDS) : undefined,
    knowledgeVersion,
  });
  const sessions = new SessionStore(state, config.SESSION_MAX_TURNS, config.SESSION_TTL_SECONDS);
  const conversations = new Conversations(sessions, state, classifier, chatModel);
  const access = new AccessControl(loadApiKeys({ file: config.API_KEYS_FILE, inline: config.API_KEYS }));
  const limiter = rateLimit(
    state,
    { ipPerMinute: config.RATE_LIMIT_IP_PER_MINUTE, ipBurst: config.RATE_LIMIT_IP_BURST, keyPerMinute: config.RATE_LIMIT_KEY_PER_MINUTE, keyBurst: config.RATE_LIMIT_KEY_BURST },
    (limit) => metrics.rateLimited.inc({ limit }),
  );
  const publicGuards = [access.require('widget'), limiter];

  const app = createApp({
    logger,
    bodyLimitBytes: config.BODY_LIMIT_BYTES,
    trustProxy: config.TRUST_PROXY,
    middleware: [metrics.httpMiddleware, access.cors],
    metrics: { contentType: metrics.registry.contentType, render: () => metrics.registry.metrics() },
    ask: { answers, classifier, maxQuestionChars: config.MAX_QUESTION_CHARS, requestTimeoutMs: config.REQUEST_TIMEOUT_MS, guards: publicGuards, prepare: (body, signal) => conversations.prepare(body, signal) },
    routers: [
      webRoutes(),
      conversationRoutes({ sessions, conversations, guards: publicGuards }),
      adminRoutes({
        guard: access.require('admin'),
        conversations,
        store,
        ingest: () => ingestKnowledgeBase(config, embedder, { classifier }),
        onIngest: (result, seconds) => {
          metrics.ingestionRuns.inc({ result });
          if (result !== 'failed') metrics.ingestionSeconds.observe(seconds);
          void knowledgeVersion();
        },
      }),
    ],
    readiness: [
      // Reading the row count proves the table is open and readable; a failure makes the check false.
      { name: 'knowledge', check: async () => (await store.countRows(), true) },
      { name: 'embedder', check: async () => embedder.dimension > 0 },
      ...(config.REDIS_URL ? [{ name: 'redis', check: () => state.ping() }] : []),
      ...(chatModel ? [{ name: 'llm', check: () => chatModel.ping() }] : []),
    ],
  });
  return {
    app,
    answers,
    store,
    state,
    metrics,
    close: async () => {
      store.close();
      await state.close();
    },
  };
}
