/**
 * The answer path as named stages over one typed context: scope → retrieve → rerank → decide → select →
 * (extract | ground → generate → verify). The service and `npm run eval` run these same functions, so
 * what eval measures is what customers get. Each stage is a small pure-ish function, unit-tested with fakes.
 */
import { type ProductLineClassifier, UNKNOWN_LINE } from '../classify/product-lines.js';
import type { Candidate, RankedList } from '../retrieve/fusion.js';
import type { ListSource } from '../retrieve/tuning.js';
import { capPerDocument } from '../retrieve/fusion.js';
import { type Evidence, gatherEvidence } from '../retrieve/evidence.js';
import type { HybridRetriever, RetrievalTimings } from '../retrieve/hybrid-retriever.js';
import type { Reranker } from '../retrieve/reranker.js';
import type { Language, LanguageCode } from '../text/language.js';
import { isInternal } from '../store/audiences.js';
import { MULTILINGUAL_COLUMN } from '../embed/embedding-spaces.js';
import { type AnswerabilityModel, answerability } from './answerability.js';
import type { EmbeddingSpaces } from '../embed/embedding-spaces.js';
import { type ExtractiveAnswer, type ExtractiveSource, extractiveAnswer } from './extractive.js';
import { suggestionLabels } from './suggestion-labels.js';

export interface Scope {
  /** The line the answer is about: stated by the caller, guessed from the question, or "unknown". */
  productLine: string;
  /** True when the caller stated the line: retrieval is then filtered to it (and general). */
  stated: boolean;
  /** Lines to filter to (stated) or to prefer (guessed). */
  lines: string[];
}

/** Stage 1. A stated line filters; a guessed one only boosts, because a wrong guess must not hide the answer. */
export function scopeQuestion(classifier: ProductLineClassifier | undefined, question: string, stated?: string, context?: string): Scope {
  const productLine = stated ?? (classifier ? classifier.classify(context ? `${context}\n${question}` : question).productLine : UNKNOWN_LINE);
  const lines = productLine === UNKNOWN_LINE || !classifier ? [] : [productLine, classifier.rules.general.id];
  return { productLine, stated: Boolean(stated), lines };
}

export interface Retrieved {
  question: string;
  lists: RankedList[];
  ranked: Candidate[];
  timings: RetrievalTimings;
}

/** Stage 2: vector and full-text search, fused (see HybridRetriever). */
export async function retrieveStage(retriever: HybridRetriever, question: string, lang: LanguageCode, scope: Scope, audiences?: readonly string[]): Promise<Retrieved> {
  const result = await retriever.retrieve(question, { lang, audiences, ...(scope.stated ? { productLines: scope.lines } : { preferLines: scope.lines }) });
  return { question, lists: result.lists, ranked: result.candidates, timings: result.timings };
}

/** What the reranker and extractive answers read of a chunk: its title, headings and text. */
export const chunkDocument = (candidate: Candidate) => [candidate.title, candidate.headingPath, candidate.text].filter(Boolean).join('\n');

/**
 * Stage 3: reorder the top `topN` by a cross-encoder when one is configured. On any failure the fused
 * order stands and the error is returned for metrics: a reranker outage must not fail answers.
 */
export async function rerankStage(
  reranker: Reranker | undefined,
  retrieved: Retrieved,
  topN: number,
  signal?: AbortSignal,
): Promise<{ ranked: Candidate[]; reranked: boolean; error?: Error }> {
  if (!reranker || retrieved.ranked.length === 0) return { ranked: retrieved.ranked, reranked: false };
  const head = retrieved.ranked.slice(0, topN);
  try {
    const scores = await reranker.rerank(retrieved.question, head.map(chunkDocument), signal);
    const rescored = head.map((candidate, index) => ({ ...candidate, rerankScore: scores[index] })).sort((a, b) => b.rerankScore - a.rerankScore);
    return { ranked: [...rescored, ...retrieved.ranked.slice(topN)], reranked: true };
  } catch (error) {
    if (signal?.aborted) throw error;
    return { ranked: retrieved.ranked, reranked: false, error: error as Error };
  }
}

/**
 * Two cuts on answerability. Below `refuse` the knowledge base clearly does not answer: refuse with the handoff,
 * no model call. From `answer` up it confidently does: answer. Between them is the middle band, where the
 * evidence cannot tell (an in-domain question whose answer is missing retrieves its neighbours as strongly as an
 * answerable paraphrase does): the model judges the sources, or, without one, the customer picks from suggestions.
 * `refuse === answer` is the old single cut.
 */
export interface Band {
  refuse: number;
  answer: number;
}

export type Outcome = 'answer' | 'uncertain' | 'refuse';

/** A single threshold is a band with no middle. */
export const asBand = (threshold: number | Band): Band => (typeof threshold === 'number' ? { refuse: threshold, answer: threshold } : { refuse: threshold.refuse, answer: Math.max(threshold.refuse, threshold.answer) });

export function outcomeOf(answerability: number, band: Band): Outcome {
  if (answerability < band.refuse) return 'refuse';
  return answerability < band.answer ? 'uncertain' : 'answer';
}

export interface Decision {
  evidence: Evidence;
  /** P(the knowledge base answers the question), from the answerability model. */
  answerability: number;
  /** The refusal cut (below it: refused outright). */
  threshold: number;
  band: Band;
  outcome: Outcome;
  /** Confidently answerable (outcome "answer"). */
  answer: boolean;
}

/**
 * With an answerability model that has no cross-lingual model (a file from before it): the multilingual model's
 * cosine below which a question in another language is refused. multilingual-e5 puts unrelated text near 0.75–0.8;
 * this cut refused 26–53 % of xquad-multilingual's answerable questions (docs/evaluation.md "Other languages").
 */
export const CROSS_LINGUAL_DEFAULT_THRESHOLD = 0.8;

/** Stage 4: answer, refuse, or the middle band, from the evidence and the band in force. Never calls the LLM. */
export function decideStage(question: string, lang: Language, lists: RankedList[], ranked: Candidate[], threshold: number | Band, model?: AnswerabilityModel): Decision {
  const band = asBand(threshold);
  const evidence = gatherEvidence(question, lang, lists, ranked);
  // A question searched in the multilingual space (a language the knowledge base is not written in): the zh/en
  // models read word overlap with the chunks, which a Spanish question against English text does not have
  // (measured: 98 % of answerable Spanish and German questions refused). It is decided by the cross-lingual model,
  // which reads that space's cosines only (answerability.ts "other"), against the band calibrated for it.
  const crossLingual = lists.some((list) => list.source === `dense:${MULTILINGUAL_COLUMN}`);
  const probability = !ranked.length ? 0 : answerability(evidence, crossLingual ? 'other' : lang, model);
  const outcome = ranked.length ? outcomeOf(probability, band) : 'refuse';
  return { evidence, answerability: probability, threshold: band.refuse, band, outcome, answer: outcome === 'answer' };
}

/**
 * Retrieval as if `docIds` were not in the knowledge base: every list and the fused ranking without their chunks.
 * How the eval makes an unanswerable twin of an answerable question, and calibration an in-domain unanswerable
 * probe (a FAQ entry's question asked of the rest), without ingesting anything again. (Full-text statistics still
 * include the removed documents: a small difference against a real removal.)
 */
export function withoutDocuments<T extends { lists: RankedList[]; ranked: Candidate[] }>(retrieved: T, docIds: ReadonlySet<string>): T {
  return {
    ...retrieved,
    lists: retrieved.lists.map((list) => ({ ...list, hits: list.hits.filter((hit) => !docIds.has(hit.docId)) })),
    ranked: retrieved.ranked.filter((candidate) => !docIds.has(candidate.docId)),
  };
}

export interface Suggestion {
  /** What the customer can pick and ask: a FAQ entry's question, or a section title. */
  text: string;
  docId: string;
  chunkId: string;
  title: string;
  kind: 'faq' | 'passage';
  /** From a document limited to audiences: only an agent-assist key gets such a suggestion, marked. */
  internal?: true;
}

/**
 * Whether two suggestions say the same thing ("怎么申请退货？" and the returns policy's "如何办理退货"): then only
 * the first is offered. Undefined: only identical texts are.
 */
export type SameMeaning = (a: Pooled, b: Pooled) => boolean;

/**
 * A candidate suggestion: `own` in the question's language, `meaning` its dense score, `asks` its label without the
 * document's subject, `content` what it answers with.
 */
export type Pooled = Suggestion & { own: boolean; meaning?: number; asks: string; content: string };

/**
 * The middle band's candidates for suggestions, one per document from the top `depth` of the ranking, in ranking
 * order, each under the first of its labels (suggestion-labels.ts) that no earlier one took; `own` marks those in
 * the question's language.
 */
export function suggestionPool(ranked: Candidate[], lang: Language, depth = 12): Pooled[] {
  const pool: Pooled[] = [];
  const meaningSource = meaningList(ranked.slice(0, depth), lang);
  const seenDocs = new Set<string>();
  const seenTexts = new Set<string>();
  for (const candidate of ranked.slice(0, depth)) {
    if (seenDocs.has(candidate.docId)) continue;
    const label = suggestionLabels(candidate).find((option) => !seenTexts.has(option.text));
    if (!label) continue;
    const { text, asks } = label;
    seenDocs.add(candidate.docId);
    seenTexts.add(text);
    pool.push({
      text: text.length > 200 ? `${text.slice(0, 200)}…` : text,
      docId: candidate.docId,
      chunkId: candidate.id,
      title: candidate.title,
      kind: candidate.kind,
      ...(isInternal(candidate.audiences) ? { internal: true as const } : {}),
      own: candidate.lang === lang,
      meaning: meaningSource ? candidate.scores[meaningSource] : undefined,
      asks,
      content: candidate.kind === 'faq' ? (candidate.metadata.answer ?? candidate.text) : candidate.text,
    });
  }
  return pool;
}

/**
 * The middle band without a model: the best `limit` questions the knowledge base can answer, near this one, for
 * the customer to pick ("did you mean"), each a question that can be asked as it stands (suggestion-labels.ts).
 * One per document, in the question's language first, from the top of the ranking; one that says the same as an
 * earlier one (`same`) is left out for the next.
 */
export function suggestStage(ranked: Candidate[], lang: Language, limit = 3, depth = 12, same?: SameMeaning): Suggestion[] {
  return chooseSuggestions(suggestionPool(ranked, lang, depth), limit, same);
}

/** The `limit` suggestions of a pool (suggestionPool), none saying the same as another. */
export function chooseSuggestions(pool: Pooled[], limit = 3, same?: SameMeaning): Suggestion[] {
  const repeats = (entry: Pooled, chosen: Pooled[]) => Boolean(same) && chosen.some((earlier) => same!(earlier, entry));
  // In the customer's language first; the other language only to fill up (a bilingual FAQ has both).
  const ordered = [...pool.filter((entry) => entry.own), ...pool.filter((entry) => !entry.own)];
  const chosen: Pooled[] = [];
  for (const entry of ordered) if (chosen.length < limit && !repeats(entry, chosen)) chosen.push(entry);
  // The last line goes to the closest in meaning that the ranking left out, in the customer's language. The fused
  // ranking's third is often a sibling entry that shares the question's words; the dense cosine finds the paraphrase.
  // Chosen on the passage sets, judged on the ECS FAQ: docs/evaluation.md ("Suggestions: the last line by meaning").
  if (limit > 1 && chosen.length === limit) {
    const kept = chosen.slice(0, limit - 1);
    const closest = ordered.filter((entry) => entry.own && entry.meaning !== undefined && !kept.includes(entry) && !repeats(entry, kept)).sort((a, b) => b.meaning! - a.meaning!)[0];
    if (closest) chosen[limit - 1] = closest;
  }
  return chosen.map(({ own: _own, meaning: _meaning, asks: _asks, content: _content, ...suggestion }) => suggestion);
}

/** The dense list that scores meaning in the question's language (as evidence.ts reads it); none for a question searched only in the multilingual space. */
function meaningList(candidates: Candidate[], lang: Language): ListSource | undefined {
  return ([`dense:vector_${lang}`, 'dense:vector'] as ListSource[]).find((source) => candidates.some((candidate) => candidate.scores[source] !== undefined));
}

/** Stage 5: the sources shown and given to the model: at most `perDocument` chunks of one document. */
export function selectSources(ranked: Candidate[], perDocument: number, limit: number): Candidate[] {
  return capPerDocument(ranked, perDocument, limit);
}

/**
 * Stage "extract" input: the selected sources as extractive answers read them. `scoringColumn` is the vector
 * column of the model that scores sentences; a chunk's retrieval score in it is reused rather than recomputed.
 */
function extractiveSources(selected: Candidate[], scoringColumn?: string): ExtractiveSource[] {
  return selected.map((candidate, index) => {
    const faq = candidate.kind === 'faq' ? candidate.metadata : {};
    const similarity = scoringColumn ? candidate.scores[`dense:${scoringColumn}`] : undefined;
    return { n: index + 1, kind: candidate.kind, lang: candidate.lang, title: candidate.title, text: candidate.text, faqQuestion: faq.question, faqAnswer: faq.answer, similarity };
  });
}

/**
 * Stage "extract": a cited quote from the selected sources, sentences scored for meaning by the question
 * language's own model (the last space covering it). Undefined only when the sources hold no text.
 */
export function extractStage(question: string, lang: LanguageCode, selected: Candidate[], embedders: EmbeddingSpaces): Promise<ExtractiveAnswer | undefined> {
  const scoring = embedders.covering(lang).at(-1);
  return extractiveAnswer(question, extractiveSources(selected, scoring?.column), { lang, embedder: scoring?.embedder });
}
