import { dot, type Embedder } from '../embed/embedder.js';
import type { LanguageCode } from '../text/language.js';
import { detectLanguage } from '../text/language.js';
import { joinSentences, splitSentences } from '../text/sentences.js';
import { contentTerms, keyTermCoverage, keyTermWeights } from '../text/terms.js';

export interface ExtractiveSource {
  n: number;
  kind: 'faq' | 'passage';
  lang: string;
  title: string;
  text: string;
  /** For FAQ entries, the stored question and answer. */
  faqQuestion?: string;
  faqAnswer?: string;
  /**
   * Cosine of the question with this chunk in the scoring model's space, when retrieval measured it: a FAQ
   * entry's unit is its whole chunk, so this is the score embedding it again would give.
   */
  similarity?: number;
}

export interface ExtractiveAnswer {
  text: string;
  used: number[];
}

export interface ExtractiveOptions {
  /** The question's language (any ISO 639-1 code): sentences in it are preferred when there are any. */
  lang: LanguageCode;
  /** Embeds question and candidate sentences to score meaning as well as words; without it, words only. */
  embedder?: Embedder;
  maxChars?: number;
  /** Sources considered, best first. */
  window?: number;
}

interface Unit {
  source: ExtractiveSource;
  rank: number;
  /** Text quoted when this unit wins. */
  quote: string;
  /** Text matched against the question. */
  match: string;
  lang: string;
  sentences?: string[];
  sentenceIndex?: number;
}

const SHORT_SENTENCE = { zh: 30, en: 80 };
/**
 * How many candidates (best by key terms) are also scored by meaning: each is a model call of its own, the largest
 * stage of an extractive answer and its tail (bench:ask --scale). 6 gave the same gold-span rates as 12 on the
 * public sets; with the margin gate below and sentences cut at MEANING_MAX_CHARS, 4 gives the same as 6 on every
 * set (2026-12-03, `npm run eval -- --suite ../shared/data`: gold span xquad 65 / 73 %, refusal-set controls
 * 69 / 71 %, zh / en; a relevant document quoted: ECS FAQ 63.7 → 63.9 %, xquad 82.2, refusal set 82.5), while 3
 * loses a query on the refusal set's English controls (71 → 70 %). (Measured while quotes under 0.2 key-term
 * coverage were still declined; see extractiveAnswer.)
 */
const SEMANTIC_SHORTLIST = 4;
/**
 * Characters of a sentence read for meaning: the first 240 (the 95th percentile of the public passages' sentences)
 * say what it is about, and a run-on "sentence" (a table, a list without full stops) costs the model time, not
 * sense. Measured on 10k chunks: extract p99 144 → 73 ms at the same p50; gold-span rates unchanged on xquad
 * (64.7 / 72.7 %), one query fewer of 100 on the refusal set's English controls (71 → 70 %).
 */
const MEANING_MAX_CHARS = 240;
/**
 * Sentences are read for meaning only where words leave the choice open: when the best shortlisted sentence by key
 * terms leads the runner-up by this much of the words' part of the score (0.55 × coverage + rank), the meaning part
 * is not computed (FAQ entries carry their meaning from retrieval, at no cost, and are always compared by it). Measured on the public sets: at 0.1 the sentence embedding is skipped for 60 % of extractive answers
 * and every gold-span rate is unchanged (xquad 64.7 / 72.7 %, refusal-set controls 71 / 70 %); at 0.05 it is
 * skipped for 74 %, still unchanged; at 0.02, 83 % and 1 point lower on three of the four. 0.1 leaves room for
 * knowledge bases worded unlike these.
 */
const MEANING_MARGIN = 0.1;

/**
 * How much retrieval's order counts in choosing the quote: the top source's units get this much more score than
 * none (then 2/3, 1/3 of it). Fused retrieval ranks documents better than one sentence's words and meaning can
 * (ECS FAQ: hit@1 71.5 %, but a relevant document quoted in 63.9 % of answers at 0.04). Measured on the public sets
 * (`npm run eval -- --suite ../shared/data`, 2026-12-03), a relevant document quoted / gold span, at 0.04, 0.1, 0.15,
 * 0.2, 0.3: ECS FAQ 63.9, 65.1, **66.5**, 66.4, 65.6 %; xquad 82.2 / 69.0, 82.5 / 69.2, 82.3 / 69.0, 82.0 / 68.7,
 * 81.8 / 68.8 %; refusal-set controls 82.5 / 70.0, then 83.0 / 70.5 % from 0.1 on. 0.15: the FAQ set's best, the
 * passage sets unchanged or better, in the middle of a range where every set holds. (Measured, like the shortlist,
 * while low-coverage quotes were still declined.)
 */
const RANK_WEIGHT = 0.15;

/**
 * An answer made only of knowledge-base text, cited. Candidate answers are the FAQ answers and every
 * sentence of the top sources; each is scored against the question by its key terms (weighted by rarity
 * among the candidates, so the topic word every source shares counts little) and, with an embedder, by
 * meaning. Text in the customer's language is preferred. Undefined only when the sources hold no text.
 *
 * Whether to answer at all is not decided here but by the answerability threshold, calibrated per knowledge base
 * on evidence that includes the top candidate's key-term coverage. A rule that declined quotes covering under 0.2
 * of the question's key terms was measured against it (2026-12-03, in extractive mode, false refusals / refused
 * unanswerable): on the sample knowledge base's dev set 37.5 / 93.8 % with the rule against 2.9 / 75 % without
 * (paraphrased questions share few words with their answers: the dense retrieval found them, the rule refused
 * them); ECS FAQ 11.7 / 35.5 against 4.0 / 16.0 %; xquad false refusals 15.8 against 5.2 %. At the rule's own
 * false-refusal rate a higher threshold refuses more of the unanswerable questions (dev set: all of them; ECS FAQ
 * 56 / 40 % against the rule's 43 / 30 %, zh / en), and declining only quotes sharing no key term at all still
 * refused 5.8 % of the dev set's answerable questions and none of its unanswerable ones. Without the rule, gold
 * spans quoted on xquad went 69.0 → 74.7 %, relevant documents quoted 82.3 → 91.5 % (ECS FAQ 66.5 → 69.6 %, the dev
 * set 57.7 → 90.4 %). More refusals are bought with `CALIBRATION_FALSE_REFUSAL_TARGET` or `REFUSAL_THRESHOLD`.
 */
export async function extractiveAnswer(question: string, sources: ExtractiveSource[], options: ExtractiveOptions): Promise<ExtractiveAnswer | undefined> {
  const maxChars = options.maxChars ?? 480;
  const units = unitsOf(sources.slice(0, options.window ?? 3));
  if (units.length === 0) return undefined;

  const questionTerms = contentTerms(question);
  const unitTerms = units.map((unit) => contentTerms(`${unit.source.title}\n${unit.match}`));
  const weights = keyTermWeights(questionTerms, unitTerms);
  const coverage = unitTerms.map((terms) => keyTermCoverage(weights, terms));

  const hasOwnLanguage = units.some((unit) => unit.lang === options.lang);
  const languageFactor = (unit: Unit) => (hasOwnLanguage && unit.lang !== options.lang ? 0.75 : 1);
  const withMeaning = Boolean(options.embedder);
  const rankBonus = (unit: Unit) => RANK_WEIGHT * (1 - unit.rank / 3);
  const wordScore = (index: number) => ((withMeaning ? 0.55 : 1) * coverage[index] + rankBonus(units[index])) * languageFactor(units[index]);
  // Embedding every sentence costs more than the rest of the answer: only the best by words are read for meaning.
  const shortlist = units.map((_, index) => index).sort((a, b) => coverage[b] - coverage[a]).slice(0, SEMANTIC_SHORTLIST);
  const [leader, ...others] = [...shortlist].sort((a, b) => wordScore(b) - wordScore(a));
  // A runner-up that says the same thing in nearly the same words (the paragraph repeated in two manuals) is no
  // rival: either quote answers alike.
  const rival = others.find((index) => !sameStatement(unitTerms[leader], unitTerms[index]));
  const wordsDecide = rival === undefined || wordScore(leader) - wordScore(rival) >= MEANING_MARGIN;

  const semantic = units.map(() => 0);
  // FAQ units retrieval already scored are not embedded again; sentences are (the embedder caches them).
  const known = (index: number) => (units[index].sentences ? undefined : units[index].source.similarity);
  const toEmbed = shortlist.filter((index) => known(index) === undefined);
  // The gate is for sentences only, as measured. When FAQ entries (scored by retrieval already) are among the
  // candidates, meaning is always read: "Can I take the band into the pool?" shares more words with a manual's
  // charging sentence than with the FAQ entry about swimming, which only its meaning finds.
  const noneScored = toEmbed.length === shortlist.length;
  if (options.embedder && !(wordsDecide && noneScored)) {
    const [queryVector, unitVectors] = toEmbed.length
      ? await Promise.all([options.embedder.embedQuery(question), options.embedder.embedPassages(toEmbed.map((index) => units[index].match.slice(0, MEANING_MAX_CHARS)))])
      : [undefined, []];
    const cosine = new Map(toEmbed.map((unitIndex, index) => [unitIndex, dot(queryVector!, unitVectors[index])]));
    const cosines = shortlist.map((index) => known(index) ?? cosine.get(index)!);
    const best = Math.max(...cosines);
    shortlist.forEach((unitIndex, index) => (semantic[unitIndex] = best > 0 ? Math.max(0, cosines[index]) / best : 0));
  }
  const scored = units.map((unit, index) => ({ unit, index, score: wordScore(index) + (withMeaning ? 0.45 * semantic[index] * languageFactor(unit) : 0) }));
  const best = scored.reduce((top, entry) => (entry.score > top.score ? entry : top), scored[0]);
  const unit = best.unit;

  let text = unit.quote;
  if (unit.sentences && unit.sentenceIndex !== undefined) {
    // A short sentence rarely stands alone ("Yes." / "It depends."): quote the next one too.
    const parts = [unit.sentences[unit.sentenceIndex]];
    const next = unit.sentences[unit.sentenceIndex + 1];
    // Or the next one holds key terms of the question this one lacks: "Does parking mode drain my car battery?"
    // matches "Parking mode records when…" by its topic, and the battery is in the sentence after it.
    const completes = next !== undefined && addsKeyTerms(weights, unitTerms[best.index], contentTerms(next));
    if (next && (parts[0].length < SHORT_SENTENCE[unit.lang === 'zh' ? 'zh' : 'en'] || completes) && parts[0].length + next.length <= maxChars) parts.push(next);
    text = joinSentences(parts);
  }
  if (text.length > maxChars) text = `${text.slice(0, maxChars)}…`;
  return { text: `${text} [${unit.source.n}]`, used: [unit.source.n] };
}

/**
 * Whether `following` holds question terms that `chosen` lacks, weighing at least 0.2 of what `chosen` matched
 * (terms no candidate holds, "drain", count for neither): then the chosen sentence introduces the topic and the
 * following one carries the rest of the answer. (In the sample knowledge base's parking-mode example "battery" weighs
 * 0.24 of "parking mode car": other candidates mention batteries too.)
 */
function addsKeyTerms(weights: Map<string, number>, chosen: Set<string>, following: Set<string>): boolean {
  let found = 0;
  let added = 0;
  for (const [term, weight] of weights) {
    if (chosen.has(term)) found += weight;
    else if (following.has(term)) added += weight;
  }
  return added > 0 && added >= 0.2 * found;
}

/** Two term sets that overlap by 70 % or more (Jaccard): one statement, lightly reworded. */
function sameStatement(a: Set<string>, b: Set<string>): boolean {
  let shared = 0;
  for (const term of a) if (b.has(term)) shared++;
  const union = a.size + b.size - shared;
  return union > 0 && shared / union >= 0.7;
}

/** A FAQ entry is one unit (its whole answer); a passage gives one unit per sentence. */
function unitsOf(sources: ExtractiveSource[]): Unit[] {
  const units: Unit[] = [];
  sources.forEach((source, rank) => {
    if (source.kind === 'faq' && source.faqAnswer) {
      units.push({ source, rank, quote: formatFaq(source), match: `${source.faqQuestion ?? ''}\n${source.faqAnswer}`, lang: source.lang });
      return;
    }
    const sentences = splitSentences(source.text).slice(0, 60);
    sentences.forEach((sentence, sentenceIndex) => units.push({ source, rank, quote: sentence, match: sentence, lang: source.lang, sentences, sentenceIndex }));
  });
  return units;
}

/** A quoted FAQ answer shows the question it answers, so the customer sees what was matched. */
function formatFaq(source: ExtractiveSource): string {
  if (!source.faqQuestion) return source.faqAnswer!;
  const lang = detectLanguage(source.faqQuestion);
  return lang === 'zh' ? `（常见问题：${source.faqQuestion}）\n${source.faqAnswer}` : `(FAQ: ${source.faqQuestion})\n${source.faqAnswer}`;
}
