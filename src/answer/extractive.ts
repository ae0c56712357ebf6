import { splitSentences } from '../text/sentences.js';
import { normalizeForMatch } from '../text/language.js';

export interface ExtractiveSource {
  n: number;
  kind: 'faq' | 'passage';
  text: string;
  /** For FAQ entries, the stored answer. */
  faqAnswer?: string;
}

/**
 * An answer made only of knowledge-base text, cited: the best FAQ answer when a FAQ entry ranks first,
 * otherwise the sentences of the best passage that share the most words with the question.
 */
export function extractiveAnswer(question: string, sources: ExtractiveSource[], maxChars = 480): { text: string; used: number[] } {
  const best = sources[0];
  if (!best) return { text: '', used: [] };
  if (best.kind === 'faq' && best.faqAnswer) return { text: `${best.faqAnswer} [${best.n}]`, used: [best.n] };
  const terms = termsOf(question);
  const sentences = splitSentences(best.text);
  const scored = sentences.map((sentence, index) => ({ sentence, index, score: overlap(termsOf(sentence), terms) }));
  const start = scored.reduce((top, entry) => (entry.score > top.score ? entry : top), scored[0] ?? { index: 0, score: 0 }).index;
  let text = '';
  for (const sentence of sentences.slice(start)) {
    if (text && text.length + sentence.length > maxChars) break;
    text += (text && !/[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]$/.test(text) ? ' ' : '') + sentence;
  }
  if (!text) text = best.text.slice(0, maxChars);
  return { text: `${text} [${best.n}]`, used: [best.n] };
}

/**
 * Moves the first source in the customer's language to the front when it is among the top `window`, so an
 * extractive answer quotes text the customer can read. Citation numbers travel with the sources.
 */
export function preferLanguage<T extends { lang: string }>(ranked: T[], lang: string, window = 3): T[] {
  const index = ranked.slice(0, window).findIndex((item) => item.lang === lang);
  if (index <= 0) return ranked;
  return [ranked[index], ...ranked.slice(0, index), ...ranked.slice(index + 1)];
}

/** Latin words and Han bigrams: enough to find the sentence that talks about the question's topic. */
function termsOf(text: string): Set<string> {
  const normalized = normalizeForMatch(text);
  const terms = new Set(normalized.match(/[a-z0-9]{2,}/g) ?? []);
  const han = normalized.match(/[\u4e00-\u9fff]+/g) ?? [];
  for (const run of han) for (let index = 0; index < run.length - 1; index++) terms.add(run.slice(index, index + 2));
  return terms;
}

function overlap(a: Set<string>, b: Set<string>): number {
  let count = 0;
  for (const term of a) if (b.has(term)) count++;
  return count;
}
