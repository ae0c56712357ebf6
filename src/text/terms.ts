import { LruCache } from '../lru-cache.js';

// Words that carry no topic: question words, auxiliaries, pronouns. Kept short on purpose; a longer list
// starts removing words that matter in support questions ("not", "after", "before").
export const ENGLISH_STOPWORDS: ReadonlySet<string> = new Set(
  ('a an the and or of to in on at for with by from as is are was were be been being do does did done can could should would will shall may might must ' +
    'i me my we our you your he she it its they them their this that these those there here what which who whom whose when where why how ' +
    'if then than so such about into onto over under up down out off any some all each every no yes please tell know want need get got have has had ' +
    'am im ive dont doesnt cant isnt arent wasnt much many more most also just only very too way ways').split(' '),
);
// Function characters (的了吗呢…, and those of question phrases: 怎么, 如何, 什么…): no bigram with one is a term.
export const CHINESE_FUNCTION_CHARS: ReadonlySet<string> = new Set('的了吗呢吧啊呀么是在有和与或及就都也还把被让给对从到为以于之其这那哪个些我你您他她它们请问怎如何什样能可否会要想用没不'.split(''));

const LATIN_WORD = /[a-z0-9][a-z0-9_.-]*[a-z0-9]|[a-z0-9]/g;
const HAN_RUN = /[\u3400-\u9fff]+/g;

/**
 * Content terms of a text for matching: lower-cased, lightly stemmed Latin words (no stopwords) and Han
 * bigrams without function characters. Bigrams need no dictionary, which keeps this offline and fast.
 * It runs on 40 chunks per answer, so it is written for speed (37 → 23 µs per public-corpus text, same terms):
 * no whitespace folding (the patterns skip spaces anyway), each character looked up once.
 */
export function contentTerms(text: string): Set<string> {
  const normalized = text.normalize('NFKC').toLowerCase();
  const terms = new Set<string>();
  for (const [word] of normalized.matchAll(LATIN_WORD)) {
    if (word.length >= 2) {
      if (!ENGLISH_STOPWORDS.has(word)) terms.add(stem(word));
    } else if (word >= '0' && word <= '9') terms.add(word);
  }
  for (const [run] of normalized.matchAll(HAN_RUN)) {
    if (run.length === 1 && !CHINESE_FUNCTION_CHARS.has(run)) terms.add(run);
    // A bigram with a function character is mostly a seam between two words (仪用, 大的): noise, not a term.
    let previous = run[0];
    let previousIsFunction = CHINESE_FUNCTION_CHARS.has(previous);
    for (let index = 1; index < run.length; index++) {
      const current = run[index];
      const currentIsFunction = CHINESE_FUNCTION_CHARS.has(current);
      if (!previousIsFunction && !currentIsFunction) terms.add(previous + current);
      previous = current;
      previousIsFunction = currentIsFunction;
    }
  }
  return terms;
}

/**
 * Content terms of a retrieved chunk's text, remembered by the text: the same chunks come back question after
 * question, and the evidence of every answer reads 40 of them (profiled at 10k chunks: 1.6 ms of main-thread
 * time per answer, the largest after the searches). An entry holds a chunk's 50–150 terms: some kilobytes (estimated, not measured). The set is shared: do not change it.
 */
const chunkTermsCache = new LruCache<string, Set<string>>(2048);
export function chunkTerms(text: string): Set<string> {
  let terms = chunkTermsCache.get(text);
  if (!terms) chunkTermsCache.set(text, (terms = contentTerms(text)));
  return terms;
}

/** A light English stemmer: "lasts", "lasted", "lasting" → "last". Enough for term matching, no dictionary. */
export function stem(word: string): string {
  if (word.length <= 4 || /\d/.test(word)) return word;
  if (word.endsWith('ies')) return `${word.slice(0, -3)}y`;
  if (word.endsWith('ing') && word.length > 5) return word.slice(0, -3);
  if (word.endsWith('ed')) return word.slice(0, -2);
  if (word.endsWith('es') && /(ss|x|ch|sh)es$/.test(word)) return word.slice(0, -2);
  if (word.endsWith('s') && !word.endsWith('ss')) return word.slice(0, -1);
  return word;
}

/** Share of `question` terms that occur in `text` (1 when the question has no content terms). */
export function termCoverage(questionTerms: Set<string>, text: string | Set<string>): number {
  if (questionTerms.size === 0) return 1;
  const textTerms = typeof text === 'string' ? contentTerms(text) : text;
  let found = 0;
  for (const term of questionTerms) if (textTerms.has(term)) found++;
  return found / questionTerms.size;
}

/**
 * Weights of the question's terms by how rare they are among the retrieved candidates (an IDF over the
 * candidate pool). In "手环多少钱？" every candidate mentions 手环, so the price terms carry the weight:
 * a chunk that covers only 手环 does not answer the question.
 */
export function keyTermWeights(questionTerms: Set<string>, pool: Set<string>[]): Map<string, number> {
  const weights = new Map<string, number>();
  const size = pool.length;
  for (const term of questionTerms) {
    let frequency = 0;
    for (const terms of pool) if (terms.has(term)) frequency++;
    weights.set(term, Math.log((size + 1) / (frequency + 0.5)));
  }
  return weights;
}

/** Weighted share of the question's terms found in `textTerms` (1 when the question has no terms). */
export function keyTermCoverage(weights: Map<string, number>, textTerms: Set<string>): number {
  let total = 0;
  let found = 0;
  for (const [term, weight] of weights) {
    total += weight;
    if (textTerms.has(term)) found += weight;
  }
  return total > 0 ? found / total : 1;
}
