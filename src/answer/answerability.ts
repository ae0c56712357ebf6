import { createHash } from 'node:crypto';
import { z } from 'zod';
import { type Evidence, MODEL_FEATURES } from '../retrieve/evidence.js';
import type { Language } from '../text/language.js';
import fitted from './answerability-model.json' with { type: 'json' };

/**
 * A logistic model per language: P(the knowledge base answers this question | evidence). Fitted by
 * `npm run fit:answerability` on the public dev sets; the features are standardised with the means and
 * scales stored beside the weights.
 */
const languageModel = z.object({
  features: z.array(z.enum(MODEL_FEATURES)),
  mean: z.array(z.number()),
  scale: z.array(z.number()),
  weights: z.array(z.number()),
  bias: z.number(),
  /** The probability cut-off chosen on the dev sets, used when no calibrated threshold exists. */
  threshold: z.number().min(0).max(1),
  /**
   * The confident cut chosen on the dev sets (at most 30 % of in-domain unanswerable questions above it on every
   * set), used when no calibrated one exists; between `threshold` and it lies the middle band. Absent: no band.
   */
  answerThreshold: z.number().min(0).max(1).optional(),
});
export const answerabilityModelSchema = z.object({
  fittedOn: z.array(z.string()),
  models: z.object({
    zh: languageModel,
    en: languageModel,
    /**
     * Questions in languages the knowledge base is not written in, searched in the multilingual space (`npm run
     * fit:cross-lingual`). Reads only that space's cosines: the fitted zh/en models read word overlap with the chunks,
     * which an Arabic question against English text does not have. Absent (an older model file): the multilingual
     * cosine itself decides, against CROSS_LINGUAL_DEFAULT_THRESHOLD.
     */
    other: languageModel.optional(),
  }),
  /** Weight of a reranker's score when one ran: p = (1 − w)·p + w·rerank. */
  rerankWeight: z.number().min(0).max(1).default(0.5),
});
export type AnswerabilityModel = z.infer<typeof answerabilityModelSchema>;

export const DEFAULT_ANSWERABILITY_MODEL: AnswerabilityModel = answerabilityModelSchema.parse(fitted);

/** Identifies a fitted model: a threshold calibrated with one model means nothing for another. */
export function modelFingerprint(model: AnswerabilityModel = DEFAULT_ANSWERABILITY_MODEL): string {
  return createHash('sha256').update(JSON.stringify(model)).digest('hex').slice(0, 12);
}

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

/** `lang`: a knowledge-base language, or "other" for a question searched in the multilingual space. */
export function answerability(evidence: Evidence, lang: Language | 'other', model: AnswerabilityModel = DEFAULT_ANSWERABILITY_MODEL): number {
  const m = model.models[lang];
  // A model file from before the cross-lingual model: the multilingual cosine, as it was decided then.
  if (!m) return evidence.dense;
  let z = m.bias;
  m.features.forEach((feature, index) => {
    z += m.weights[index] * ((evidence[feature] - m.mean[index]) / (m.scale[index] || 1));
  });
  const probability = sigmoid(z);
  // A reranker reads question and passage together, which the fitted evidence cannot: blend it in.
  if (evidence.rerank !== undefined) return (1 - model.rerankWeight) * probability + model.rerankWeight * evidence.rerank;
  return probability;
}
