import { scopedState } from './workspaces/scoped-state.js';
import path from 'node:path';
import { selfCalibrationHook } from './calibrate/calibration-hook.js';
import { ProductLineClassifier, loadProductLineRules } from './classify/product-lines.js';
import type { Config } from './config/config.js';
import type { EmbeddingSpaces } from './embed/embedding-spaces.js';
import { acquireIngestLock, lockSettings } from './ingest/lock.js';
import type { SourceSyncReport } from './ingest/sources/snapshot.js';
import { DEFAULT_TUNING } from './retrieve/tuning.js';
import { loadSourceDocuments, syncSources } from './ingest/sources/sync-sources.js';
import { FOLDER_SOURCE_ID, loadSources } from './ingest/sources/source-config.js';
import type { ProgressReporter } from './ingest/progress.js';
import { type IngestOptions, type IngestSummary, runIngestion } from './ingest/run-ingestion.js';
import type { RegressionGateHook } from './ingest/regression-gate.js';
import { RegressionCases } from './regression/regression-cases.js';
import { regressionGateHook } from './regression/regression-gate.js';
import type { SharedState } from './state/shared-state.js';
import { MemoryState } from './state/shared-state.js';
import { RedisState } from './state/redis-state.js';

/**
 * The composition root of ingestion (beside service.ts): it hands runIngestion what src/ingest may not import,
 * the self-calibration and the regression gate that ask the new table questions.
 *
 * Ingests the product knowledge base as the settings describe: KNOWLEDGE_DIR into DB_DIR/TABLE_NAME,
 * tagged with the product-line rules (which live in the same folder and are not ingested themselves).
 */
export async function ingestKnowledgeBase(
  config: Config,
  embedders: EmbeddingSpaces,
  options: {
    classifier?: ProductLineClassifier;
    progress?: ProgressReporter;
    dbDir?: string;
    tableName?: string;
    lockHeld?: boolean;
    sync?: string[] | 'all';
    /** Where the regression set's logs live (API cases, corrections, accepted suggestions, feedback); without it, the regression file alone. */
    state?: SharedState;
    /** Who may see the documents that say nothing themselves (docs/audiences.md); public when undefined. */
    audiences?: string[];
  } = {},
): Promise<IngestSummary> {
  if (!options.sync) return runKnowledgeBase(config, embedders, options);
  // A sync fetches its sources first (network) under the table's lease, so two syncs never write one
  // snapshot at once; a service job's parent holds it already. A failed source keeps its previous snapshot.
  const lock = options.lockHeld
    ? undefined
    : await acquireIngestLock({ ...lockSettings(config), dbDir: options.dbDir ?? config.DB_DIR, tableName: options.tableName ?? config.TABLE_NAME, purpose: 'ingestion' });
  let reports: SourceSyncReport[];
  let summary: IngestSummary;
  try {
    options.progress?.phase?.('crawling');
    reports = await syncSources(config, options.sync, options.progress);
    summary = await runKnowledgeBase(config, embedders, { ...options, lockHeld: true });
  } finally {
    await lock?.release();
  }
  // A whole source that failed, then each page that failed (by URL): the job lists both, and is "partial".
  const sourceFailures = reports.flatMap((report) => [
    ...(report.error ? [{ path: `source:${report.id}`, reason: report.error }] : []),
    ...report.failures.map((failure) => ({ path: failure.url, reason: failure.reason })),
  ]);
  return { ...summary, sources: reports, failures: [...sourceFailures, ...summary.failures], documents: { ...summary.documents, failed: summary.documents.failed + sourceFailures.length } };
}

async function runKnowledgeBase(
  config: Config,
  embedders: EmbeddingSpaces,
  options: { classifier?: ProductLineClassifier; progress?: ProgressReporter; dbDir?: string; tableName?: string; lockHeld?: boolean; state?: SharedState; audiences?: string[] },
): Promise<IngestSummary> {
  const classifier = options.classifier ?? new ProductLineClassifier(await loadProductLineRules(config.PRODUCT_LINES_FILE));
  const sources = await loadSources(config.SOURCES_FILE);
  return runIngestion({
    source: config.KNOWLEDGE_DIR,
    dbDir: options.dbDir ?? config.DB_DIR,
    tableName: options.tableName ?? config.TABLE_NAME,
    embedders,
    classifier,
    exclude: notDocuments(config),
    // Websites and help centres: their documents from the last successful sync (no network here).
    otherSources: () => loadSourceDocuments(config, sources),
    progress: options.progress,
    // The run's own (`npm run ingest -- --audiences`) before the folder source's.
    defaultAudiences: options.audiences ?? sources.find((source) => source.id === FOLDER_SOURCE_ID)?.audiences,
    ...runSettings(config, embedders),
    lock: { ...runSettings(config, embedders).lock, held: options.lockHeld },
    gate: knowledgeBaseGate(config, embedders, classifier, options.state),
  });
}

/** The regression gate as the settings describe it (REGRESSION_*), over the file's cases and those `state`'s logs hold. */
export function knowledgeBaseGate(config: Config, embedders: EmbeddingSpaces, classifier: ProductLineClassifier, state?: SharedState): RegressionGateHook | undefined {
  if (!config.REGRESSION_GATE) return undefined;
  const cases = new RegressionCases(state ?? new MemoryState(), regressionFile(config));
  return regressionGateHook({
    embedders,
    classifier,
    cases: () => cases.all(),
    tolerancePinned: config.REGRESSION_TOLERANCE_PINNED,
    toleranceShare: config.REGRESSION_TOLERANCE,
    sources: config.RETRIEVAL_SOURCES,
    tuning: { ...DEFAULT_TUNING, candidates: config.RETRIEVAL_CANDIDATES },
    explicit: { zh: config.REFUSAL_THRESHOLD_ZH, en: config.REFUSAL_THRESHOLD_EN },
    explicitAnswer: { zh: config.ANSWER_THRESHOLD_ZH, en: config.ANSWER_THRESHOLD_EN },
  });
}

/** The rules (product lines, intents, e-mail review), curated answers and prompt templates live in the knowledge folder but are not documents. */
export const notDocuments = (config: Config) => [
  path.resolve(config.PRODUCT_LINES_FILE),
  path.resolve(config.KNOWLEDGE_DIR, 'product-lines.yaml'),
  path.resolve(config.CURATED_DIR),
  path.resolve(config.PROMPTS_DIR),
  path.resolve(config.INTENTS_FILE),
  path.resolve(config.EMAIL_REVIEW_RULES_FILE),
  path.resolve(config.SOURCES_FILE),
  path.resolve(regressionFile(config)),
];

/** The pinned regression cases: REGRESSION_FILE, or regression-set.jsonl in the knowledge folder. */
export const regressionFile = (config: Config) => config.REGRESSION_FILE ?? path.join(config.KNOWLEDGE_DIR, 'regression-set.jsonl');

/** The settings every ingestion run takes from the configuration: calibration, lock lease, version retention. */
export function runSettings(
  config: Config,
  embedders: EmbeddingSpaces,
): Pick<IngestOptions, 'calibration' | 'lock' | 'retention' | 'maxFileBytes' | 'chunkMaxTokens' | 'chunkOverlapTokens' | 'storageOptions' | 'vectorIndexMinRows' | 'embedBatch' | 'contradictions'> {
  return {
    contradictions: config.DUPLICATE_SIMILARITY > 0 ? { similarity: config.DUPLICATE_SIMILARITY } : undefined,
    embedBatch: { batchSize: config.EMBEDDING_BATCH_SIZE, tokenBudget: config.EMBEDDING_BATCH_TOKENS || undefined },
    vectorIndexMinRows: config.VECTOR_INDEX_MIN_ROWS,
    storageOptions: config.LANCEDB_STORAGE_OPTIONS,
    maxFileBytes: config.INGEST_MAX_FILE_BYTES,
    chunkMaxTokens: config.CHUNK_MAX_TOKENS,
    chunkOverlapTokens: config.CHUNK_OVERLAP_TOKENS,
    calibration: config.CALIBRATION_ENABLED ? selfCalibrationHook(embedders, config.CALIBRATION_FALSE_REFUSAL_TARGET, config.CALIBRATION_CONFIDENT_UNANSWERABLE_TARGET) : undefined,
    lock: lockSettings(config),
    retention: { keepVersions: config.KNOWLEDGE_KEEP_VERSIONS, keepDays: config.KNOWLEDGE_KEEP_DAYS },
  };
}

/**
 * The shared state an ingestion run reads its regression set from, as the service keeps it: Redis when configured,
 * else the log files under STATE_LOG_DIR (an in-process state's logs are files, so a child process reads them too).
 * Unreachable Redis leaves the regression file alone: the gate still runs, on fewer cases.
 */
export async function ingestionState(config: Config): Promise<SharedState> {
  // The logs a workspace's regression set is made of are that workspace's (the service scopes its state the same way).
  if (!config.REDIS_URL) return scopedState(new MemoryState(Date.now, config.STATE_LOG_DIR), config.WORKSPACE_ID);
  const redis = RedisState.connect(config.REDIS_URL, { commandTimeoutMs: config.REDIS_COMMAND_TIMEOUT_MS, prefix: config.REDIS_KEY_PREFIX });
  if (await redis.ready(5000)) return scopedState(redis, config.WORKSPACE_ID);
  await redis.close().catch(() => undefined);
  return new MemoryState();
}
