import { chunkTerms, contentTerms, keyTermCoverage, keyTermWeights, termCoverage } from '../text/terms.js';
import type { Language } from '../text/language.js';
import type { Candidate, RankedList } from './fusion.js';

/**
 * Evidence that the knowledge base answers a question, read from retrieval. Each is a weak signal alone
 * (top cosine, top BM25, retriever agreement…); the answerability model combines them. Every feature is
 * scaled so that it means roughly the same on any knowledge base: no raw BM25 sums, no corpus sizes.
 */
export interface Evidence {
  /** Best cosine similarity in the question language's main vector space. */
  dense: number;
  /** Best cosine minus the mean of ranks 2–10: how clearly one chunk stands out. */
  denseGap: number;
  /**
   * Best cosine minus the question's background: the mean cosine of ranks 11–40 (of ranks 2 on in a small table).
   * A multilingual model puts an Arabic question's cosines lower against English text than a Spanish one's, all of
   * them; the lift above the question's own background cancels that shift (used by the cross-lingual model).
   */
  denseLift: number;
  /** BM25 top score in standard deviations above the mean of the BM25 hits (0 without hits). */
  lexicalZ: number;
  /** BM25 top score per content term of the question: a length-free "how much of the question matched". */
  lexicalPerTerm: number;
  /** Whether full-text search found anything at all. */
  lexicalFound: number;
  /** Mean reciprocal rank of the top fused chunk in the dense and lexical lists (1 = both ranked it first). */
  agreement: number;
  /** Share of the question's content terms found in the top fused chunk (title, headings, text). */
  coverage: number;
  /** The best such share among the top 3 chunks. */
  coverageTop3: number;
  /** Like coverage, with terms weighted by rarity among all candidates: are the question's key terms there? */
  keyCoverage: number;
  /** log(1 + number of content terms in the question). */
  questionTerms: number;
  /** Reranker relevance of the top chunk, when a reranker ran (not used by the fitted model). */
  rerank?: number;
}

export const EVIDENCE_FEATURES = ['dense', 'denseGap', 'lexicalZ', 'lexicalPerTerm', 'lexicalFound', 'agreement', 'coverage', 'coverageTop3', 'keyCoverage', 'questionTerms'] as const;
export type EvidenceFeature = (typeof EVIDENCE_FEATURES)[number];
/** Features a fitted model may read: the zh/en models' and the cross-lingual model's (answerability.ts). */
export const MODEL_FEATURES = [...EVIDENCE_FEATURES, 'denseLift'] as const;
export type ModelFeature = (typeof MODEL_FEATURES)[number];

/** The dense list that speaks for a language: its own space when there is one, else the primary, else the one searched (multilingual). */
function mainDenseList(lists: RankedList[], lang: Language): RankedList | undefined {
  return lists.find((list) => list.source === `dense:vector_${lang}`) ?? lists.find((list) => list.source === 'dense:vector') ?? lists.find((list) => list.source.startsWith('dense:'));
}

/** Fewer hits beyond rank 10 than this (a table of a few dozen chunks) and the background is ranks 2 on. */
const MIN_BACKGROUND = 5;

export function gatherEvidence(question: string, lang: Language, lists: RankedList[], ranked: Candidate[]): Evidence {
  const dense = mainDenseList(lists, lang)?.hits ?? [];
  const lexical = lists.find((list) => list.source === 'lexical')?.hits ?? [];
  const terms = contentTerms(question);
  const top = ranked[0];

  const denseTop = dense[0]?.score ?? 0;
  const rest = dense.slice(1, 10).map((hit) => hit.score);
  const denseGap = rest.length ? denseTop - rest.reduce((sum, value) => sum + value, 0) / rest.length : 0;
  const far = dense.slice(10, 40).map((hit) => hit.score);
  const background = far.length >= MIN_BACKGROUND ? far : dense.slice(1, 40).map((hit) => hit.score);
  const denseLift = background.length ? denseTop - background.reduce((sum, value) => sum + value, 0) / background.length : 0;

  let lexicalZ = 0;
  if (lexical.length > 1) {
    const scores = lexical.map((hit) => hit.score);
    const mean = scores.reduce((sum, value) => sum + value, 0) / scores.length;
    const deviation = Math.sqrt(scores.reduce((sum, value) => sum + (value - mean) ** 2, 0) / scores.length);
    lexicalZ = deviation > 1e-9 ? (scores[0] - mean) / deviation : 0;
  }

  const reciprocal = (rank: number | undefined) => (rank ? 1 / rank : 0);
  const denseSource = mainDenseList(lists, lang)?.source;
  const agreement = top ? (reciprocal(denseSource ? top.ranks[denseSource] : undefined) + reciprocal(top.ranks.lexical)) / 2 : 0;
  const chunkText = (candidate: Candidate) => `${candidate.title}\n${candidate.headingPath}\n${candidate.text}`;
  const candidateTerms = ranked.slice(0, 40).map((candidate) => chunkTerms(chunkText(candidate)));
  const coverages = candidateTerms.slice(0, 3).map((chunkTerms) => termCoverage(terms, chunkTerms));
  const keyCoverage = candidateTerms.length ? keyTermCoverage(keyTermWeights(terms, candidateTerms), candidateTerms[0]) : 0;

  return {
    dense: denseTop,
    denseGap,
    denseLift,
    lexicalZ,
    lexicalPerTerm: lexical.length ? lexical[0].score / Math.max(1, terms.size) : 0,
    lexicalFound: lexical.length ? 1 : 0,
    agreement,
    coverage: coverages[0] ?? 0,
    coverageTop3: coverages.length ? Math.max(...coverages) : 0,
    keyCoverage,
    questionTerms: Math.log1p(terms.size),
    rerank: top?.rerankScore,
  };
}
