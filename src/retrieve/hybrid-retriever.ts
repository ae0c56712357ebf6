import type { EmbeddingSpaces } from '../embed/embedding-spaces.js';
import type { ChunkFilter, ScoredChunk } from '../store/knowledge-store.js';
import type { LanguageCode } from '../text/language.js';
import { type Candidate, type RankedList, boostLines, fuseLists } from './fusion.js';
import { rescoreBySentences, SentenceMatchTimeout } from './sentence-match.js';
import { agreeAcrossTranslations, type VectorHit } from './translation-agreement.js';
import { DEFAULT_TUNING, type ListSource, type RetrievalTuning, weightsFor } from './tuning.js';

/** What the retriever needs from the store; KnowledgeStore satisfies it. */
export interface SearchIndex {
  /** Vector columns of the table and their dimensions. */
  readonly dimensions: Record<string, number>;
  vectorSearch(vector: Float32Array, limit: number, filter?: ChunkFilter, column?: string, options?: { withVectors?: boolean }): Promise<ScoredChunk[]>;
  fullTextSearch(text: string, limit: number, filter?: ChunkFilter): Promise<ScoredChunk[]>;
  /** Share of the rows in this language, 0 to 1 (without it, every covering space is searched). */
  languageShare?(lang: string): Promise<number>;
}

export interface RetrieveOptions {
  /** The question's language (any ISO 639-1 code): which embedding spaces and fusion weights apply. */
  lang: LanguageCode;
  /** Restrict to these product lines: used when the caller states the line (the widget's data-product-line). */
  productLines?: string[];
  /**
   * Prefer these lines without excluding others: used for a line guessed from keywords, where a wrong
   * guess must not hide the right document.
   */
  preferLines?: string[];
  /**
   * The audiences the asker may see (their key's): pushed into every search, vector and full-text, so nothing
   * limited to others is ever a candidate. Undefined searches everything (calibration, eval).
   */
  audiences?: readonly string[];
}

export interface RetrievalResult {
  /** Every list as the retrievers returned it, with raw scores: the evidence answerability reads. */
  lists: RankedList[];
  /** All fused candidates, best first (not yet capped per document). */
  candidates: Candidate[];
  timings: RetrievalTimings;
}

/**
 * Where retrieval's time goes. `embedMs` runs until the last question vector is ready and `searchMs` from
 * then until every search is done: together with `fuseMs` they add up to retrieval's wall-clock time. The
 * searches overlap the embedding and each other, so `vectorMs` (the slowest vector search) and `fullTextMs`
 * (the BM25 search, started at once) can add up to more. For a question in another language `fuseMs` includes
 * re-reading the head of the ranking by sentence (one embedding call of its sentences: sentence-match.ts).
 */
export interface RetrievalTimings {
  embedMs: number;
  searchMs: number;
  vectorMs: number;
  fullTextMs: number;
  fuseMs: number;
}

/** Why the sentence re-reading left the fused order: its time budget ran out, or the embedding call failed. */
export type SentenceMatchFallback = 'timeout' | 'error';

/** Told of what retrieval gave up on without failing (metrics). */
export interface RetrievalObserver {
  sentenceMatchFallback?(reason: SentenceMatchFallback): void;
}

/**
 * Vector search in every embedding space that covers the question's language, plus BM25 full-text
 * search, fused by normalised scores with per-language weights (see tuning.ts).
 */
export class HybridRetriever {
  constructor(
    readonly embedders: EmbeddingSpaces,
    private readonly index: SearchIndex,
    readonly tuning: RetrievalTuning = DEFAULT_TUNING,
    private readonly observer: RetrievalObserver = {},
  ) {}

  async retrieve(question: string, options: RetrieveOptions): Promise<RetrievalResult> {
    const covering = this.embedders.covering(options.lang).filter((space) => space.column in this.index.dimensions);
    // Only a question whose language has a space of its own can be searched in it alone (see ownSpaceAloneShare).
    const ownSpace = covering.some((space) => space.languages?.includes(options.lang));
    const share = ownSpace ? ((await this.index.languageShare?.(options.lang)) ?? 0) : 0;
    const weights = weightsFor(this.tuning, options.lang, new Set<ListSource>([...covering.map((space) => `dense:${space.column}` as const), 'lexical']), share);
    // A space whose list would not be fused is not searched: no model call, no vector search.
    const spaces = covering.filter((space) => (weights[`dense:${space.column}`] ?? 0) > 0);
    const lines: ChunkFilter = { ...(options.productLines?.length ? { productLines: options.productLines } : {}), ...(options.audiences ? { audiences: options.audiences } : {}) };
    const restricted = Object.keys(lines).length > 0;
    const k = this.tuning.candidates;
    const started = performance.now();
    // Nothing waits for more than it needs: the full-text search runs while the question is embedded, and
    // each vector search starts as soon as its own model's vector is ready.
    const lexical = timed(() => this.index.fullTextSearch(question, k, restricted ? lines : undefined).catch(() => [] as ScoredChunk[]));
    let embedMs = 0;
    // The multilingual space's question vector, kept to re-read the head of the ranking by sentence (sentence-match.ts).
    let crossLingual: { vector: Float32Array; space: (typeof spaces)[number] } | undefined;
    const dense = spaces.map(async (space) => {
      const vector = await space.embedder.embedQuery(question);
      if (space.otherLanguages === true) crossLingual = { vector, space };
      embedMs = Math.max(embedMs, performance.now() - started);
      // A language space holds real vectors only for its languages; other rows are zero vectors.
      const filter: ChunkFilter | undefined = restricted || space.languages ? { ...lines, languages: space.languages } : undefined;
      // The multilingual space (a question in a language the knowledge base is not written in) reads its hits'
      // vectors to pair each passage with its translation (translation-agreement.ts).
      const agree = space.otherLanguages === true && this.tuning.translationAgreement > 0;
      const search = await timed(() => this.index.vectorSearch(vector, k, filter, space.column, agree ? { withVectors: true } : undefined));
      const source = `dense:${space.column}` as const;
      if (!agree) return { list: { source, hits: search.value, languages: space.languages } as RankedList, ms: search.ms };
      const { raw, agreed } = agreeAcrossTranslations(search.value as VectorHit[], this.tuning.translationAgreement);
      return { list: { source, hits: raw, languages: space.languages } as RankedList, fused: { source, hits: agreed, languages: space.languages } as RankedList, ms: search.ms };
    });
    const [denseResults, lexicalResult] = await Promise.all([Promise.all(dense), lexical]);
    const lists: RankedList[] = [...denseResults.map((result) => result.list), { source: 'lexical', hits: lexicalResult.value }];
    // Fusion orders by the agreed scores where there are some; the raw lists stay the evidence.
    const fusing: RankedList[] = [...denseResults.map((result) => ('fused' in result && result.fused) || result.list), lists[lists.length - 1]];
    const searchMs = performance.now() - started - embedMs;
    const vectorMs = Math.max(0, ...denseResults.map((result) => result.ms));
    const fullTextMs = lexicalResult.ms;

    const fuseStarted = performance.now();
    const fused = boostLines(fuseLists(fusing, weights), options.preferLines ?? [], this.tuning.lineBoost);
    // Questions in zh/en never search the multilingual space, so their ranking is never re-read here. The re-reading only
    // refines the order: a failed sentence embedding (the model's server down) or one past its time budget leaves the
    // fused order, as a reranker outage does, instead of failing or holding up the answer.
    const candidates =
      crossLingual && this.tuning.sentenceMatch
        ? await rescoreBySentences(fused, crossLingual.vector, crossLingual.space.embedder, this.tuning.sentenceMatch).catch((error: unknown) => {
            this.observer.sentenceMatchFallback?.(error instanceof SentenceMatchTimeout ? 'timeout' : 'error');
            return fused;
          })
        : fused;
    const fuseMs = performance.now() - fuseStarted;
    return { lists, candidates, timings: { embedMs, searchMs, vectorMs, fullTextMs, fuseMs } };
  }
}

async function timed<T>(work: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const started = performance.now();
  const value = await work();
  return { value, ms: performance.now() - started };
}
