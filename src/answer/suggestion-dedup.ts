/**
 * Whether two "did you mean" suggestions say the same thing: a FAQ entry and a manual or policy section that answer
 * one question ("怎么申请退货？" and the returns policy's "如何办理退货 — 退货与退款政策"). Offered side by side they
 * waste a line and look like a mistake; only the first is kept (stages.ts chooseSuggestions).
 *
 * Two signals, both needed. The labels' meaning alone cannot tell a duplicate from a sibling entry ("How long do the
 * Lock L1 batteries last?" and "What if the Lock L1 batteries are completely empty?" are as close, 0.81, as "How do
 * I start a return?" and "How to return an item", 0.76, in bge-small-en). What they answer with can: a sibling's
 * answer shares few content terms with the other's. The shared terms are counted against the larger of the two
 * answers, so that a section which holds the entry's fact among others ("Status light colours" holds "What does a
 * solid orange light mean?", 0.36; "Specifications" holds "Can I pay with the watch?", 0.19) is not a duplicate:
 * it answers more, and may be the one that answers the customer. Cuts read off the sample knowledge base's dev set
 * (docs/suggestions.md "Did you mean"), so they are not a held-out measure.
 */
import { dot, type Embedder } from '../embed/embedder.js';
import { contentTerms } from '../text/terms.js';
import type { Pooled, SameMeaning } from './stages.js';

/** Cosine of the two labels in the language's own model at or above which they may mean the same. */
export const SAME_LABEL_COSINE = 0.75;
/** Shared content terms, as a share of the larger answer's, at or above which two answers say the same. */
export const SAME_CONTENT_SHARE = 0.45;

/** Terms two sets share, as a share of the larger set's (1 only when they are the same; 0 when either is empty). */
export function contentShare(a: ReadonlySet<string>, b: ReadonlySet<string>): number {
  const [small, large] = a.size <= b.size ? [a, b] : [b, a];
  if (!small.size) return 0;
  let shared = 0;
  for (const term of small) if (large.has(term)) shared++;
  return shared / large.size;
}

/**
 * The "same thing" test over a pool, its labels embedded once by `embedder` (the question language's own model).
 * Only suggestions in that language are compared: the other language's only fill up, and this model cannot read them.
 */
export async function sameMeaningIn(pool: readonly Pooled[], embedder: Embedder): Promise<SameMeaning> {
  const own = pool.filter((entry) => entry.own);
  const vectors = own.length < 2 ? [] : embedder.embedQueries ? await embedder.embedQueries(own.map((entry) => entry.text)) : await Promise.all(own.map((entry) => embedder.embedQuery(entry.text)));
  const vectorOf = new Map(own.map((entry, index) => [entry, vectors[index]]));
  const terms = new Map<Pooled, Set<string>>();
  const termsOf = (entry: Pooled) => terms.get(entry) ?? terms.set(entry, contentTerms(entry.content)).get(entry)!;
  return (a, b) => {
    const left = vectorOf.get(a);
    const right = vectorOf.get(b);
    if (!left || !right) return false;
    return dot(left, right) >= SAME_LABEL_COSINE && contentShare(termsOf(a), termsOf(b)) >= SAME_CONTENT_SHARE;
  };
}
