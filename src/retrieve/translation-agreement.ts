import type { ScoredChunk } from '../store/knowledge-store.js';

/** A multilingual-space hit with the vector it was found by (asked for by the retriever, never passed on). */
export type VectorHit = ScoredChunk & { vector: ArrayLike<number> };

/**
 * Cross-lingual agreement between translations, for a question in a language the knowledge base is not written in.
 *
 * Why: a bilingual knowledge base usually says the same thing twice, once in each language (a FAQ entry and its
 * translation). The multilingual model's cosine between an Arabic question and an English passage is one noisy
 * measurement; its cosine to the passage's Chinese translation is a second, independent one. A passage whose
 * translation also matches the question is more likely the answer than one that matches alone. Measured on
 * xquad-multilingual (docs/evaluation.md "Other languages"): hit@1 rises for every language, most for Russian.
 *
 * How: among the list's hits, a hit's translation is the hit in another language it is nearest to, when that hit
 * is nearest to it too (mutual nearest neighbours, so a passage with no translation is not paired with whatever
 * happens to be closest). Its score becomes `score + weight × translation's score`. A hit without a translation in
 * the list gets `weight × the list's lowest score`: its translation, if any, scored no better than the last hit.
 * Returns the hits without their vectors twice: `raw` in the search's order with its cosines (what the decision
 * reads), and `agreed` re-ordered by the new score (what the fusion reads).
 */
export function agreeAcrossTranslations(hits: VectorHit[], weight: number): { raw: ScoredChunk[]; agreed: ScoredChunk[] } {
  const plain = hits.map(({ vector: _vector, ...hit }) => hit as ScoredChunk);
  if (weight <= 0 || hits.length < 2) return { raw: plain, agreed: plain };
  const unit = hits.map((hit) => normalized(hit.vector));
  const nearest = hits.map((hit, i) => {
    let best = -1;
    let bestCosine = -Infinity;
    hits.forEach((other, j) => {
      if (other.lang === hit.lang) return;
      const cosine = dot(unit[i], unit[j]);
      if (cosine > bestCosine) {
        bestCosine = cosine;
        best = j;
      }
    });
    return best;
  });
  const floor = Math.min(...hits.map((hit) => hit.score));
  const rescored = plain.map((hit, i) => {
    const twin = nearest[i];
    const paired = twin >= 0 && nearest[twin] === i;
    return { ...hit, score: hit.score + weight * (paired ? hits[twin].score : floor) };
  });
  return { raw: plain, agreed: rescored.sort((a, b) => b.score - a.score) };
}

function normalized(vector: ArrayLike<number>): Float64Array {
  const out = Float64Array.from(vector as ArrayLike<number>);
  const norm = Math.hypot(...out) || 1;
  for (let i = 0; i < out.length; i++) out[i] /= norm;
  return out;
}

function dot(a: Float64Array, b: Float64Array): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += a[i] * b[i];
  return sum;
}
