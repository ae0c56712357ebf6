import type { HitChunk, ScoredChunk } from '../store/knowledge-store.js';
import type { ListSource } from './tuning.js';

/** One retriever's hits, best first, with its raw scores (cosine similarity or BM25). */
export interface RankedList {
  source: ListSource;
  hits: ScoredChunk[];
  /** The chunk languages this list can return at all (a language space); undefined: every language. */
  languages?: readonly string[];
}

export interface Candidate extends HitChunk {
  /** Raw score and 1-based rank in each list that returned this chunk. */
  scores: Partial<Record<ListSource, number>>;
  ranks: Partial<Record<ListSource, number>>;
  /** Weighted sum of normalised scores: orders candidates. Never thresholded; answerability does that. */
  fusedScore: number;
  /** Set by a reranker. */
  rerankScore?: number;
}

/**
 * Normalises a list's scores to "standard deviations above its worst hit": (score − min) / σ. Cosine
 * similarities and BM25 scores live on different scales that also move from question to question; this
 * puts them on one. A chunk a list did not return gets 0 from it, i.e. no better than its worst hit.
 */
export function normalizeScores(hits: readonly { score: number }[]): number[] {
  if (hits.length === 0) return [];
  const scores = hits.map((hit) => hit.score);
  const mean = scores.reduce((sum, value) => sum + value, 0) / scores.length;
  const deviation = Math.sqrt(scores.reduce((sum, value) => sum + (value - mean) ** 2, 0) / scores.length);
  const min = Math.min(...scores);
  // One hit, or all equal: every hit is "the best", worth one deviation.
  if (deviation < 1e-9) return scores.map(() => 1);
  return scores.map((score) => (score - min) / deviation);
}

/**
 * Score-aware fusion: Σ weight × normalised score over the lists. Unlike reciprocal-rank fusion, a list
 * whose top hit stands far above the rest outweighs a list whose hits are all alike, so the stronger
 * retriever for this question leads instead of being averaged away.
 *
 * A chunk that a language space cannot hold (a Chinese chunk, for the English model) is not "below its
 * worst hit" there: that space's weight moves to the primary dense list for it, so every chunk's dense
 * side weighs the same and a Chinese answer can still win an English question.
 */
export function fuseLists(lists: RankedList[], weights: Partial<Record<ListSource, number>>): Candidate[] {
  const byId = new Map<string, Candidate>();
  const normalizedBySource = new Map<ListSource, Map<string, number>>();
  for (const list of lists) {
    const normalized = normalizeScores(list.hits);
    const byChunk = new Map<string, number>();
    normalizedBySource.set(list.source, byChunk);
    list.hits.forEach((hit, index) => {
      let candidate = byId.get(hit.id);
      if (!candidate) {
        const { score: _score, ...chunk } = hit;
        candidate = { ...chunk, scores: {}, ranks: {}, fusedScore: 0 };
        byId.set(hit.id, candidate);
      }
      if (candidate.ranks[list.source] !== undefined) return;
      candidate.scores[list.source] = hit.score;
      candidate.ranks[list.source] = index + 1;
      byChunk.set(hit.id, normalized[index]);
    });
  }
  for (const candidate of byId.values()) {
    for (const list of lists) {
      let weight = weights[list.source] ?? 0;
      if (list.source === 'dense:vector') {
        for (const other of lists) if (other.languages && !other.languages.includes(candidate.lang)) weight += weights[other.source] ?? 0;
      } else if (list.languages && !list.languages.includes(candidate.lang)) continue;
      candidate.fusedScore += weight * (normalizedBySource.get(list.source)!.get(candidate.id) ?? 0);
    }
  }
  return [...byId.values()].sort((a, b) => b.fusedScore - a.fusedScore);
}

/** Multiplies the fused score of chunks in `lines` by 1 + boost and re-sorts. */
export function boostLines(candidates: Candidate[], lines: string[], boost: number): Candidate[] {
  if (!lines.length || !boost) return candidates;
  const preferred = new Set(lines);
  return candidates.map((candidate) => (preferred.has(candidate.productLine) ? { ...candidate, fusedScore: candidate.fusedScore * (1 + boost) } : candidate)).sort((a, b) => b.fusedScore - a.fusedScore);
}

/** Keeps at most `perDocument` chunks of one document and `limit` in all, in order. */
export function capPerDocument<T extends { docId: string }>(ranked: T[], perDocument: number, limit: number): T[] {
  const countByDoc = new Map<string, number>();
  const kept: T[] = [];
  for (const candidate of ranked) {
    const count = countByDoc.get(candidate.docId) ?? 0;
    if (count >= perDocument) continue;
    countByDoc.set(candidate.docId, count + 1);
    kept.push(candidate);
    if (kept.length >= limit) break;
  }
  return kept;
}
