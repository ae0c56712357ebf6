import { describe, expect, it } from 'vitest';
import { type QueryOutcome, refusalMetrics, retrievalMetrics, thresholdSweep } from '../../src/retrieve/evaluation.js';

const outcome = (id: string, relevant: string[], rankedDocs: string[], confidence: number, lang: 'zh' | 'en' = 'en'): QueryOutcome => ({
  query: { id, text: id, lang, relevant, answerable: relevant.length > 0 },
  rankedDocs,
  confidence,
});

describe('retrieval metrics', () => {
  it('computes recall, hit rate, MRR and nDCG over answerable queries only', () => {
    const metrics = retrievalMetrics([outcome('q1', ['a'], ['a', 'b'], 0.9), outcome('q2', ['a', 'b'], ['c', 'a', 'x', 'y', 'z', 'b'], 0.8), outcome('u', [], ['a'], 0.2)]);
    expect(metrics.queries).toBe(2);
    expect(metrics.recallAt1).toBe(0.5);
    expect(metrics.hitAt1).toBe(0.5);
    expect(metrics.recallAt5).toBe(0.75);
    expect(metrics.recallAt10).toBe(1);
    expect(metrics.mrrAt10).toBeCloseTo((1 + 0.5) / 2);
    const dcg2 = 1 / Math.log2(3) + 1 / Math.log2(7);
    const ideal2 = 1 + 1 / Math.log2(3);
    expect(metrics.ndcgAt10).toBeCloseTo((1 + dcg2 / ideal2) / 2);
  });
});

describe('refusal metrics', () => {
  const outcomes = [outcome('a1', ['x'], ['x'], 0.8), outcome('a2', ['x'], ['x'], 0.55, 'zh'), outcome('u1', [], [], 0.5), outcome('u2', [], [], 0.7, 'zh')];
  it('counts precision, recall and false refusals at a threshold', () => {
    expect(refusalMetrics(outcomes, 0.6)).toMatchObject({ refusalPrecision: 0.5, refusalRecall: 0.5, falseRefusalRate: 0.5 });
  });
  it('applies per-language thresholds', () => {
    expect(refusalMetrics(outcomes, { zh: 0.75, en: 0.6 })).toMatchObject({ refusalRecall: 1, falseRefusalRate: 0.5 });
  });
  it('recommends the threshold with the best balanced accuracy', () => {
    const { best } = thresholdSweep([outcome('a', ['x'], ['x'], 0.8), outcome('u', [], [], 0.4)]);
    expect(best.balancedAccuracy).toBe(1);
    expect(best.threshold).toBeGreaterThan(0.4);
    expect(best.threshold).toBeLessThanOrEqual(0.8);
  });
});
