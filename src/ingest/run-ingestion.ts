import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { ProductLineClassifier } from '../classify/product-lines.js';
import { type BatchOptions, embedInBatches } from '../embed/embedder.js';
import type { EmbeddingSpaces } from '../embed/embedding-spaces.js';
import type { Calibration, ChunkRow, KnowledgeStore } from '../store/knowledge-store.js';
import { MULTILINGUAL_COLUMN } from '../embed/embedding-spaces.js';
// The run that writes the table opens it; everything else is handed the KnowledgeStore port.
import { LanceKnowledgeStore } from '../store/lance-knowledge-store.js';
import { detectLanguage } from '../text/language.js';
import { isInternal, normalizeAudiences } from '../store/audiences.js';
import { type ChunkMedia, chunkMedia, imageText } from '../store/chunk-media.js';
import { AudienceRulesError, FolderAudiences } from './audience-rules.js';
import { type Chunk, chunkSections } from './chunker.js';
import { CONTRADICTIONS_NOTE, type Contradiction, type ContradictionOptions, findContradictions } from './contradictions.js';
import { type GateResult, REGRESSION_NOTE, type RegressionGateHook, regressionNote } from './regression-gate.js';
import { type LoadFailure, type SourceDocument, UnreadableFileError } from './document.js';
import { LOADERS } from './loaders/index.js';
import { acquireIngestLock, type IngestLock } from './lock.js';
import { type ProgressReporter, silentProgress } from './progress.js';
import type { SourceDocuments } from './sources/sync-sources.js';
import type { SourceSyncReport } from './sources/snapshot.js';
import { walk } from './walk.js';

/** Bump when chunking or row layout changes in a way that should re-embed every document. */
export const PIPELINE_VERSION = 3;

export interface IngestOptions {
  source: string;
  dbDir: string;
  tableName: string;
  embedders: EmbeddingSpaces;
  maxFileBytes: number;
  chunkMaxTokens: number;
  chunkOverlapTokens: number;
  /** Tags chunks with product lines (folder rules, then keywords); without it chunks get front matter/FAQ values or "general". */
  classifier?: ProductLineClassifier;
  /** Absolute paths not to ingest (the product-line rules file lives in knowledge/ too). */
  exclude?: string[];
  progress?: ProgressReporter;
  /** Calibrates the refusal threshold on each new version (the composition root hands in selfCalibrationHook); off when undefined. */
  calibration?: CalibrationHook;
  /** Where the table's lease lives (see acquireIngestLock); `held` when the caller already holds it (a service job). */
  lock?: { redisUrl?: string; redisPrefix?: string; ttlSeconds?: number; held?: boolean };
  /** LanceDB storage options, for a dbDir on object storage. */
  storageOptions?: Record<string, string>;
  /** Past this many rows, vector columns get an approximate index and filter columns a bitmap index (see KnowledgeStore.ensureIndexes); 0 never. */
  vectorIndexMinRows?: number;
  /** How passages are batched for the models (see embedInBatches). */
  embedBatch?: BatchOptions;
  /** Which old table versions to keep; older ones (and files a crash left) are deleted after the run. */
  retention?: RetentionPolicy;
  /** Documents of the other sources (websites, help centres), from their last sync's snapshots. */
  otherSources?: () => Promise<SourceDocuments>;
  /** Asks the regression set of each new version before it is published (src/regression); without it every version publishes. */
  gate?: RegressionGateHook;
  /** Near-duplicate chunks and their contradictions are looked for among what each run writes; off when undefined. */
  contradictions?: ContradictionOptions;
  /**
   * Who may see the folder's documents that say nothing themselves and that no `.audiences.yaml` limits (the
   * folder source's `audiences`, or `npm run ingest -- --audiences`); public when undefined.
   */
  defaultAudiences?: string[];
}

/**
 * Work run on each new table version after its commit: self-calibration of the refusal threshold. Ingestion
 * writes the knowledge table and knows nothing of retrieval or answering, so what measures answers is handed
 * in (src/calibrate/calibration-hook.ts) rather than imported.
 */
export interface CalibrationHook {
  /** Whether a stored calibration still stands (measured with today's answerability model): an unchanged run keeps it then. */
  isCurrent(calibration: Calibration): boolean;
  /** Measures the refusal thresholds on `version` of the table `store` holds. */
  calibrate(store: KnowledgeStore, version: number): Promise<Calibration>;
}

export interface RetentionPolicy {
  /** The last N ingestion versions stay (so rollback can reach them), whatever their age. */
  keepVersions: number;
  /** Versions younger than this stay too. */
  keepDays: number;
}

export interface IngestSummary {
  source: string;
  db: string;
  table: string;
  previousVersion: number | null;
  version: number;
  committed: boolean;
  documents: { added: number; updated: number; unchanged: number; removed: number; failed: number };
  chunksWritten: number;
  chunksTotal: number;
  seconds: number;
  embedSeconds: number;
  chunksPerSecond: number;
  failures: LoadFailure[];
  ignored: string[];
  /** Things that ingested, but not as written (an unknown product line filed under general). */
  warnings: string[];
  /** The refusal thresholds measured on this version, when calibration ran. */
  calibration?: Calibration;
  /** Old versions deleted by the retention policy. */
  versionsRemoved?: number;
  /** Vector columns that got an approximate index in this run (the table passed VECTOR_INDEX_MIN_ROWS). */
  vectorIndexesBuilt?: string[];
  /** The sources a sync job fetched before the run, one report each. */
  sources?: SourceSyncReport[];
  /** Whether this version serves now: false when the regression gate held it (it waits for an admin). */
  published?: boolean;
  /** The regression gate's result on this version, with the answers that changed. */
  gate?: GateResult;
  /** Near-duplicates among the chunks written and the contradictions standing in this version (at most 100 listed). */
  contradictions?: { nearDuplicates: number; found: number; total: number; list: Contradiction[]; seconds: number };
}

/**
 * One ingestion run: load every file, compare document hashes with the table, embed only what changed,
 * and commit the run as a single table version. A crash before the commit leaves the previous version
 * serving; a file that fails keeps whatever it had in the previous version.
 */
export async function runIngestion(options: IngestOptions): Promise<IngestSummary> {
  const started = performance.now();
  // The lease backend and TTL come from the options; the table locked is always the run's own.
  const lock: IngestLock | undefined = options.lock?.held ? undefined : await acquireIngestLock({ ...options.lock, dbDir: options.dbDir, tableName: options.tableName });
  const progress = options.progress ?? silentProgress;
  try {
    const store = await LanceKnowledgeStore.openOrCreate(options.dbDir, options.tableName, options.embedders.dimensions, { storageOptions: options.storageOptions });
    const previousVersion = await store.version();
    const existing = await store.documentHashes();
    const hadRows = existing.size > 0;

    progress.phase?.('loading');
    const { documents, failures, ignored, failedPaths } = await loadAll(options, progress);
    const others = options.otherSources ? await options.otherSources() : { documents: [], protectedPrefixes: [], warnings: [] };
    documents.push(...others.documents);
    const seen = new Set<string>();
    const changed: { document: SourceDocument; docHash: string; isNew: boolean }[] = [];
    let unchanged = 0;
    for (const document of documents) {
      if (seen.has(document.docId)) {
        failures.push({ path: document.sourcePath, reason: `duplicate document id "${document.docId}"` });
        continue;
      }
      seen.add(document.docId);
      const docHash = hashDocument(document, options);
      const previous = existing.get(document.docId);
      if (previous?.docHash === docHash) unchanged++;
      else changed.push({ document, docHash, isNew: !previous });
    }
    // A document is removed when its file is gone, not when its file failed to load this time.
    // Nor when its source was not loaded here (a website never synced on this host, a source switched off).
    const removed = [...existing.entries()]
      .filter(([docId, { sourcePath }]) => !seen.has(docId) && !failedPaths.has(sourcePath) && !others.protectedPrefixes.some((prefix) => sourcePath.startsWith(prefix)))
      .map(([docId]) => docId);

    const rows = changed.flatMap(({ document, docHash }) => toRows(document, docHash, options));
    progress.phase?.('embedding');
    const embedStarted = performance.now();
    await embedRows(rows, options.embedders, progress, options.embedBatch);
    progress.finish();
    const embedSeconds = (performance.now() - embedStarted) / 1000;

    const replaced = [...changed.map(({ document }) => document.docId), ...removed];
    const committed = rows.length > 0 || removed.length > 0;
    progress.phase?.('committing');
    await store.commit(rows, replaced);
    // Also repairs what a crash after an earlier commit left: rows the full-text index does not cover.
    // New rows join the existing indexes incrementally; a table without a full-text index, or with more new
    // rows than indexed ones (a first run, a wholesale change), gets one built from scratch.
    const coverage = await store.fullTextIndexCoverage();
    if ((committed || coverage.unindexed > 0) && (await store.countRows()) > 0) {
      if (coverage.indexed === undefined || coverage.unindexed > coverage.indexed) await store.buildFullTextIndex();
      else await store.updateIndexes();
    }
    const warnings: string[] = [...others.warnings];
    const vectorIndexesBuilt = options.vectorIndexMinRows ? await store.ensureIndexes(options.vectorIndexMinRows) : [];
    let contradictions: IngestSummary['contradictions'];
    let contradictionList: Contradiction[] | undefined;
    if (options.contradictions && committed) {
      progress.phase?.('comparing');
      const comparing = performance.now();
      const previous = (await store.versionNotes<Contradiction[]>(CONTRADICTIONS_NOTE))[String(previousVersion)] ?? [];
      const report = await findContradictions(store, options.embedders, rows, { version: await store.version(), replacedDocIds: replaced, previous }, options.contradictions);
      contradictions = {
        nearDuplicates: report.nearDuplicates,
        found: report.found,
        total: report.contradictions.length,
        list: report.contradictions.slice(0, 100),
        seconds: Math.round(performance.now() - comparing) / 1000,
      };
      // Kept under the version number retention leaves current (below), so it is read by the version that serves.
      contradictionList = report.contradictions;
    }
    // Before calibrating and tagging: compaction makes a new version, and that one must carry both.
    let versionsRemoved = 0;
    try {
      if (options.retention && (committed || (await store.needsCleanup(options.retention)))) versionsRemoved = await store.applyRetention(options.retention);
    } catch (error) {
      // Old versions staying is not a reason to fail a run whose commit went through.
      warnings.push(`old versions were not cleaned up: ${(error as Error).message.split('\n')[0]}`);
    }
    const version = await store.version();
    progress.phase?.('calibrating');
    let calibration = await store.calibration(version);
    // Also when a multilingual model was added to a table calibrated without it (its "other" threshold is missing).
    const missingOther = Boolean(options.embedders.multilingual && calibration && !calibration.languages.other && MULTILINGUAL_COLUMN in store.dimensions);
    if (options.calibration && (committed || !calibration || !options.calibration.isCurrent(calibration) || missingOther) && (await store.countRows()) > 0) {
      calibration = await options.calibration.calibrate(store, version);
      await store.saveCalibration(calibration);
    }
    if (contradictionList) await store.saveVersionNote(CONTRADICTIONS_NOTE, version, contradictionList);
    // The regression gate: a version other than the published one is asked the regression set before it serves.
    // Held, it stays written but unpublished (the published version keeps serving) until an admin approves or discards it.
    progress.phase?.('gating');
    const published = await store.publishedVersion();
    const baselineVersion = published ?? (hadRows ? previousVersion : undefined);
    let gate: GateResult | undefined;
    if (version !== published && (await store.countRows()) > 0) {
      if (options.gate) {
        const baseline = baselineVersion !== undefined && baselineVersion !== version ? { store: await store.atVersion(baselineVersion), version: baselineVersion } : undefined;
        try {
          gate = await options.gate.check({ store, version, baseline });
        } finally {
          baseline?.store.close();
        }
        await store.saveVersionNote(REGRESSION_NOTE, version, regressionNote(gate));
      }
      if (!gate?.held) await store.publish(version);
    }
    // A version committed by a run that crashed before tagging gets its tag now.
    if ((committed || !(await store.currentVersionTagged())) && (await store.countRows()) > 0) {
      await store.tagVersion(`ingest-${new Date().toISOString().replace(/[-:.]/g, '')}`, version);
    }
    const chunksTotal = await store.countRows();
    store.close();

    const seconds = (performance.now() - started) / 1000;
    return {
      source: options.source,
      db: options.dbDir,
      table: options.tableName,
      previousVersion: hadRows ? previousVersion : null,
      version,
      committed,
      documents: {
        added: changed.filter((entry) => entry.isNew).length,
        updated: changed.filter((entry) => !entry.isNew).length,
        unchanged,
        removed: removed.length,
        failed: failures.length,
      },
      chunksWritten: rows.length,
      chunksTotal,
      seconds,
      embedSeconds,
      chunksPerSecond: rows.length ? rows.length / Math.max(embedSeconds, 1e-6) : 0,
      failures,
      ignored,
      warnings: [
        ...documents
          .filter((document) => document.productLine && options.classifier && !options.classifier.isKnownLine(document.productLine))
          .map((document) => `${document.sourcePath} (${document.docId}): unknown product line ${JSON.stringify(document.productLine)}, filed under ${options.classifier!.rules.general.id}`),
        ...warnings,
      ],
      calibration,
      versionsRemoved,
      vectorIndexesBuilt,
      published: !gate?.held,
      ...(gate ? { gate } : {}),
      ...(contradictions ? { contradictions } : {}),
    };
  } finally {
    progress.phase?.('done');
    await lock?.release();
  }
}

async function loadAll(options: IngestOptions, progress: ProgressReporter) {
  const exclude = new Set((options.exclude ?? []).map((file) => path.resolve(file)));
  const skipped: { path: string; reason: string }[] = [];
  const files = await walk(options.source, exclude, skipped);
  const documents: SourceDocument[] = [];
  const failures: LoadFailure[] = [];
  const ignored: string[] = skipped.map((entry) => `${entry.path} (${entry.reason})`);
  const failedPaths = new Set<string>();
  const folderAudiences = new FolderAudiences(options.source);
  const fail = (relativePath: string, reason: string) => {
    failures.push({ path: relativePath, reason });
    progress.failure?.({ path: relativePath, reason });
    failedPaths.add(relativePath);
  };
  for (const [index, file] of files.entries()) {
    progress.files?.(index, files.length);
    const loader = LOADERS[path.extname(file.relativePath).toLowerCase()];
    if (!loader) {
      ignored.push(file.relativePath);
      continue;
    }
    if (file.size > options.maxFileBytes) {
      failures.push({ path: file.relativePath, reason: `file is ${file.size} bytes, over the ${options.maxFileBytes}-byte limit (INGEST_MAX_FILE_BYTES)` });
      progress.failure?.(failures[failures.length - 1]);
      failedPaths.add(file.relativePath);
      continue;
    }
    let audiences: string[] | undefined;
    try {
      audiences = (await folderAudiences.forFile(file.relativePath)) ?? options.defaultAudiences;
    } catch (error) {
      // Unreadable audience rules: the file keeps its previous version rather than go out as public.
      if (!(error instanceof AudienceRulesError)) throw error;
      fail(file.relativePath, `audience rules: ${error.message}`);
      continue;
    }
    try {
      const result = await loader(await readFile(file.absolutePath), file.relativePath);
      documents.push(...result.documents.map((document) => ({ ...document, audiences: normalizeAudiences(document.audiences ?? audiences) })));
      failures.push(...result.failures);
      for (const failure of result.failures) progress.failure?.(failure);
    } catch (error) {
      const reason = error instanceof UnreadableFileError ? error.message : `could not read: ${(error as Error).message}`;
      failures.push({ path: file.relativePath, reason });
      progress.failure?.({ path: file.relativePath, reason });
      failedPaths.add(file.relativePath);
    }
  }
  progress.files?.(files.length, files.length);
  return { documents, failures, ignored, failedPaths };
}

/**
 * Each row gets a vector from every space that covers its language: the primary model for all, a
 * language model only for its own language (the other rows keep an empty vector in that column).
 * Progress counts embeddings across spaces.
 */
async function embedRows(rows: ChunkRow[], embedders: EmbeddingSpaces, progress: ProgressReporter, batch?: BatchOptions): Promise<void> {
  const jobs = embedders.all.map((space) => ({ space, rows: rows.filter((row) => embedders.embedding(row.lang).includes(space)) }));
  const total = jobs.reduce((sum, job) => sum + job.rows.length, 0);
  let before = 0;
  for (const { space, rows: covered } of jobs) {
    const vectors = await embedInBatches(space.embedder, covered.map(embeddingText), (done) => progress.update(before + done, total), batch);
    covered.forEach((row, index) => ((row as unknown as Record<string, Float32Array>)[space.column] = vectors[index]));
    before += covered.length;
  }
}

function hashDocument(document: SourceDocument, options: IngestOptions): string {
  const settings = [PIPELINE_VERSION, options.embedders.modelKey, options.chunkMaxTokens, options.chunkOverlapTokens];
  // The product line a document resolves to is part of its identity: moving a file between folders re-tags it.
  const productLine = resolveProductLine(document, options);
  const identity: unknown[] = [settings, document.title, document.kind, document.sections, productLine, document.lang ?? null, document.metadata ?? null, document.sourcePath];
  // So are its audiences, when limited: public documents hash as they did before audiences, so upgrading re-embeds nothing.
  if (isInternal(document.audiences)) identity.push({ audiences: normalizeAudiences(document.audiences) });
  return sha256(JSON.stringify(identity));
}

function resolveProductLine(document: SourceDocument, options: IngestOptions): string {
  const classifier = options.classifier;
  const general = classifier?.rules.general.id ?? 'general';
  // A line the rules do not know ("__proto__", a typo) files the document under general; the run warns.
  if (document.productLine) return !classifier || classifier.isKnownLine(document.productLine) ? document.productLine : general;
  const fromFolder = classifier?.lineForPath(document.sourcePath);
  if (fromFolder) return fromFolder;
  if (!classifier) return general;
  const sample = `${document.title}\n${document.sections.map((section) => section.text).join('\n')}`.slice(0, 4000);
  const { productLine } = classifier.classify(sample);
  return classifier.isKnownLine(productLine) ? productLine : general;
}

function toRows(document: SourceDocument, docHash: string, options: IngestOptions): ChunkRow[] {
  const productLine = resolveProductLine(document, options);
  const allText = document.sections.map((section) => section.text).join('\n');
  const lang = document.lang ?? detectLanguage(`${document.title}\n${allText}`);
  const chunks: Chunk[] =
    document.kind === 'faq'
      ? [{ headingPath: [] as string[], text: document.sections[0].text, tokens: 0 }]
      : chunkSections(document.sections, {
          maxTokens: options.chunkMaxTokens,
          overlapTokens: options.chunkOverlapTokens,
          countTokens: (text) => options.embedders.primary.countTokens(text),
        });
  return chunks.map((chunk, index) => {
    const headingPath = chunk.headingPath.join(' > ');
    // Images' alt text and captions are searched and embedded with the chunk; the chunk's text stays what it quotes.
    const images = imageText(chunk.images);
    const media: ChunkMedia = { ...(chunk.images?.length ? { images: chunk.images } : {}), ...(chunk.anchor ? { anchor: chunk.anchor } : {}) };
    return {
      id: document.kind === 'faq' ? document.docId : `${document.docId}#${index}`,
      docId: document.docId,
      sourcePath: document.sourcePath,
      title: document.title,
      headingPath,
      productLine,
      lang,
      kind: document.kind,
      text: chunk.text,
      searchText: document.kind === 'faq' ? chunk.text : [document.title, headingPath, chunk.text, images].filter(Boolean).join('\n'),
      contentHash: sha256(chunk.text),
      docHash,
      chunkIndex: index,
      // The store writes it as JSON (chunk-columns.ts), as every release has: the document's fields, then the chunk's.
      metadata: { ...(document.metadata ?? {}), ...media },
      audiences: normalizeAudiences(document.audiences),
      vector: new Float32Array(0),
    };
  });
}

/** Title and headings go into the embedded text: "Return policy > Refunds" gives a bare paragraph its topic. */
function embeddingText(row: ChunkRow): string {
  if (row.kind === 'faq') return row.text;
  return [row.title, row.headingPath, row.text, imageText(chunkMedia(row.metadata).images)].filter(Boolean).join('\n');
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
