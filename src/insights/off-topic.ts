import { type ProductLineClassifier, UNKNOWN_LINE } from '../classify/product-lines.js';
import type { Calibration } from '../store/knowledge-store.js';

/** The product line the gaps report files off-topic questions under: a bucket of its own, never a line's gaps. */
export const OFF_TOPIC = 'off-topic';

/**
 * The cut where the serving version has none calibrated (a version calibrated before the cut existed): what
 * self-calibration measures on the sample knowledge base with bge-small (src/calibrate/self-calibration.ts).
 */
export const DEFAULT_OFF_TOPIC_SIMILARITY: Record<'zh' | 'en', number> = { en: 0.554, zh: 0.437 };

/** What the judge reads of a failed question. */
export interface OffTopicCandidate {
  id: string;
  question: string;
  /** Knowledge-base language (zh/en) or the customer's; other languages are never judged. */
  lang: string;
  /** Best cosine to the knowledge base when it was answered (absent in entries logged before it was recorded). */
  similarity?: number;
}

/** The ids of the questions that are off-topic: world knowledge, chit-chat, tasks, rather than something we lack. */
export type OffTopicJudge = (candidates: OffTopicCandidate[]) => Promise<Set<string>>;

/**
 * Off-topic means two things at once: the question came nowhere near the knowledge base (its best cosine is below
 * the serving version's calibrated cut, between the out-of-domain probes and the in-domain ones), and it names none
 * of our products (the product-line classifier finds no line in its words). "What is the capital of France?" is
 * both; "Can I pay in Bitcoin?" and "Can the Guard Cam 2 record in 8K?" are near the knowledge base or name a product,
 * so they stay knowledge gaps. Questions in languages the knowledge base is not written in are searched in another
 * vector space, whose cosines this cut does not describe: never judged off-topic.
 */
export function offTopicJudge(options: { calibration: () => Promise<Calibration | undefined>; classifier?: Pick<ProductLineClassifier, 'classify'> }): OffTopicJudge {
  return async (candidates) => {
    // A similarity of 0 is retrieval that found nothing at all (an empty knowledge base, a filtered-out line): no measure.
    const judged = candidates.filter((candidate) => candidate.similarity !== undefined && candidate.similarity > 0 && kbLanguage(candidate.lang));
    if (!judged.length) return new Set();
    const calibration = await options.calibration().catch(() => undefined);
    const offTopic = new Set<string>();
    for (const candidate of judged) {
      const lang = kbLanguage(candidate.lang)!;
      const cut = calibration?.languages[lang]?.offTopicSimilarity ?? DEFAULT_OFF_TOPIC_SIMILARITY[lang];
      if (candidate.similarity! >= cut) continue;
      if (options.classifier && options.classifier.classify(candidate.question).productLine !== UNKNOWN_LINE) continue;
      offTopic.add(candidate.id);
    }
    return offTopic;
  };
}

const kbLanguage = (lang: string): 'zh' | 'en' | undefined => (/^zh\b/i.test(lang) ? 'zh' : /^en\b/i.test(lang) ? 'en' : undefined);
