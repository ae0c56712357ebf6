import path from 'node:path';
import type { Express } from 'express';
import { AnswerCache } from './answer/answer-cache.js';
import { AnswerService } from './answer/answer-service.js';
import { type ChatModel, OpenAiChatModel } from './answer/chat-model.js';
import { qwenTokenCounter } from './answer/token-budget.js';
import { handoffContactTexts } from './answer/handoff-contact.js';
import { Conversations } from './chat/conversation.js';
import { SessionStore } from './chat/session-store.js';
import { ProductLineClassifier, loadProductLineRules } from './classify/product-lines.js';
import { answerLength, type Config, handoffContacts } from './config/config.js';
import type { EmbeddingSpaces } from './embed/embedding-spaces.js';
import { InferenceGate } from './embed/inference-gate.js';
import { cacheEmbeddings } from './embed/embedding-cache.js';
import { inferenceLayout, loadEmbeddingSpaces } from './embed/load-embedder.js';
import { AccessControl, loadApiKeys, publicOrigins } from './http/access.js';
import { KEY_LOG, KEY_LOG_RETENTION_SECONDS, KeyRegistry } from './http/key-registry.js';
import { adminRoutes } from './http/admin-routes.js';
import { createApp } from './http/app.js';
import { conversationRoutes } from './http/conversation-routes.js';
import { createMetrics, type Metrics } from './http/metrics.js';
import { Admission, type ShedReason, Slots } from './http/admission.js';
import { chatCompletionsRoutes } from './http/chat-completions-route.js';
import { Drain } from './http/drain.js';
import { jsonBody } from './http/app.js';
import { rateLimit } from './http/rate-limit.js';
import { webRoutes } from './http/web-routes.js';
import { DocumentFiles } from './ingest/document-files.js';
import { notDocuments } from './ingest-knowledge-base.js';
import { IngestJobs } from './ingest/jobs.js';
import { KnowledgeService } from './ingest/knowledge-service.js';
import { lockSettings } from './ingest/lock.js';
import { SnapshotStore } from './ingest/sources/snapshot.js';
import { SourceRegistry } from './ingest/sources/source-config.js';
import { SourceSyncs } from './ingest/sources/source-syncs.js';
import { sourceRoutes } from './http/source-routes.js';
import { regressionRoutes } from './http/regression-routes.js';
import { REGRESSION_CASES_LOG, REGRESSION_CASES_LOG_RETENTION_SECONDS, RegressionCases } from './regression/regression-cases.js';
import { regressionFile } from './ingest-knowledge-base.js';
import type { Logger } from './log.js';
import type { Reranker } from './retrieve/reranker.js';
import { answerPipelineOptions, configuredThresholds } from './answer/answer-pipeline.js';
import { openRedis, queueConnection } from './state/redis-connection.js';
import { RedisState } from './state/redis-state.js';
import { ResilientState } from './state/resilient-state.js';
import { LogSpool } from './state/spool.js';
import { MemoryState, type SharedState } from './state/shared-state.js';
import type { KnowledgeStore } from './store/knowledge-store.js';
import { LanceKnowledgeStore } from './store/lance-knowledge-store.js';
import { maskPii, maskPiiKeeping } from './privacy/pii.js';
import { GapReporter } from './insights/gaps.js';
import { offTopicJudge } from './insights/off-topic.js';
import { CORRECTIONS_LOG, INTERACTIONS_LOG } from './insights/interactions.js';
import { InsightLogs } from './insights/insight-logs.js';
import { QUESTION_EMBEDDINGS_LOG, QUESTION_EMBEDDINGS_MAX, SharedQuestionEmbeddings } from './insights/question-embeddings.js';
import { analyticsRoutes } from './http/analytics-routes.js';
import { conversationReviewRoutes } from './http/conversation-review-routes.js';
import { adminAssetRoutes } from './http/admin-asset-routes.js';
import { loadPromptTemplates } from './answer/prompt-templates.js';
import { SourceUrls } from './answer/source-urls.js';
import { MissingDetails } from './answer/missing-details.js';
import { EmailChannel } from './email/email-channel.js';
import { EmailStore } from './email/email-store.js';
import { InboxWatcher } from './email/inbox-watcher.js';
import { IsolatedMailParser } from './email/isolated-mail-parser.js';
import { SmtpMailer } from './email/mailer.js';
import { ReviewRulesFile } from './email/review-rules-file.js';
import { emailRoutes } from './http/email-routes.js';
import { HANDOFF_ANALYTICS_LOG, HANDOFF_CLOSED_LOG, HANDOFF_LOG, HANDOFF_RESOLUTION_LOG, Handoffs } from './handoff/handoffs.js';
import { humanReplyOf } from './email/human-reply.js';
import { SUGGESTION_LOG, SUGGESTION_LOG_RETENTION_SECONDS, SUGGESTIONS_ACCEPTED_LOG, SuggestionStore } from './suggest/suggestion-store.js';
import { Suggestions } from './suggest/suggestions.js';
import { handoffAdminRoutes } from './http/handoff-admin-routes.js';
import { uploadRoutes } from './http/upload-routes.js';
import { suggestionRoutes } from './http/suggestion-routes.js';
import { handoffRoutes } from './http/handoff-routes.js';
import { buildHelpdeskRoutes } from './http/helpdesk-routes.js';
import { CURATED_LOG, CURATED_LOG_RETENTION_SECONDS, CuratedAnswers, loadCuratedFiles } from './answer/curated.js';
import { buildChannels } from './http/channel-routes.js';
import { createChannelMetrics } from './channels/channel-metrics.js';
import { ContentLabels } from './moderation/content-label.js';
import { Moderation } from './moderation/lexicon.js';
import { AnswerGates } from './workspaces/answer-gates.js';
import { DEFAULT_WORKSPACE, workspacePrefix } from './workspaces/scoped-state.js';
import { WorkspaceLoad } from './workspaces/workspace-load.js';
import { workspaceAccess, workspaceKeys } from './http/workspace-access.js';
import { type WorkspaceContext, WorkspaceServices } from './http/workspace-services.js';
import { workspaceRoutes } from './http/workspace-routes.js';
import { renderWithWorkspaces } from './http/workspace-metrics.js';

export interface Service {
  app: Express;
  answers: AnswerService;
  store: KnowledgeStore;
  state: SharedState;
  metrics: Metrics;
  jobs: IngestJobs;
  drain: Drain;
  /** The e-mail channel, when EMAIL_ENABLED. */
  email?: EmailChannel;
  curated: CuratedAnswers;
  /** The deployment's other workspaces (absent in a workspace's own service). */
  workspaces?: WorkspaceServices;
  close: () => Promise<void>;
}

/** The e-mail channel's parts: its store and queues on Redis, review rules, SMTP, and (where they run) the workers and inbox. */
async function emailChannel(config: Config, logger: Logger, parts: { answers: AnswerService; conversations: Conversations; state: SharedState; metrics: Metrics; runWorkers: boolean; labels: ContentLabels; moderation?: Moderation; suggestions: Suggestions }) {
  // Its own connection: queue and records must not share the fail-fast settings of the shared-state client.
  const redis = openRedis(config.REDIS_URL!, 'records', { onError: (error) => logger.warn({ err: error }, 'e-mail store: Redis error') });
  // A created workspace's mail (docs/workspaces.md) has its own records and queues, under its prefix.
  const prefix = `${config.REDIS_KEY_PREFIX}${workspacePrefix(config.WORKSPACE_ID)}`;
  const store = new EmailStore(redis, prefix, config.EMAIL_RETENTION_DAYS * 86_400);
  const mailer = new SmtpMailer(config.SMTP_URL!, config.SMTP_TIMEOUT_MS);
  const parser = new IsolatedMailParser({ timeoutMs: config.EMAIL_PARSE_TIMEOUT_MS, maxTextChars: config.EMAIL_MAX_TEXT_CHARS });
  const channel = new EmailChannel(
    {
      store,
      answers: parts.answers,
      conversations: parts.conversations,
      // Read again when edited (at the next draft); a created workspace's own file first, then the deployment's.
      review: await ReviewRulesFile.load(
        config.WORKSPACE_ID === DEFAULT_WORKSPACE ? [config.EMAIL_REVIEW_RULES_FILE] : [path.join(config.KNOWLEDGE_DIR, 'email-review.yaml'), config.EMAIL_REVIEW_RULES_FILE],
        config.EMAIL_REVIEW_MIN_CONFIDENCE,
        logger,
      ),
      mailer,
      logger,
      // The admin audit trail gets ids and outcomes, never the mail's text.
      audit: async (entry) => void (await parts.state.appendLog('audit', { ...entry, by: entry.by ?? 'kefu', at: new Date().toISOString() }, 10_000).catch(() => undefined)),
      observer: parts.metrics.emailObserver,
      parse: (raw) => parser.parse(raw),
      moderation: parts.moderation,
      // An edited reply is a person's answer: it becomes a suggestion for the knowledge base.
      onApproved: async (draft) => {
        const reply = humanReplyOf(draft, { companyName: config.COMPANY_NAME, handoffContact: { zh: config.HANDOFF_CONTACT_ZH, en: config.HANDOFF_CONTACT_EN }, maxQuestionChars: config.MAX_QUESTION_CHARS });
        if (reply) await parts.suggestions.fromHumanAnswer({ kind: 'email', ref: reply.draftId, by: reply.by, question: reply.question, answer: reply.answer, lang: reply.lang, productLine: reply.productLine });
      },
    },
    {
      connection: queueConnection(config.REDIS_URL!),
      queuePrefix: `${prefix}bull`,
      attempts: config.EMAIL_MAX_ATTEMPTS,
      backoffMs: config.EMAIL_BACKOFF_MS,
      concurrency: config.EMAIL_CONCURRENCY,
      lockMs: config.EMAIL_JOB_LOCK_MS,
      autoSend: config.EMAIL_AUTO_SEND,
      maxBytes: config.EMAIL_MAX_BYTES,
      maxQuestionChars: config.MAX_QUESTION_CHARS,
      companyName: config.COMPANY_NAME,
      handoffContact: { zh: config.HANDOFF_CONTACT_ZH, en: config.HANDOFF_CONTACT_EN },
      from: config.EMAIL_FROM,
      answerTimeoutMs: config.EMAIL_ANSWER_TIMEOUT_MS,
      replyLimitPerSender: config.EMAIL_REPLY_LIMIT_PER_SENDER,
      replyLimitPerThread: config.EMAIL_REPLY_LIMIT_PER_THREAD,
      replyLimitWindowSeconds: config.EMAIL_REPLY_LIMIT_WINDOW_SECONDS,
      labels: parts.labels,
    },
  );
  let inbox: InboxWatcher | undefined;
  if (parts.runWorkers) {
    channel.startWorkers();
    if (config.EMAIL_INBOX_DIR) inbox = await new InboxWatcher(config.EMAIL_INBOX_DIR, (raw) => channel.intake(raw, 'inbox'), logger, config.EMAIL_INBOX_POLL_SECONDS * 1000).start();
  }
  return {
    channel,
    store,
    close: async () => {
      await inbox?.stop();
      await channel.close();
      await parser.close();
      mailer.close();
      redis.disconnect();
    },
  };
}

export interface ServiceOverrides {
  /** Run the e-mail workers here whatever EMAIL_WORKERS_IN_PROCESS says (`npm run worker`). */
  emailWorkers?: boolean;
  /** Share loaded models between several app instances (tests, benchmarks). */
  embedders?: EmbeddingSpaces;
  reranker?: Reranker | null;
  chatModel?: ChatModel | null;
  state?: SharedState;
  /** Share one moderation lexicon between instances (tests). */
  moderation?: Moderation;
  /** Building one workspace of a deployment, with the deployment's keys, gates and models (docs/workspaces.md). */
  workspace?: WorkspaceContext;
}

/** The composition root: settings in, a wired Express app out. Nothing below this reads settings. */
export async function buildService(config: Config, logger: Logger, overrides: ServiceOverrides = {}): Promise<Service> {
  const metrics = createMetrics();
  // A workspace's metrics, shown beside the deployment's on /metrics, carry its id (src/http/workspace-metrics.ts).
  if (overrides.workspace) metrics.registry.setDefaultLabels({ workspace: overrides.workspace.id });
  const classifier = new ProductLineClassifier(await loadProductLineRules(config.PRODUCT_LINES_FILE));
  // In worker threads: ONNX Runtime's Node binding runs inferences synchronously on the calling thread.
  const models = overrides.embedders ?? (await loadEmbeddingSpaces(config, { inWorker: config.EMBEDDING_WORKER }));
  // Answers in their CPU-bound part (embedding, retrieval, extractive composing) at once.
  // One gate for the deployment, a share of it per workspace (src/workspaces/answer-gates.ts).
  const workspaceId = overrides.workspace?.id ?? DEFAULT_WORKSPACE;
  const answerGates = overrides.workspace?.answerGates ?? new AnswerGates(config.ANSWER_CONCURRENCY, config.WORKSPACE_ANSWER_SHARE);
  const answerGate = answerGates.view(workspaceId);
  // Requests in flight per workspace, counted at the dispatcher: who bears the process's load (event-loop lag, the model queue).
  const load = overrides.workspace?.load ?? new WorkspaceLoad(config.WORKSPACE_MAX_IN_FLIGHT);
  // Serving runs its model calls through one gate; ingestion (a child process) has its own CPU budget.
  const layout = inferenceLayout(config, config.EMBEDDING_WORKER);
  const inference = overrides.workspace?.inference ?? new InferenceGate(layout.concurrency, { concurrency: layout.aloneConcurrency, now: () => answerGates.active <= 1 && answerGates.queued === 0 });
  // Cache in front of the gate: a remembered embedding never waits for a model slot.
  const embedders = cacheEmbeddings(inference.wrap(models, workspaceId), config.EMBEDDING_CACHE_ENTRIES, metrics.embeddingLookups);
  const storeOptions = { readConsistencySeconds: config.LANCEDB_READ_CONSISTENCY_SECONDS, storageOptions: config.LANCEDB_STORAGE_OPTIONS };
  // A created workspace serves (refusing everything) before its first ingestion: its table starts empty.
  const store = overrides.workspace
    ? await LanceKnowledgeStore.openOrCreate(config.DB_DIR, config.TABLE_NAME, Object.fromEntries(embedders.all.map((space) => [space.column, space.embedder.dimension])), storeOptions)
    : await LanceKnowledgeStore.open(config.DB_DIR, config.TABLE_NAME, storeOptions);
  for (const space of embedders.all) {
    const dimension = store.dimensions[space.column];
    // A table from before a language model was added still serves, through the primary space alone.
    if (dimension === undefined && space.column !== 'vector') {
      logger.warn({ column: space.column }, 'the knowledge table has no vectors for this embedding model; re-ingest to use it');
      continue;
    }
    if (dimension !== space.embedder.dimension) {
      throw new Error(`The knowledge table's "${space.column}" vectors have ${dimension} dimensions but the model gives ${space.embedder.dimension}: re-ingest with these models.`);
    }
  }
  const days = (value: number) => value * 86_400;
  const logRetention = {
    unanswered: days(config.RETENTION_UNANSWERED_DAYS),
    feedback: days(config.RETENTION_FEEDBACK_DAYS),
    conversation_ratings: days(config.RETENTION_FEEDBACK_DAYS),
    audit: days(config.RETENTION_AUDIT_DAYS),
    [KEY_LOG]: KEY_LOG_RETENTION_SECONDS,
    [HANDOFF_LOG]: days(config.RETENTION_HANDOFF_DAYS),
    [HANDOFF_ANALYTICS_LOG]: days(config.RETENTION_HANDOFF_DAYS),
    [HANDOFF_RESOLUTION_LOG]: days(config.RETENTION_HANDOFF_DAYS),
    [HANDOFF_CLOSED_LOG]: days(config.RETENTION_HANDOFF_DAYS),
    [CURATED_LOG]: CURATED_LOG_RETENTION_SECONDS,
    [SUGGESTION_LOG]: SUGGESTION_LOG_RETENTION_SECONDS,
    [SUGGESTIONS_ACCEPTED_LOG]: SUGGESTION_LOG_RETENTION_SECONDS,
    [INTERACTIONS_LOG]: days(config.RETENTION_INTERACTIONS_DAYS),
    [QUESTION_EMBEDDINGS_LOG]: days(config.RETENTION_INTERACTIONS_DAYS),
    [CORRECTIONS_LOG]: days(config.RETENTION_AUDIT_DAYS),
    [REGRESSION_CASES_LOG]: REGRESSION_CASES_LOG_RETENTION_SECONDS,
  };
  let state: SharedState;
  if (overrides.state) state = overrides.state;
  else if (config.REDIS_URL) {
    const redis = RedisState.connect(config.REDIS_URL, { commandTimeoutMs: config.REDIS_COMMAND_TIMEOUT_MS, prefix: config.REDIS_KEY_PREFIX, logRetention });
    // Serve from the first request with shared state, not from process memory while the connection opens.
    if (!(await redis.ready(5000))) logger.warn('Redis is not reachable at start-up; serving from process memory until it is');
    state = new ResilientState(redis, logger, metrics.stateObserver, new LogSpool(path.join(config.STATE_LOG_DIR, 'spool')));
  } else state = new MemoryState(Date.now, config.STATE_LOG_DIR, logRetention);
  // Entries spooled by an earlier process that died during an outage go to Redis now.
  if (state instanceof ResilientState) void state.replaySpool();
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
    const version = await store.servingVersion();
    metrics.knowledgeVersion.set(version);
    return version;
  };
  await knowledgeVersion();
  // Loading Qwen's tokenizer blocks the event loop for about a second: at start-up, not in a customer's
  // request, and only when there is a model to count tokens for (token-budget.ts).
  if (chatModel) qwenTokenCounter.count('warm-up');
  const thresholds = configuredThresholds(config, store);
  // Entries added through the admin API reach every replica within CURATED_REFRESH_SECONDS.
  const curated = await new CuratedAnswers(state, embedders, await loadCuratedFiles(config.CURATED_DIR), {
    similarity: { zh: config.CURATED_SIMILARITY_ZH, en: config.CURATED_SIMILARITY_EN },
    fallbackSimilarity: { zh: config.CURATED_FALLBACK_SIMILARITY_ZH, en: config.CURATED_FALLBACK_SIMILARITY_EN },
    refreshSeconds: config.CURATED_REFRESH_SECONDS,
  }).start();
  // The stages' settings, as `npm run eval` takes them too (answer-pipeline.ts).
  const pipeline = answerPipelineOptions(config, { embedders, store, classifier, reranker: overrides.reranker, refusalThreshold: thresholds.band, retrievalObserver: metrics.retrievalObserver });
  const { retriever, reranker } = pipeline;
  const answers = new AnswerService({
    ...pipeline,
    classifier,
    chatModel,
    tokenCounter: qwenTokenCounter,
    companyName: config.COMPANY_NAME,
    handoffContact: handoffContacts(config),
    contextTokens: config.LLM_CONTEXT_TOKENS,
    maxAnswerTokens: config.LLM_MAX_ANSWER_TOKENS,
    sampling: { temperature: config.LLM_TEMPERATURE, topP: config.LLM_TOP_P, frequencyPenalty: config.LLM_FREQUENCY_PENALTY },
    templates: await loadPromptTemplates(config.PROMPTS_DIR),
    sourceUrls: new SourceUrls(config.CITATION_URLS, config.SOURCE_IMAGE_ORIGINS),
    answerLength: { widget: answerLength(config.ANSWER_LENGTH_WIDGET), api: answerLength(config.ANSWER_LENGTH_API), email: answerLength(config.ANSWER_LENGTH_EMAIL) },
    observer: metrics.answerObserver,
    cache: config.ANSWER_CACHE ? new AnswerCache(state, config.CACHE_TTL_SECONDS) : undefined,
    knowledgeVersion,
    cpuGate: answerGate,
    curated,
    missingDetails: await MissingDetails.load(config.INTENTS_FILE),
  });
  const sessions = new SessionStore(state, config.SESSION_MAX_TURNS, config.SESSION_TTL_SECONDS);
  const conversations = new Conversations(sessions, state, classifier, chatModel, {
    mask: config.PII_MASKING ? maskPii : undefined,
    // A refusal's contact line is ours, not the customer's: read back from the session it must still reach a person.
    maskAnswer: config.PII_MASKING ? maskPiiKeeping(handoffContactTexts(handoffContacts(config))) : undefined,
    answerRecordTtlSeconds: config.ANSWER_RECORD_TTL_DAYS * 86_400,
  });
  const insightLogs = new InsightLogs(state);
  // One clustering for the gaps report and the dashboard's topics: one bounded cache of question embeddings.
  const gaps = new GapReporter(embedders.primary, {
    similarity: config.GAPS_SIMILARITY,
    offTopic: offTopicJudge({ calibration: async () => store.calibration(await store.servingVersion()), classifier }),
    // Kept in shared state: a restarted process or another replica does not embed the dashboard's questions again.
    memo: new SharedQuestionEmbeddings(state, embedders.primary.modelKey, { maxEntries: QUESTION_EMBEDDINGS_MAX, dimension: embedders.primary.dimension }),
  });
  let sourceSyncs: SourceSyncs | undefined;
  const jobs = new IngestJobs({
    config,
    state,
    logger,
    retentionSeconds: config.INGEST_JOB_RETENTION_DAYS * 86_400,
    onStarted: () => metrics.ingestionRunning.set(1),
    onFinished: async (job, seconds) => {
      metrics.ingestionRuns.inc({ result: job.state === 'succeeded' ? 'success' : job.state });
      if (job.state !== 'failed') metrics.ingestionSeconds.observe(seconds);
      metrics.ingestionRunning.set(0);
      await sourceSyncs?.recordFinished(job).catch((error) => logger.warn({ job: job.id, error: (error as Error).message }, 'source sync status not recorded'));
      // Serve the new version now, not after the read-consistency interval.
      await store.checkoutLatest().catch(() => undefined);
      await knowledgeVersion().catch(() => undefined);
    },
  });
  const sourceRegistry = new SourceRegistry(config.SOURCES_FILE);
  sourceSyncs = new SourceSyncs({ registry: sourceRegistry, jobs, state, logger }).start(config.SOURCE_SCHEDULER_SECONDS);
  // AI-content labels on every channel's answers (docs/channels.md).
  const labels = new ContentLabels(
    {
      ai_generated: { zh: config.CONTENT_LABEL_AI_ZH, en: config.CONTENT_LABEL_AI_EN },
      quoted: { zh: config.CONTENT_LABEL_QUOTED_ZH, en: config.CONTENT_LABEL_QUOTED_EN },
      curated: { zh: config.CONTENT_LABEL_CURATED_ZH, en: config.CONTENT_LABEL_CURATED_EN },
    },
    config.CONTENT_LABEL_PRODUCER,
  );
  // The lexicon: every channel applies it (docs/channels.md), e-mail included.
  const moderation =
    overrides.moderation ??
    (config.MODERATION_LEXICON_FILE
      ? await Moderation.load(config.MODERATION_LEXICON_FILE, { reloadSeconds: config.MODERATION_RELOAD_SECONDS, logger })
      : undefined);
  const documents = new DocumentFiles(config.KNOWLEDGE_DIR, config.UPLOADS_DIR, notDocuments(config));
  // The admin routes' one way to the knowledge table, the documents folder and jobs. Jobs run in a child process:
  // ingestion must not hold the event loop that serves answers.
  const knowledge = new KnowledgeService({ store, jobs, documents, lock: lockSettings(config), onConflict: () => metrics.ingestionRuns.inc({ result: 'conflict' }) });
  const suggestions = new Suggestions({
    store: new SuggestionStore(state),
    gaps,
    logs: conversations,
    retriever,
    curated,
    documents,
    jobs,
    chatModel,
    maxDraftTokens: config.LLM_MAX_ANSWER_TOKENS,
    mask: config.PII_MASKING ? maskPii : undefined,
    isKnownLine: (id) => classifier.isKnownLine(id),
  });
  const handoffs = new Handoffs(state, logger, {
    mask: config.PII_MASKING ? maskPii : undefined,
    webhook: config.HANDOFF_WEBHOOK_URL
      ? {
          url: config.HANDOFF_WEBHOOK_URL,
          secret: config.HANDOFF_WEBHOOK_SECRET,
          timeoutMs: config.HANDOFF_WEBHOOK_TIMEOUT_MS,
          attempts: config.HANDOFF_WEBHOOK_ATTEMPTS,
          format: config.HANDOFF_WEBHOOK_FORMAT,
          authorization: config.HANDOFF_WEBHOOK_AUTHORIZATION,
        }
      : undefined,
    onWebhook: (result) => metrics.handoffWebhook.inc({ result }),
  });
  const email = config.EMAIL_ENABLED ? await emailChannel(config, logger, { answers, conversations, state, metrics, labels, moderation, suggestions, runWorkers: overrides.emailWorkers ?? config.EMAIL_WORKERS_IN_PROCESS }) : undefined;
  const keysFromSettings = loadApiKeys({ file: config.API_KEYS_FILE, inline: config.API_KEYS });
  const rootAccess = overrides.workspace?.access ?? new AccessControl(keysFromSettings, publicOrigins(config.PUBLIC_URL));
  // Keys created or revoked through the admin API reach every replica within API_KEYS_REFRESH_SECONDS.
  const keys = overrides.workspace?.keys ?? (await new KeyRegistry(state, rootAccess, keysFromSettings, config.API_KEYS_REFRESH_SECONDS).start());
  // This workspace's routes take this workspace's keys only.
  const access = workspaceAccess(rootAccess, workspaceId);
  // The other workspaces, built when a request first needs one (the deployment's service only).
  const workspaces = overrides.workspace
    ? undefined
    : await new WorkspaceServices({
        config,
        logger,
        state,
        access: rootAccess,
        keys,
        load,
        answerGates,
        emailWorkers: overrides.emailWorkers ?? config.EMAIL_WORKERS_IN_PROCESS,
        dropTable: (settings) => LanceKnowledgeStore.drop(settings.DB_DIR, settings.TABLE_NAME, { storageOptions: settings.LANCEDB_STORAGE_OPTIONS }),
        build: (workspaceConfig, context) =>
          buildService(workspaceConfig, context.logger, {
            embedders: models,
            reranker: reranker ?? null,
            chatModel: chatModel ?? null,
            moderation,
            state: context.state,
            // `npm run worker` drafts every workspace's mail, not the default workspace's alone.
            emailWorkers: overrides.emailWorkers,
            workspace: { id: context.id, state: context.state, access: rootAccess, keys, answerGates, inference, load, lagMs: () => admission.load.eventLoopLagMs },
          }),
      }).start();
  const limiter = rateLimit(
    state,
    { ipPerMinute: config.RATE_LIMIT_IP_PER_MINUTE, ipBurst: config.RATE_LIMIT_IP_BURST, keyPerMinute: config.RATE_LIMIT_KEY_PER_MINUTE, keyBurst: config.RATE_LIMIT_KEY_BURST, keyCeilingPerMinute: config.RATE_LIMIT_KEY_CEILING_PER_MINUTE, keyCeilingBurst: config.RATE_LIMIT_KEY_CEILING_BURST },
    (limit) => metrics.rateLimited.inc({ limit }),
  );
  // Limit by IP, then authenticate, then limit by key, then read the body: nothing an unauthenticated
  // caller sends is parsed, and wrong keys use up the IP's allowance.
  const body = jsonBody(config.BODY_LIMIT_BYTES);
  const admission = new Admission({
    maxInFlight: config.MAX_IN_FLIGHT,
    maxEventLoopLagMs: config.MAX_EVENT_LOOP_LAG_MS,
    inferenceQueue: { length: () => inference.queued, max: config.INFERENCE_MAX_QUEUE },
    answerQueue: { length: () => answerGate.queued, max: config.ANSWER_MAX_QUEUE },
    // A quiet workspace beside a flooded one is not shed for the lag the flood causes (docs/workspaces.md).
    bearsProcessLoad: () => load.overShare(workspaceId),
    lagMs: overrides.workspace?.lagMs,
    onShed: (reason) => metrics.shed.inc({ reason }),
  }).start();
  // The dispatcher sheds this workspace's answer requests by the same check, before its routes run.
  const removeShedder = load.setShedder(workspaceId, () => admission.refusal() !== undefined);
  const drain = new Drain();
  const publicGuards = [admission.middleware, limiter.perIp, access.require('widget'), limiter.perKey, body];
  // History, session deletes and feedback count against a budget of their own, not the question budget.
  const upkeepGuards = [admission.middleware, limiter.upkeep.perIp, access.require('widget'), limiter.upkeep.perKey, body];
  // Admin calls with an admin key have a bucket of their own: public traffic from the same NAT cannot lock the admin out.
  const adminGuard = [limiter.admin((request) => access.identify(request)), access.require('admin'), body];

  const llmSlots = new Slots(config.LLM_MAX_CONCURRENT);
  const channelMetrics = createChannelMetrics(metrics.registry);
  // A helpdesk's replies to handed-off tickets (docs/suggestions.md): signed by the helpdesk, so no API key. The URL names
  // the workspace (`/v1/helpdesk/<helpdesk>/<workspace>`), whose own signing secrets its config carries (workspaceConfig).
  const helpdesk = buildHelpdeskRoutes(config, logger, { guards: [admission.middleware], handoffs, suggestions, state, onReply: (name, result) => metrics.helpdeskReplies.inc({ helpdesk: name, result }) });
  const channels = buildChannels(config, logger, { answers, conversations, state, metrics: channelMetrics, labels, moderation, mask: config.PII_MASKING ? maskPii : undefined, guards: [admission.middleware] });
  const answerRun = { answers, requestTimeoutMs: config.REQUEST_TIMEOUT_MS, llmSlots, drain, onShed: (reason: ShedReason) => metrics.shed.inc({ reason }) };
  const app = createApp({
    logger,
    trustProxy: config.TRUST_PROXY,
    // The dispatcher first: a created workspace's requests get its own app's headers, metrics and logs, and a
    // flooded workspace's answer requests are refused before any of that runs.
    front: workspaces ? [drain.middleware, workspaces.dispatch] : [],
    middleware: [...(workspaces ? [] : [drain.middleware]), metrics.httpMiddleware, access.cors],
    metrics: { contentType: metrics.registry.contentType, render: async () => renderWithWorkspaces(metrics.registry, (await workspaces?.registries()) ?? []), token: config.METRICS_TOKEN },
    ask: {
      ...answerRun,
      classifier,
      maxQuestionChars: config.MAX_QUESTION_CHARS,
      guards: publicGuards,
      prepare: (body, signal) => conversations.prepare(body, signal),
      moderation: { labels, lexicon: moderation, handoffContact: { zh: config.HANDOFF_CONTACT_ZH, en: config.HANDOFF_CONTACT_EN }, onHit: (category, where) => channelMetrics.moderationHits.inc({ category, where }) },
    },
    routers: [
      ...channels.routers,
      ...helpdesk.routers,
      webRoutes(undefined, { demoWidgetKey: config.DEMO_WIDGET_KEY }),
      chatCompletionsRoutes({
        ...answerRun,
        guards: publicGuards,
        classifier,
        maxQuestionChars: config.MAX_QUESTION_CHARS,
        maxHistoryTurns: config.SESSION_MAX_TURNS,
        companyName: config.COMPANY_NAME,
        prepare: (question, signal) => conversations.prepare(question, signal),
        moderation: { labels, lexicon: moderation, handoffContact: { zh: config.HANDOFF_CONTACT_ZH, en: config.HANDOFF_CONTACT_EN }, onHit: (category, where) => channelMetrics.moderationHits.inc({ category, where }) },
      }),
      conversationRoutes({ sessions, conversations, guards: upkeepGuards, classifier }),
      handoffRoutes({
        handoffs,
        publicGuards,
        adminGuard,
        onRequest: () => metrics.handoffs.inc(),
        isKnownLine: (id) => classifier.isKnownLine(id),
      }),
      emailRoutes({
        channel: email?.channel,
        store: email?.store,
        intakeGuard: [admission.middleware, limiter.perIp, access.require('integration'), limiter.perKey],
        adminGuard,
        maxBytes: config.EMAIL_MAX_BYTES,
      }),
      adminRoutes({
        guard: adminGuard,
        conversations,
        knowledge,
        state,
        maxUploadBytes: config.INGEST_MAX_FILE_BYTES,
        keys: workspaceKeys(keys, workspaceId),
        curated,
        mask: config.PII_MASKING ? maskPii : undefined,
        gaps,
        gapFixes: () => suggestions.fixes(),
      }),
      analyticsRoutes({ guard: adminGuard, logs: insightLogs, clusterer: gaps, state }),
      conversationReviewRoutes({ guard: adminGuard, logs: insightLogs, knowledge, curated, state }),
      adminAssetRoutes(),
      suggestionRoutes({ guard: adminGuard, suggestions, handoffs, state }),
      handoffAdminRoutes({ guard: adminGuard, handoffs, state }),
      uploadRoutes({ guard: adminGuard, knowledge, state }),
      ...(workspaces ? [workspaceRoutes({ guard: [limiter.admin((request) => rootAccess.identify(request)), rootAccess.require('operator'), body], workspaces })] : []),
      regressionRoutes({
        guard: adminGuard,
        knowledge,
        cases: new RegressionCases(state, regressionFile(config)),
        state,
        onPublished: async () => void (await knowledgeVersion().catch(() => undefined)),
      }),
      sourceRoutes({
        guard: [limiter.perIp, access.require('admin'), body],
        registry: sourceRegistry,
        syncs: sourceSyncs,
        snapshots: new SnapshotStore(config.SOURCES_CACHE_DIR),
        state,
        onConflict: () => metrics.ingestionRuns.inc({ result: 'conflict' }),
      }),
    ],
    readiness: [
      // First to fail on shutdown: the load balancer stops sending before the server stops accepting.
      { name: 'accepting', check: async () => !drain.draining },
      // An empty table is readable but answers nothing: not ready.
      { name: 'knowledge', check: async () => (await store.countRows()) > 0 },
      // Rows missing from the full-text index mean an ingestion crashed after its commit: re-running ingestion repairs it.
      { name: 'fulltext_index', check: async () => (await store.fullTextIndexCoverage()).unindexed === 0 },
      { name: 'embedder', check: async () => embedders.primary.dimension > 0 },
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
    jobs,
    drain,
    email: email?.channel,
    curated,
    workspaces,
    close: async () => {
      await channels.close();
      await helpdesk.close();
      if (!overrides.moderation) moderation?.stop();
      await email?.close();
      sourceSyncs?.stop();
      await jobs.stop();
      await workspaces?.close();
      if (!overrides.workspace) keys.stop();
      curated.stop();
      removeShedder();
      admission.stop();
      store.close();
      await state.close();
    },
  };
}
