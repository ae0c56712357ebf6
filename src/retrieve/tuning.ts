import { isKbLanguage, type Language, type LanguageCode } from '../text/language.js';

/** Where a ranked list came from: a vector column ("dense:vector", "dense:vector_en") or full-text search. */
export type ListSource = `dense:${string}` | 'lexical';

/**
 * Every tuning number of retrieval in one place, so `npm run eval` can vary them. The defaults were chosen
 * on the public dev sets (README "Retrieval"): each was the best setting that kept hybrid hit@1 at or
 * above both vector-only and full-text-only on every set, in both languages.
 */
export interface RetrievalTuning {
  /** Candidates each retriever returns before fusion; z-scores are taken over this many hits. */
  candidates: number;
  /**
   * Fusion weight per list, per question language ("other": every language the knowledge base is not written in).
   * A list without a weight is neither searched nor fused.
   */
  weights: Record<Language | 'other', Partial<Record<ListSource, number>>>;
  /** Fused score × (1 + lineBoost) for chunks of a product line guessed from the question. */
  lineBoost: number;
  /** At most this many chunks of one document among the sources. */
  perDocument: number;
  /**
   * When at least this share of the table is in the question's language and that language has its own space,
   * the question is searched in its own space alone: the primary space's weight moves to it, saving a model call
   * and a vector search. Below it (an English question on a mostly Chinese knowledge base) the primary space is
   * the only dense path to answers written in the other language, and is searched too.
   */
  ownSpaceAloneShare: number;
  /**
   * A question in another language: a passage's multilingual score gains this much of its translation's score
   * (translation-agreement.ts); 0 turns it off.
   */
  translationAgreement: number;
  /**
   * A question in another language: the head of the fused ranking re-read sentence by sentence in the multilingual
   * space (sentence-match.ts); `chunks: 0` turns it off.
   */
  sentenceMatch: SentenceMatchTuning;
}

/** How the head of a multilingual ranking is re-read sentence by sentence (sentence-match.ts). */
export interface SentenceMatchTuning {
  /** The first this many fused candidates are re-read; 0 turns it off. */
  chunks: number;
  /** Fused score + weight × the best sentence's cosine, normalised over those candidates as fusion does. */
  weight: number;
  /**
   * At most this many distinct sentences are embedded per question, taken in turn from each candidate (its first
   * sentence, then every candidate's second, …), so one long passage cannot take the whole call.
   */
  maxSentences: number;
  /**
   * After this many milliseconds the fused order stands, as when the embedding fails (SENTENCE_MATCH_TIMEOUT_MS);
   * 0 or absent: no budget.
   */
  timeoutMs?: number;
}

/** Measured on ../shared/data/xquad-multilingual (docs/operations.md "Languages"). */
const OTHER_LEXICAL_WEIGHT = 0.3;

export const DEFAULT_TUNING: RetrievalTuning = Object.freeze({
  candidates: 40,
  weights: {
    // English: the English model carries the dense side; the primary (Chinese) model adds a little and is the
    // only dense path to Chinese-only answers (but see ownSpaceAloneShare). Full-text search weighs as much as the dense side.
    en: { 'dense:vector_en': 0.85, 'dense:vector': 0.15, lexical: 1 },
    zh: { 'dense:vector': 1, lexical: 1 },
    // Any other language: the multilingual model carries it (docs/operations.md "Languages": it finds the passage across
    // languages where full-text search cannot); full-text search still matches product names, model numbers and
    // words shared with English. Without a multilingual space the weight falls to the primary (Chinese) model.
    other: { 'dense:vector_multi': 1, lexical: OTHER_LEXICAL_WEIGHT },
  },
  lineBoost: 0.5,
  perDocument: 2,
  // Only a table almost all in the question's language. Measured with 0.4 on tables about half English: on the
  // public sets English questions in the English space alone changed no hit@1 and found no fewer answers in the
  // other language (xL@10 ECS 11.2 %, xquad 34.3 %, both ways), ECS en hit@5 89.9 → 90.4 but hit@10 94.7 → 93.9;
  // on the sample knowledge base one English dev query of 52 (hit@1 88.5 → 86.5) and one first turn of 32 in the
  // conversations lost their answer. Quality first: a bilingual table keeps both spaces, an English-only one
  // saves the second model call and vector search (bench:ask). On a Chinese-only table the English space is
  // empty and the primary finds the answers (test/integration/answer-quality.test.ts).
  ownSpaceAloneShare: 0.9,
  // Measured on xquad-multilingual at the document level before it was built (docs/evaluation.md "Other languages").
  translationAgreement: 0.5,
  // Chosen leave one language out on xquad-multilingual (docs/evaluation.md "Other languages: the sentence that
  // answers"): with 5 candidates, weight 1 was every fold's choice among 0.5 / 1 / 2; 8–10 candidates gained no more
  // held out and embed twice the sentences. At most 60 sentences: xquad-multilingual's chunks hold 4.4 on average
  // (22 per question) and 12 at most, so its five longest chunks together hold 53 and no question there is cut
  // (the eval's figures cannot move); without it, 5 candidates × 60 sentences each could be one call of 300.
  sentenceMatch: { chunks: 5, weight: 1, maxSentences: 60 },
});

/**
 * Weights for a question language given the lists that exist: when a table has no English space, its
 * weight moves to the primary dense list, so an older table still gets a full dense side. `languageShare` is
 * the share of the table's rows in the question's language (see ownSpaceAloneShare).
 */
export function weightsFor(tuning: RetrievalTuning, lang: LanguageCode, available: Set<ListSource>, languageShare = 0): Partial<Record<ListSource, number>> {
  const weights: Partial<Record<ListSource, number>> = {};
  let orphaned = 0;
  for (const [source, weight] of Object.entries(tuning.weights[isKbLanguage(lang) ? lang : 'other'] ?? tuning.weights.en) as [ListSource, number][]) {
    if (available.has(source)) weights[source] = (weights[source] ?? 0) + weight;
    else if (source.startsWith('dense:')) orphaned += weight;
  }
  if (orphaned && available.has('dense:vector')) weights['dense:vector'] = (weights['dense:vector'] ?? 0) + orphaned;
  const own: ListSource = `dense:vector_${lang}`;
  if (weights[own] !== undefined && weights['dense:vector'] !== undefined && languageShare >= tuning.ownSpaceAloneShare) {
    weights[own] += weights['dense:vector'];
    delete weights['dense:vector'];
  }
  return weights;
}
