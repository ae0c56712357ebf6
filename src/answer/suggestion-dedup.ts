/**
 * Whether two "did you mean" suggestions say the same thing: a FAQ entry and a manual or policy section that answer
 * one question ("怎么申请退货？" and the returns policy's "如何办理退货 — 退货与退款政策"). Offered side by side they
 * waste a line and look like a mistake; only the first is kept (stages.ts chooseSuggestions).
 *
 * Meaning alone cannot tell a duplicate from a sibling entry: "How long do the Pulse Band 3 battery last?" and "How
 * long does it take to charge the Pulse Band 3?" are closer (0.89 in bge-small-en) than "How do I start a return?"
 * and "How to return an item" (0.82). What they answer with can: a sibling's answer shares few content terms with the
 * other's. And content alone cannot tell a duplicate from a section that merely holds the entry's fact among others
 * ("Specifications" holds "Can I pay with the watch?"; "Status light colours" holds "What does a solid orange light
 * mean?", and answers the customer's blinking red light too): their labels are far apart. So two suggestions are the
 * same when either
 *   - their labels are close (SAME_LABEL_COSINE) and their answers mostly shared (SAME_CONTENT_SHARE of the larger), or
 *   - they ask the same thing (SAME_QUESTION_COSINE, the labels without the document's subject) and the one answer
 *     lies within the other (SAME_CONTENT_WITHIN of the smaller): the FAQ entry summing up its policy section.
 * Cuts read off the sample knowledge base's dev set (docs/suggestions.md "Did you mean"): not a held-out measure.
 */
import { dot, type Embedder } from '../embed/embedder.js';
import { contentTerms } from '../text/terms.js';
import type { Pooled, SameMeaning } from './stages.js';

/** Cosine of the two labels (in the question language's own model) from which their answers are compared. */
export const SAME_LABEL_COSINE = 0.75;
/** Shared content terms, as a share of the larger answer's, from which two answers say the same. */
export const SAME_CONTENT_SHARE = 0.45;
/** Cosine of what the labels ask, without the subject, from which they ask the same question. */
export const SAME_QUESTION_COSINE = 0.85;
/** Shared content terms, as a share of the smaller answer's, from which one answer lies within the other. */
export const SAME_CONTENT_WITHIN = 0.7;

/** Terms two sets share, as a share of the larger set's and of the smaller's (0 when either is empty). */
export function contentOverlap(a: ReadonlySet<string>, b: ReadonlySet<string>): { ofLarger: number; ofSmaller: number } {
  const [small, large] = a.size <= b.size ? [a, b] : [b, a];
  if (!small.size) return { ofLarger: 0, ofSmaller: 0 };
  let shared = 0;
  for (const term of small) if (large.has(term)) shared++;
  return { ofLarger: shared / large.size, ofSmaller: shared / small.size };
}

const embedAll = (embedder: Embedder, texts: string[]) => (embedder.embedQueries ? embedder.embedQueries(texts) : Promise.all(texts.map((text) => embedder.embedQuery(text))));

/**
 * The "same thing" test over a pool, its labels embedded once by `embedder` (the question language's own model).
 * Only suggestions in that language are compared: the other language's only fill up, and this model cannot read them.
 */
export async function sameMeaningIn(pool: readonly Pooled[], embedder: Embedder): Promise<SameMeaning> {
  const own = pool.filter((entry) => entry.own);
  if (own.length < 2) return () => false;
  const texts = own.map((entry) => entry.text);
  const questions = own.map((entry) => entry.asks);
  const [labels, asks] = await Promise.all([embedAll(embedder, texts), embedAll(embedder, questions)]);
  // By text, which is unique in a pool (suggestionPool): the test holds for any pool read from the same ranking.
  const index = new Map(own.map((entry, at) => [entry.text, at]));
  const terms = own.map((entry) => contentTerms(entry.content));
  return (a, b) => {
    const left = index.get(a.text);
    const right = index.get(b.text);
    if (left === undefined || right === undefined) return false;
    const overlap = contentOverlap(terms[left], terms[right]);
    const answerAlike = dot(labels[left], labels[right]) >= SAME_LABEL_COSINE && overlap.ofLarger >= SAME_CONTENT_SHARE;
    return answerAlike || (dot(asks[left], asks[right]) >= SAME_QUESTION_COSINE && overlap.ofSmaller >= SAME_CONTENT_WITHIN);
  };
}
