import type { EmbeddingSpaces } from '../embed/embedding-spaces.js';
import { type ScoredChunk, sqlString } from '../store/knowledge-store.js';
import type { Language } from '../text/language.js';
import { type Candidate, type RankedList, boostLines, fuseLists } from './fusion.js';
import { DEFAULT_TUNING, type ListSource, type RetrievalTuning, weightsFor } from './tuning.js';

/** What the retriever needs from the store; KnowledgeStore satisfies it. */
export interface SearchIndex {
  /** Vector columns of the table and their dimensions. */
  readonly dimensions: Record<string, number>;
  vectorSearch(vector: Float32Array, limit: number, filter?: string, column?: string): Promise<ScoredChunk[]>;
  fullTextSearch(text: string, limit: number, filter?: string): Promise<ScoredChunk[]>;
}

export interface RetrieveOptions {
  lang: Language;
  /** Restrict to these product lines: used when the caller states the line (the widget's data-product-line). */
  productLines?: string[];
  /**
   * Prefer these lines without excluding others: used for a line guessed from keywords, where a wrong
   * guess must not hide the right document.
   */
  preferLines?: string[];
}

export interface RetrievalResult {
  /** Every list as the retrievers returned it, with raw scores: the evidence answerability reads. */
  lists: RankedList[];
  /** All fused candidates, best first (not yet capped per document). */
  candidates: Candidate[];
  timings: { embedMs: number; searchMs: number };
}

/**
 * Vector search in every embedding space that covers the question's language, plus BM25 full-text
 * search, fused by normalised scores with per-language weights (see tuning.ts).
 */
export class HybridRetriever {
  constructor(
    private readonly embedders: EmbeddingSpaces,
    private readonly index: SearchIndex,
    readonly tuning: RetrievalTuning = DEFAULT_TUNING,
  ) {}

  async retrieve(question: string, options: RetrieveOptions): Promise<RetrievalResult> {
    const spaces = this.embedders.covering(options.lang).filter((space) => space.column in this.index.dimensions);
    const embedStarted = performance.now();
    const vectors = await Promise.all(spaces.map((space) => space.embedder.embedQuery(question)));
    const embedMs = performance.now() - embedStarted;

    const lineFilter = options.productLines?.length ? `product_line IN (${options.productLines.map(sqlString).join(', ')})` : undefined;
    const k = this.tuning.candidates;
    const searchStarted = performance.now();
    const lists: RankedList[] = await Promise.all([
      ...spaces.map(async (space, index): Promise<RankedList> => {
        // A language space holds real vectors only for its languages; other rows are zero vectors.
        const languageFilter = space.languages ? `lang IN (${space.languages.map(sqlString).join(', ')})` : undefined;
        const filter = [lineFilter, languageFilter].filter(Boolean).join(' AND ') || undefined;
        return { source: `dense:${space.column}`, hits: await this.index.vectorSearch(vectors[index], k, filter, space.column), languages: space.languages };
      }),
      this.index
        .fullTextSearch(question, k, lineFilter)
        .catch(() => [] as ScoredChunk[])
        .then((hits): RankedList => ({ source: 'lexical', hits })),
    ]);
    const searchMs = performance.now() - searchStarted;

    const weights = weightsFor(this.tuning, options.lang, new Set<ListSource>(lists.map((list) => list.source)));
    const candidates = boostLines(fuseLists(lists, weights), options.preferLines ?? [], this.tuning.lineBoost);
    return { lists, candidates, timings: { embedMs, searchMs } };
  }
}
