import { describe, expect, it } from 'vitest';
import { answerability, type AnswerabilityModel, modelFingerprint } from '../../src/answer/answerability.js';
import { RefusalThresholds } from '../../src/answer/refusal-threshold.js';
import { CROSS_LINGUAL_DEFAULT_THRESHOLD, decideStage } from '../../src/answer/stages.js';
import { calibratedThreshold } from '../../src/calibrate/self-calibration.js';
import { MULTILINGUAL_COLUMN } from '../../src/embed/embedding-spaces.js';
import { type Evidence, gatherEvidence } from '../../src/retrieve/evidence.js';
import { fuseLists, type RankedList } from '../../src/retrieve/fusion.js';
import type { ScoredChunk } from '../../src/store/knowledge-store.js';
import type { Example } from '../../eval/fit-answerability.js';
import { crossLingualProbability, fitCrossLingual, leaveOneLanguageOut, outcomeShares } from '../../eval/fit-cross-lingual.js';

const hit = (id: string, score: number): ScoredChunk =>
  ({
    id,
    docId: id,
    score,
    text: id,
    title: '',
    headingPath: '',
    sourcePath: '',
    productLine: 'general',
    lang: 'en',
    kind: 'passage',
    searchText: id,
    contentHash: '',
    docHash: '',
    chunkIndex: 0,
    metadata: {},
  }) as ScoredChunk;

/** A multilingual list: the best hit at `top`, then 39 hits falling from `background + 0.01` to `background - 0.01`. */
const multiList = (top: number, background: number): RankedList => ({
  source: `dense:${MULTILINGUAL_COLUMN}`,
  hits: [hit('best', top), ...Array.from({ length: 39 }, (_, i) => hit(`h${i}`, background + 0.01 - (0.02 * i) / 38))],
});

const zhEn = { features: ['dense' as const], mean: [0.5], scale: [1], weights: [4], bias: 0, threshold: 0.5 };
/** p = sigmoid(50 · (denseLift − 0.04)): a question 0.04 above its own background is even odds. */
const other = { features: ['denseLift' as const], mean: [0.04], scale: [0.02], weights: [1], bias: 0, threshold: 0.3, answerThreshold: 0.6 };
const model: AnswerabilityModel = { fittedOn: ['test'], rerankWeight: 0.5, models: { zh: zhEn, en: zhEn, other } };
const olderModel: AnswerabilityModel = { fittedOn: ['test'], rerankWeight: 0.5, models: { zh: zhEn, en: zhEn } };

describe('a question in another language is decided on the multilingual space, relative to its own background', () => {
  it('reads the lift of the best cosine above ranks 11–40, which a language-wide shift of every cosine does not move', () => {
    const arabic = gatherEvidence('سؤال', 'en', [multiList(0.8, 0.74)], []);
    const spanish = gatherEvidence('pregunta', 'en', [multiList(0.86, 0.8)], []);
    expect(arabic.denseLift).toBeCloseTo(0.06, 2);
    expect(spanish.denseLift).toBeCloseTo(arabic.denseLift, 6);
    // A table of a few chunks has no ranks 11–40: the background is ranks 2 on.
    const small = gatherEvidence('pregunta', 'en', [{ source: `dense:${MULTILINGUAL_COLUMN}`, hits: [hit('a', 0.85), hit('b', 0.8), hit('c', 0.78)] }], []);
    expect(small.denseLift).toBeCloseTo(0.06, 6);
  });

  it('answers an Arabic question whose passage stands out though its cosine is lower than an off-topic Spanish one’s', () => {
    const decide = (list: RankedList) => decideStage('q', 'en', [list], fuseLists([list], { [list.source]: 1 }), { refuse: other.threshold, answer: other.answerThreshold }, model);
    // Before, one cut on the cosine (0.80) refused the first and answered the second.
    const answerable = decide(multiList(0.79, 0.72));
    const offTopic = decide(multiList(0.81, 0.8));
    expect(answerable.outcome).toBe('answer');
    expect(offTopic.outcome).toBe('refuse');
    expect(answerable.answerability).toBeGreaterThan(offTopic.answerability);
  });

  it('falls back to the cosine with a model file that has no cross-lingual model', () => {
    const evidence = { dense: 0.83, denseLift: 0.01 } as Evidence;
    expect(answerability(evidence, 'other', olderModel)).toBe(0.83);
    expect(answerability(evidence, 'other', model)).toBeLessThan(0.5);
  });
});

describe('the band in force for other languages', () => {
  const calibration = (fingerprint: string) => ({
    version: 3,
    at: '',
    target: 0.05,
    model: fingerprint,
    languages: { other: { threshold: 0.25, answerThreshold: 0.6, positives: 80, negatives: 36, negativesRefused: 0.5, auroc: 0.9 } },
  });
  const options = (fingerprint: string, m: AnswerabilityModel) => ({ explicit: {}, currentVersion: async () => 3, calibration: async () => calibration(fingerprint), model: m });
  it('is the cross-lingual model’s band, or the calibration made with it: a middle band, not one cut', async () => {
    expect(await new RefusalThresholds(options('stale', model)).resolve('other')).toEqual({ threshold: 0.3, answerThreshold: 0.6, source: 'model-default' });
    expect(await new RefusalThresholds(options(modelFingerprint(model), model)).resolve('other')).toEqual({ threshold: 0.25, answerThreshold: 0.6, source: 'calibrated' });
  });
  it('stays one cut on the cosine with an older model file, and one cut when set by hand', async () => {
    expect(await new RefusalThresholds(options('stale', olderModel)).resolve('other')).toEqual({
      threshold: CROSS_LINGUAL_DEFAULT_THRESHOLD,
      answerThreshold: CROSS_LINGUAL_DEFAULT_THRESHOLD,
      source: 'model-default',
    });
    expect(await new RefusalThresholds({ ...options('stale', model), explicit: { other: 0.4 } }).resolve('other')).toEqual({ threshold: 0.4, answerThreshold: 0.4, source: 'setting' });
  });
  it('is never raised by the knowledge base’s own probes, only lowered when its own text scores low', () => {
    const highNegatives = Array.from({ length: 36 }, (_, i) => 0.3 + i / 100);
    const easyPositives = Array.from({ length: 80 }, () => 0.95);
    expect(calibratedThreshold(0.3, easyPositives, highNegatives, 0.05, 0)).toBe(0.3);
    const lowPositives = Array.from({ length: 80 }, (_, i) => 0.1 + i / 400);
    expect(calibratedThreshold(0.3, lowPositives, highNegatives, 0.05, 0)).toBeLessThan(0.3);
  });
});

describe('fitting the cross-lingual model, held out by language', () => {
  // Four languages whose cosines sit at different heights (the shift a multilingual model gives each), answerable
  // questions standing 0.06 above their background and twins 0.02; a bank of off-topic questions.
  const shift: Record<string, number> = { ar: 0.72, ru: 0.74, de: 0.76, es: 0.77 };
  const jitter = (i: number) => ((i * 7919) % 101) / 101 - 0.5;
  const examples: Example[] = Object.entries(shift).flatMap(([lang, base]) =>
    Array.from({ length: 60 }, (_, i): Example[] => [
      { set: lang, features: [base + 0.06 + 0.03 * jitter(i), 0.06 + 0.03 * jitter(i)], label: 1 },
      { set: lang, features: [base + 0.02 + 0.03 * jitter(i + 1), 0.02 + 0.03 * jitter(i + 1)], label: 0, type: 'twin_removed' },
    ]).flat(),
  );
  const bank: Example[] = Array.from({ length: 30 }, (_, i) => ({ set: 'bank', features: [0.74 + 0.02 * jitter(i), 0.01 + 0.01 * jitter(i)], label: 0, type: 'out_of_scope_bank' }));

  it('chooses a band that refuses at most 5 % of the answerable questions of every language it was fitted on', () => {
    const fitted = fitCrossLingual([...examples, ...bank]);
    expect(fitted.answerThreshold).toBeGreaterThanOrEqual(fitted.threshold);
    for (const lang of Object.keys(shift)) {
      expect(
        outcomeShares(
          fitted,
          examples.filter((example) => example.set === lang && example.label === 1),
        ).refused,
      ).toBeLessThanOrEqual(0.05);
    }
    expect(crossLingualProbability(fitted, [0.8, 0.06])).toBeGreaterThan(crossLingualProbability(fitted, [0.8, 0.01]));
  });

  it('reports every language with a model that never saw it', () => {
    const results = leaveOneLanguageOut([...examples, ...bank], bank);
    expect(results.map((result) => result.lang)).toEqual(['ar', 'de', 'es', 'ru']);
    for (const result of results) {
      expect(result.answerable.n).toBe(60);
      expect(result.twins.n).toBe(60);
      expect(result.heldOutBank.n).toBe(30);
    }
    // Held out, Arabic (the lowest cosines) gets a band fitted on languages whose cosines all sit higher.
    const withoutArabic = fitCrossLingual([...examples.filter((example) => example.set !== 'ar'), ...bank]);
    expect(results[0].band).toEqual({ refuse: withoutArabic.threshold, answer: withoutArabic.answerThreshold });
  });
});
