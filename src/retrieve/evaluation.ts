/** Retrieval and refusal metrics over a labelled query set. Pure functions, so they are unit-tested. */

export interface LabelledQuery {
  id: string;
  text: string;
  lang: 'zh' | 'en';
  relevant: string[];
  answerable: boolean;
}

export interface QueryOutcome {
  query: LabelledQuery;
  /** Document ids in ranked order, deduplicated. */
  rankedDocs: string[];
  confidence: number;
}

export interface RetrievalMetrics {
  queries: number;
  recallAt1: number;
  recallAt5: number;
  recallAt10: number;
  hitAt1: number;
  hitAt5: number;
  mrrAt10: number;
  ndcgAt10: number;
}

export interface RefusalMetrics {
  threshold: number;
  thresholds?: Record<'zh' | 'en', number>;
  refusalPrecision: number;
  refusalRecall: number;
  /** Share of answerable queries refused. */
  falseRefusalRate: number;
  /** Mean of (1 − false refusal rate) and refusal recall. */
  balancedAccuracy: number;
}

const mean = (values: number[]) => (values.length ? values.reduce((sum, value) => sum + value, 0) / values.length : 0);

export function retrievalMetrics(outcomes: QueryOutcome[]): RetrievalMetrics {
  const answerable = outcomes.filter((outcome) => outcome.query.answerable && outcome.query.relevant.length > 0);
  const recallAt = (k: number) =>
    mean(answerable.map(({ query, rankedDocs }) => rankedDocs.slice(0, k).filter((doc) => query.relevant.includes(doc)).length / query.relevant.length));
  const hitAt = (k: number) => mean(answerable.map(({ query, rankedDocs }) => (rankedDocs.slice(0, k).some((doc) => query.relevant.includes(doc)) ? 1 : 0)));
  const mrr = mean(
    answerable.map(({ query, rankedDocs }) => {
      const rank = rankedDocs.slice(0, 10).findIndex((doc) => query.relevant.includes(doc));
      return rank === -1 ? 0 : 1 / (rank + 1);
    }),
  );
  const ndcg = mean(
    answerable.map(({ query, rankedDocs }) => {
      const dcg = rankedDocs.slice(0, 10).reduce((sum, doc, index) => sum + (query.relevant.includes(doc) ? 1 / Math.log2(index + 2) : 0), 0);
      const ideal = Array.from({ length: Math.min(10, query.relevant.length) }, (_, index) => 1 / Math.log2(index + 2)).reduce((a, b) => a + b, 0);
      return ideal ? dcg / ideal : 0;
    }),
  );
  return {
    queries: answerable.length,
    recallAt1: recallAt(1),
    recallAt5: recallAt(5),
    recallAt10: recallAt(10),
    hitAt1: hitAt(1),
    hitAt5: hitAt(5),
    mrrAt10: mrr,
    ndcgAt10: ndcg,
  };
}

/** `threshold` is one number, or one per language (what the service uses). */
export function refusalMetrics(outcomes: QueryOutcome[], threshold: number | Record<'zh' | 'en', number>): RefusalMetrics {
  const cut = (outcome: QueryOutcome) => (typeof threshold === 'number' ? threshold : threshold[outcome.query.lang]);
  const isRefused = (outcome: QueryOutcome) => outcome.confidence < cut(outcome);
  const refused = outcomes.filter(isRefused);
  const unanswerable = outcomes.filter((outcome) => !outcome.query.answerable);
  const answerable = outcomes.filter((outcome) => outcome.query.answerable);
  const refusalPrecision = refused.length ? refused.filter((outcome) => !outcome.query.answerable).length / refused.length : 1;
  const refusalRecall = unanswerable.length ? unanswerable.filter(isRefused).length / unanswerable.length : 1;
  const falseRefusalRate = answerable.length ? answerable.filter(isRefused).length / answerable.length : 0;
  return { threshold: typeof threshold === 'number' ? threshold : Number.NaN, thresholds: typeof threshold === 'number' ? undefined : threshold, refusalPrecision, refusalRecall, falseRefusalRate, balancedAccuracy: (1 - falseRefusalRate + refusalRecall) / 2 };
}

/** Sweeps thresholds; the recommended one maximises balanced accuracy, ties going to the lower threshold (fewer refusals). */
export function thresholdSweep(outcomes: QueryOutcome[], from = 0.3, to = 0.9, step = 0.01): { sweep: RefusalMetrics[]; best: RefusalMetrics } {
  const sweep: RefusalMetrics[] = [];
  for (let threshold = from; threshold <= to + 1e-9; threshold += step) sweep.push(refusalMetrics(outcomes, Math.round(threshold * 1000) / 1000));
  const best = sweep.reduce((top, entry) => (entry.balancedAccuracy > top.balancedAccuracy + 1e-12 ? entry : top), sweep[0]);
  return { sweep, best };
}
