import { normalizeForMatch } from './language.js';

// Words that carry no topic: question words, auxiliaries, pronouns. Kept short on purpose; a longer list
// starts removing words that matter in support questions ("not", "after", "before").
const ENGLISH_STOPWORDS = new Set(
  ('a an the and or of to in on at for with by from as is are was were be been being do does did done can could should would will shall may might must ' +
    'i me my we our you your he she it its they them their this that these those there here what which who whom whose when where why how ' +
    'if then than so such about into onto over under up down out off any some all each every no yes please tell know want need get got have has had ' +
    'am im ive dont doesnt cant isnt arent wasnt much many more most also just only very too way ways').split(' '),
);
// Function characters (的了吗呢…, and those of question phrases: 怎么, 如何, 什么…): no bigram with one is a term.
const CHINESE_FUNCTION_CHARS = new Set('的了吗呢吧啊呀么是在有和与或及就都也还把被让给对从到为以于之其这那哪个些我你您他她它们请问怎如何什样能可否会要想用没不'.split(''));

/**
 * Content terms of a text for matching: lower-cased, lightly stemmed Latin words (no stopwords) and Han
 * bigrams without function characters. Bigrams need no dictionary, which keeps this offline and fast.
 */
export function contentTerms(text: string): Set<string> {
  const normalized = normalizeForMatch(text);
  const terms = new Set<string>();
  for (const word of normalized.match(/[a-z0-9][a-z0-9_.-]*[a-z0-9]|[a-z0-9]/g) ?? []) {
    const clean = word.replace(/'/g, '');
    if (clean.length >= 2 && !ENGLISH_STOPWORDS.has(clean)) terms.add(stem(clean));
    else if (/^\d$/.test(clean)) terms.add(clean);
  }
  for (const run of normalized.match(/[\u3400-\u9fff]+/g) ?? []) {
    if (run.length === 1 && !CHINESE_FUNCTION_CHARS.has(run)) terms.add(run);
    for (let index = 0; index < run.length - 1; index++) {
      const bigram = run.slice(index, index + 2);
      // A bigram with a function character is mostly a seam between two words (仪用, 大的): noise, not a term.
      if (!CHINESE_FUNCTION_CHARS.has(bigram[0]) && !CHINESE_FUNCTION_CHARS.has(bigram[1])) terms.add(bigram);
    }
  }
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
