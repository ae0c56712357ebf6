import type { Embedder } from '../embed/embedder.js';
import { type ScoredChunk, type StoredChunk, sqlString } from '../store/knowledge-store.js';

/** What the retriever needs from the store; KnowledgeStore satisfies it. */
export interface SearchIndex {
  vectorSearch(vector: Float32Array, limit: number, filter?: string): Promise<ScoredChunk[]>;
  fullTextSearch(text: string, limit: number, filter?: string): Promise<ScoredChunk[]>;
}

export interface Candidate extends StoredChunk {
  /** Cosine similarity to the question, when the vector search returned this chunk. */
  vectorScore?: number;
  /** BM25 score, when the full-text search returned this chunk. */
  textScore?: number;
  vectorRank?: number;
  textRank?: number;
  /** Reciprocal-rank fusion score: orders candidates, never thresholded (it is rank-based). */
  fusedScore: number;
}

export interface RetrievalEvidence {
  /** Best raw cosine similarity among the vector hits. */
  topSimilarity: number;
  /** Gap between the best and second-best similarity. */
  margin: number;
  /** The best vector hit's document is also among the top full-text hits. */
  agreement: boolean;
  /** Number of full-text hits at all: zero means no query word occurs in the knowledge base. */
  textHits: number;
}

export interface RetrievalResult {
  candidates: Candidate[];
  evidence: RetrievalEvidence;
  /** In [0, 1]; compared with REFUSAL_THRESHOLD. See `confidenceFrom`. */
  confidence: number;
  timings: { embedMs: number; searchMs: number };
}

export interface RetrieveOptions {
  /** Restrict to these product lines: used when the caller states the line (the widget's data-product-line). */
  productLines?: string[];
  /**
   * Prefer these lines without excluding others: used for a line guessed from keywords, where a wrong
   * guess must not hide the right document. Preferred candidates get their fused score multiplied by 1 + LINE_BOOST.
   */
  preferLines?: string[];
  /** How many candidates each retriever returns before fusion. */
  candidates: number;
  /** How many fused chunks to keep. */
  limit: number;
  /** At most this many chunks from one document, so one long manual cannot crowd out the FAQ. */
  perDocument?: number;
}

const RRF_K = 60;
const AGREEMENT_WINDOW = 5;
const LINE_BOOST = 0.5;

/**
 * Confidence from raw retrieval evidence. The cosine similarity of the best vector hit carries most of
 * the signal (it is an absolute, per-question number); agreement of the two retrievers on the same
 * document adds a little, as does a clear margin. Fused RRF scores are never used here: they depend only
 * on ranks, so every question has a "top" candidate with the same score whether it is relevant or not.
 */
export function confidenceFrom(evidence: RetrievalEvidence): number {
  const bonus = (evidence.agreement ? 0.04 : 0) + Math.min(evidence.margin, 0.05) * 0.4;
  return Math.max(0, Math.min(1, evidence.topSimilarity + bonus));
}

export class HybridRetriever {
  constructor(
    private readonly embedder: Embedder,
    private readonly index: SearchIndex,
  ) {}

  async retrieve(question: string, options: RetrieveOptions): Promise<RetrievalResult> {
    const embedStarted = performance.now();
    const vector = await this.embedder.embedQuery(question);
    const embedMs = performance.now() - embedStarted;

    const filter = options.productLines?.length ? `product_line IN (${options.productLines.map(sqlString).join(', ')})` : undefined;
    const searchStarted = performance.now();
    const [vectorHits, textHits] = await Promise.all([
      this.index.vectorSearch(vector, options.candidates, filter),
      this.index.fullTextSearch(question, options.candidates, filter).catch(() => [] as ScoredChunk[]),
    ]);
    const searchMs = performance.now() - searchStarted;

    const byId = new Map<string, Candidate>();
    vectorHits.forEach((hit, rank) => {
      byId.set(hit.id, { ...hit, vectorScore: hit.score, vectorRank: rank + 1, fusedScore: 1 / (RRF_K + rank + 1) });
    });
    textHits.forEach((hit, rank) => {
      const existing = byId.get(hit.id);
      const contribution = 1 / (RRF_K + rank + 1);
      if (existing) Object.assign(existing, { textScore: hit.score, textRank: rank + 1, fusedScore: existing.fusedScore + contribution });
      else byId.set(hit.id, { ...hit, textScore: hit.score, textRank: rank + 1, fusedScore: contribution });
    });
    const preferred = new Set(options.preferLines ?? []);
    for (const candidate of byId.values()) {
      delete (candidate as Partial<ScoredChunk>).score;
      if (preferred.has(candidate.product_line)) candidate.fusedScore *= 1 + LINE_BOOST;
    }

    const ranked = [...byId.values()].sort((a, b) => b.fusedScore - a.fusedScore);
    const perDocument = options.perDocument ?? 2;
    const countByDoc = new Map<string, number>();
    const candidates: Candidate[] = [];
    for (const candidate of ranked) {
      const count = countByDoc.get(candidate.doc_id) ?? 0;
      if (count >= perDocument) continue;
      countByDoc.set(candidate.doc_id, count + 1);
      candidates.push(candidate);
      if (candidates.length >= options.limit) break;
    }

    const topSimilarity = vectorHits[0]?.score ?? 0;
    const topTextDocs = new Set(textHits.slice(0, AGREEMENT_WINDOW).map((hit) => hit.doc_id));
    const evidence: RetrievalEvidence = {
      topSimilarity,
      margin: vectorHits.length > 1 ? topSimilarity - vectorHits[1].score : topSimilarity,
      agreement: vectorHits.length > 0 && topTextDocs.has(vectorHits[0].doc_id),
      textHits: textHits.length,
    };
    return { candidates, evidence, confidence: confidenceFrom(evidence), timings: { embedMs, searchMs } };
  }
}
