import { DomainError } from '../errors.js';
import type { ChunkMetadata } from './chunk-media.js';

/*
 * The knowledge store's port: what ingestion, retrieval, calibration and the admin routes need of the knowledge
 * table, and the records it holds. LanceDB (lance-knowledge-store.ts) implements it; only the composition roots
 * and the ingestion run that writes the table open that implementation. SQL and Arrow stay behind it: searches
 * take a ChunkFilter, never a query string.
 */

/**
 * A PDF page's section is headed by its page ("p. 3", pdf.ts), so a citation can point at the page. It locates the
 * text; it does not say what the text is about, so nothing may show it as a title (a "did you mean" suggestion).
 */
export const pageHeading = (page: number) => `p. ${page}`;
export const isPageHeading = (heading: string) => /^p\. \d+$/.test(heading.trim());

/**
 * One chunk of the knowledge table, as the rest of the code speaks of it. The table's columns keep their own
 * (snake_case) names on disk, so a table written by any release opens as it is; chunk-columns.ts maps between
 * the two, and nothing outside src/store/ names a column.
 */
export interface ChunkRow {
  id: string;
  docId: string;
  sourcePath: string;
  title: string;
  /** Headings above the chunk, joined with " > "; a PDF page's chunk has its page (pageHeading). */
  headingPath: string;
  productLine: string;
  lang: string;
  kind: 'passage' | 'faq';
  text: string;
  /** What the full-text index sees: title, headings and text, so a heading word finds its section. */
  searchText: string;
  /** Hash of the chunk text. */
  contentHash: string;
  /** Hash of the whole document plus chunking and model settings: unchanged means nothing to re-embed. */
  docHash: string;
  chunkIndex: number;
  /**
   * Extra fields (FAQ question/answer, the page's address, images, corpus fields); never embedded or indexed. Kept
   * as JSON in the table and parsed once, by the store, as it reads a row (chunk-media.ts).
   */
  metadata: ChunkMetadata;
  /**
   * Who may see the chunk (audiences.ts): `['public']` for everyone, or the audiences it is limited to
   * (`['agents']`). Absent is public, as is every row of a table written before audiences existed (no such column).
   */
  audiences?: string[];
  /** The primary embedding space; other spaces add `vector_<lang>` columns (see EmbeddingSpaces). */
  vector: Float32Array | number[];
  [column: `vector_${string}`]: Float32Array | number[];
}

export type StoredChunk = Omit<ChunkRow, 'vector' | `vector_${string}`>;
/**
 * A search hit: what answering reads of a chunk. The index-only fields (searchText, the hashes) stay on disk:
 * reading text is most of a query's cost at 10k rows (without search_text, a vector search's p50 5.9 → 5.0 ms).
 */
export type HitChunk = Omit<StoredChunk, 'searchText' | 'contentHash' | 'docHash'>;
export interface ScoredChunk extends HitChunk {
  score: number;
}

export interface LanguageCalibration {
  /** The answerability threshold that refuses `target` of the probe questions drawn from the knowledge base. */
  threshold: number;
  positives: number;
  negatives: number;
  /** Share of out-of-domain probes refused at that threshold. */
  negativesRefused: number;
  /** Area under the ROC curve of answerability, knowledge-base probes against out-of-domain probes. */
  auroc: number;
  /** The confident cut (self-calibration.ts): between `threshold` and it, the middle band. */
  answerThreshold?: number;
  /** In-domain unanswerable probes (an entry's question asked without it) and how many were answered confidently. */
  inDomainNegatives?: number;
  inDomainAnsweredConfidently?: number;
  /**
   * Best cosine to the knowledge base below which a question is off-topic (the gaps report's own bucket): the
   * out-of-domain probes' median, at most the in-domain probes' 5th percentile.
   */
  offTopicSimilarity?: number;
  /** The knowledge base's trade-off curve: at each cut, the share of each probe kind below it. */
  curve?: { threshold: number; answerableBelow: number; inDomainBelow: number; outOfDomainBelow: number }[];
}

/** Thresholds measured on one knowledge version, stored with it. */
export interface Calibration {
  version: number;
  at: string;
  target: number;
  /** The share of in-domain unanswerable probes the confident cut let through (absent: calibrated before it was stored, at 0.3). */
  confidentTarget?: number;
  /** The calibration rules' version (self-calibration.ts CALIBRATION_RULES; absent: 1). */
  rules?: number;
  /** Fingerprint of the answerability model the thresholds were measured with. */
  model: string;
  /** Per knowledge-base language, and "other": questions in any other language, searched in the multilingual space. */
  languages: Partial<Record<'zh' | 'en' | 'other', LanguageCalibration>>;
}

export interface KnowledgeVersion {
  version: number;
  timestamp: Date;
  tag?: string;
}

/**
 * Which chunks a search may return, in the domain's terms; the store turns it into its own query language
 * (SQL for LanceDB), so callers never build SQL. Each given list restricts; an empty or missing one does not.
 */
export interface ChunkFilter {
  productLines?: readonly string[];
  languages?: readonly string[];
  docIds?: readonly string[];
  /**
   * The audiences the asker may see (a key's audiences): only chunks limited to at least one of them, or public
   * ones, are returned. Unlike the other fields, an empty list is not "no restriction": undefined is, and only
   * trusted callers (calibration, the admin) leave it out. Answering always sets it.
   */
  audiences?: readonly string[];
}

export class TableMissingError extends Error {
  override name = 'TableMissingError';
}

/** Rollback to a version (number or tag) the table does not have. */
export class VersionNotFoundError extends DomainError {
  override name = 'VersionNotFoundError';
  constructor(message: string, options?: { cause?: unknown }) {
    super('not_found', 'version_not_found', message, undefined, options);
  }
}

/** Rollback to a version with no rows (the empty table before the first ingestion): every answer would be a refusal. */
export class EmptyVersionError extends DomainError {
  override name = 'EmptyVersionError';
  constructor(message: string) {
    super('conflict', 'empty_version', message);
  }
}

/** The knowledge table: versioned commits of chunks, their indexes, searches, rollback and per-version calibration. */
export interface KnowledgeStore {
  /** Vector column → dimension (`{ vector: 512, vector_en: 384 }`). */
  readonly dimensions: Record<string, number>;
  /** Dimension of the primary vector column. */
  readonly dimension: number;
  /** The table's current version, read now (what a writer needs after its own commit). */
  version(): Promise<number>;
  /** The version being served; overlapping reads share one. */
  servingVersion(): Promise<number>;
  countRows(): Promise<number>;
  /** Each stored document's hash and file, to tell what changed since the last run. */
  documentHashes(): Promise<Map<string, { docHash: string; sourcePath: string }>>;
  /** Writes `rows` and removes the chunks of `replacedDocIds` as one new version. */
  commit(rows: ChunkRow[], replacedDocIds: string[]): Promise<void>;
  buildFullTextIndex(): Promise<void>;
  updateIndexes(): Promise<void>;
  /** Builds the approximate vector and filter indexes past `minRows` rows; returns the vector columns indexed in this call. */
  ensureIndexes(minRows: number): Promise<string[]>;
  vectorIndexes(): Promise<string[]>;
  fullTextIndexCoverage(): Promise<{ indexed?: number; unindexed: number }>;
  currentVersionTagged(): Promise<boolean>;
  /** Share of the rows in this language, 0 to 1. */
  languageShare(lang: string): Promise<number>;
  /** `withVectors`: each hit also carries the `vector` it was found by (translation agreement reads it). */
  vectorSearch(vector: Float32Array, limit: number, filter?: ChunkFilter, column?: string, options?: { withVectors?: boolean }): Promise<ScoredChunk[]>;
  fullTextSearch(text: string, limit: number, filter?: ChunkFilter): Promise<ScoredChunk[]>;
  listVersions(): Promise<KnowledgeVersion[]>;
  needsCleanup(policy: { keepVersions: number; keepDays: number }): Promise<boolean>;
  /** Deletes versions the policy does not keep; returns how many. */
  applyRetention(policy: { keepVersions: number; keepDays: number }): Promise<number>;
  tagVersion(tag: string, version: number): Promise<void>;
  /** Makes an older version (number or tag) current again as a new version; throws VersionNotFoundError, EmptyVersionError. */
  rollback(version: number | string, options?: { force?: boolean }): Promise<number>;
  /** A deterministic sample of chunks, at most `perLanguage` per language. */
  sampleChunks(perLanguage: number): Promise<StoredChunk[]>;
  calibration(version: number): Promise<Calibration | undefined>;
  saveCalibration(calibration: Calibration): Promise<void>;
  /** Moves to what should be read now: a writer to the latest commit, a reader to the published version. */
  checkoutLatest(): Promise<void>;
  /**
   * The version readers serve. An ingestion run publishes its version once the regression gate passes; a held
   * version is written but not published. Undefined for a table never published (its latest commit serves).
   */
  publishedVersion(): Promise<number | undefined>;
  publish(version: number): Promise<void>;
  /** The newest version in the table, whatever is served. */
  latestVersion(): Promise<number>;
  /** A read-only view of the table at `version`. */
  atVersion(version: number): Promise<KnowledgeStore>;
  /** Notes of one kind kept with each version (version → note): regression scores, contradictions. */
  versionNotes<T>(kind: string): Promise<Record<string, T>>;
  saveVersionNote<T>(kind: string, version: number, note: T): Promise<void>;
  close(): void;
}
