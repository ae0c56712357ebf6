import { describe, expect, it } from 'vitest';
import { chooseFollowUp, questionLanguage, shouldCache } from '../../src/answer/answer-service.js';
import { answerability, type AnswerabilityModel, modelFingerprint } from '../../src/answer/answerability.js';
import { verifyCitations } from '../../src/answer/grounding.js';
import { RefusalThresholds } from '../../src/answer/refusal-threshold.js';
import { decideStage } from '../../src/answer/stages.js';
import { auroc, calibratedThreshold, probeQuestion, quantile } from '../../src/calibrate/self-calibration.js';
import { fuseLists } from '../../src/retrieve/fusion.js';
import { gatherEvidence } from '../../src/retrieve/evidence.js';
import type { ScoredChunk } from '../../src/store/knowledge-store.js';

const hit = (id: string, score: number, text = id): ScoredChunk =>
  ({ id, doc_id: id, score, text, title: '', heading_path: '', source_path: '', product_line: 'general', lang: 'en', kind: 'passage', search_text: text, content_hash: '', doc_hash: '', chunk_index: 0, metadata: '{}' }) as ScoredChunk;

/** A fake model over two features, easy to reason about: p = sigmoid(4·(dense − 0.5) + 2·(coverage − 0.5)). */
const model: AnswerabilityModel = {
  fittedOn: ['test'],
  rerankWeight: 0.5,
  models: {
    en: { features: ['dense', 'coverage'], mean: [0.5, 0.5], scale: [1, 1], weights: [4, 2], bias: 0, threshold: 0.5 },
    zh: { features: ['dense', 'coverage'], mean: [0.5, 0.5], scale: [1, 1], weights: [4, 2], bias: 0, threshold: 0.5 },
  },
};

describe('evidence and the answer-or-refuse decision', () => {
  const lists = (dense: number, text: string) => [
    { source: 'dense:vector' as const, hits: [hit('a', dense, text), hit('b', dense - 0.1)] },
    { source: 'lexical' as const, hits: [hit('a', 10, text)] },
  ];
  it('reads coverage of the question’s terms and the retrievers’ agreement from the lists', () => {
    const question = 'how long does the battery last';
    const ranked = fuseLists(lists(0.8, 'The battery lasts two weeks'), { 'dense:vector': 1, lexical: 1 });
    const evidence = gatherEvidence(question, 'en', lists(0.8, 'The battery lasts two weeks'), ranked);
    expect(evidence).toMatchObject({ dense: 0.8, agreement: 1, lexicalFound: 1 });
    expect(evidence.coverage).toBeCloseTo(2 / 3);
  });
  it('refuses below the threshold and answers at or above it, without anything else', () => {
    const question = 'battery life';
    const strong = lists(0.9, 'battery life is two weeks');
    const weak = lists(0.2, 'shipping rates');
    const answer = decideStage(question, 'en', strong, fuseLists(strong, { lexical: 1 }), 0.5, model);
    const refuse = decideStage(question, 'en', weak, fuseLists(weak, { lexical: 1 }), 0.5, model);
    expect(answer).toMatchObject({ answer: true, threshold: 0.5 });
    expect(refuse.answer).toBe(false);
    const exactly = decideStage(question, 'en', strong, fuseLists(strong, { lexical: 1 }), answer.answerability, model);
    expect(exactly.answer).toBe(true);
    expect(decideStage(question, 'en', [], [], 0, model)).toMatchObject({ answer: false, answerability: 0 });
  });
  it('blends a reranker’s score into answerability when one ran', () => {
    const evidence = { dense: 0.5, coverage: 0.5 } as Parameters<typeof answerability>[0];
    expect(answerability(evidence, 'en', model)).toBeCloseTo(0.5);
    expect(answerability({ ...evidence, rerank: 1 }, 'en', model)).toBeCloseTo(0.75);
  });
});

describe('follow-ups decided on evidence', () => {
  const reading = (answerability: number) => ({ decision: { answerability } as never as ReturnType<typeof decideStage> });
  it('keeps an anaphoric follow-up in its conversation unless the question alone is clearly better', () => {
    const alone = reading(0.3);
    const condensed = reading(0.7);
    expect(chooseFollowUp(alone, condensed, true, 0.5)).toBe(condensed);
    expect(chooseFollowUp(reading(0.9), reading(0.6), true, 0.5)).not.toBe(condensed);
  });
  it('judges a question that does not point back on its own when it is off-topic alone', () => {
    const offTopicAlone = reading(0.1);
    expect(chooseFollowUp(offTopicAlone, reading(0.8), false, 0.5)).toBe(offTopicAlone);
    const onTopic = reading(0.7);
    const withProduct = reading(0.75);
    expect(chooseFollowUp(onTopic, withProduct, false, 0.5)).toBe(withProduct);
  });
});

describe('what is cached', () => {
  it('caches only confident generated or extractive answers', () => {
    expect(shouldCache({ mode: 'extractive', replacedUngrounded: false }, 0.9, 0.5)).toBe(true);
    expect(shouldCache({ mode: 'extractive', replacedUngrounded: false }, 0.55, 0.5)).toBe(false);
    expect(shouldCache({ mode: 'generated', replacedUngrounded: true }, 0.9, 0.5)).toBe(false);
    expect(shouldCache({ mode: 'refusal', replacedUngrounded: false }, 0.1, 0.5)).toBe(false);
    expect(shouldCache({ mode: 'fallback', replacedUngrounded: false }, 0.9, 0.5)).toBe(false);
  });
});

describe('reply language and citations', () => {
  it('answers in the question’s language; the client’s language is only a hint for text without letters', () => {
    expect(questionLanguage('Is it waterproof?', 'zh')).toBe('en');
    expect(questionLanguage('那它防水吗？', 'en')).toBe('zh');
    expect(questionLanguage('???', 'zh')).toBe('zh');
  });
  it('replaces an answer that cites nothing it was given', () => {
    expect(verifyCitations('It is waterproof [2].', new Set([1, 2]))).toEqual({ text: 'It is waterproof [2].', used: [2], unsupported: [] });
    expect(verifyCitations('It is waterproof [7].', new Set([1, 2]))).toBeUndefined();
    expect(verifyCitations('It is waterproof.', new Set([1]))).toBeUndefined();
  });
});

describe('thresholds in force', () => {
  const calibration = { version: 7, at: '', target: 0.05, model: 'other', languages: { en: { threshold: 0.3, positives: 50, negatives: 48, negativesRefused: 0.9, auroc: 0.95 } } };
  it('prefer a setting, then a calibration made with this model, then the model default', async () => {
    const source = (fingerprint: string) => ({ explicit: {}, currentVersion: async () => 7, calibration: async () => ({ ...calibration, model: fingerprint }), model });
    expect(await new RefusalThresholds({ ...source('x'), explicit: { en: 0.8 } }).resolve('en')).toEqual({ threshold: 0.8, source: 'setting' });
    expect(await new RefusalThresholds(source(modelFingerprint(model))).resolve('en')).toEqual({ threshold: 0.3, source: 'calibrated' });
    expect(await new RefusalThresholds(source('stale')).resolve('en')).toEqual({ threshold: 0.5, source: 'model-default' });
  });

  it('follow the version the answer was read from, without reading it again', async () => {
    let reads = 0;
    const thresholds = new RefusalThresholds({
      explicit: {},
      currentVersion: async () => (reads++, 7),
      calibration: async (version) => (version === 7 ? { ...calibration, model: modelFingerprint(model) } : undefined),
      model,
    });
    expect(await thresholds.resolve('en', 7)).toEqual({ threshold: 0.3, source: 'calibrated' });
    // Version 8 has no calibration of its own: the model default, not 7's threshold.
    expect(await thresholds.resolve('en', 8)).toEqual({ threshold: 0.5, source: 'model-default' });
    expect(reads).toBe(0);
    expect(await thresholds.resolve('en')).toEqual({ threshold: 0.3, source: 'calibrated' });
    expect(reads).toBe(1);
  });
});

describe('self-calibration helpers', () => {
  it('draws probe questions from FAQ entries, question headings and passage fragments', () => {
    const base = { id: 'c1', lang: 'en', heading_path: '', metadata: '{}' };
    expect(probeQuestion({ ...base, kind: 'faq', text: '', metadata: '{"question":"Can I swim with it?"}' })).toBe('Can I swim with it?');
    expect(probeQuestion({ ...base, kind: 'passage', heading_path: 'Guide > How do I reset the hub?', text: 'Hold the button.' })).toBe('How do I reset the hub?');
    const fragment = probeQuestion({ ...base, kind: 'passage', text: 'The thermostat needs a common wire to power its display and the wireless radio in winter.' })!;
    expect(fragment.split(' ').length).toBeGreaterThanOrEqual(3);
    expect(fragment).not.toBe('The thermostat needs a common wire to power its display and the wireless radio in winter.');
    expect(probeQuestion({ ...base, lang: 'zh', kind: 'passage', text: '手环防水等级为五十米，可以在泳池游泳，但不能洗热水澡。' })).toBe('手环防水等级为五十米');
  });
  it('moves the fitted threshold only as far as the knowledge base’s probes demand', () => {
    const positives = Array.from({ length: 100 }, (_, i) => 0.1 + i / 125); // 5 % quantile ≈ 0.14
    expect(calibratedThreshold(0.3, positives, [0.05, 0.1], 0.05)).toBeCloseTo(quantile(positives, 0.05));
    const strong = Array.from({ length: 100 }, (_, i) => 0.6 + i / 300);
    expect(calibratedThreshold(0.3, strong, [0.1, 0.2], 0.05)).toBe(0.3);
    const highNegatives = Array.from({ length: 10 }, (_, i) => 0.3 + i / 50); // 90 % quantile ≈ 0.46
    expect(calibratedThreshold(0.3, strong, highNegatives, 0.05)).toBeCloseTo(quantile(highNegatives, 0.9));
  });
  it('computes quantiles and AUROC', () => {
    expect(quantile([0.1, 0.2, 0.3, 0.4, 0.5], 0.25)).toBeCloseTo(0.2);
    expect(auroc([0.9, 0.8], [0.1, 0.85])).toBeCloseTo(0.75);
  });
});

describe('citation support', () => {
  const sources = new Map([
    [1, 'The band is water resistant to 5 ATM; you can swim in a pool but not in a sauna.'],
    [2, 'Returns are accepted within 30 days of delivery.'],
  ]);
  it('drops a citation whose source does not support the sentence, keeping the supported ones', () => {
    const verified = verifyCitations('The band is water resistant to 5 ATM, fine for pool swimming [1]. We refund every order, no questions asked [2].', new Set([1, 2]), sources);
    expect(verified).toMatchObject({ used: [1], unsupported: [2] });
    expect(verified!.text).not.toContain('[2]');
  });
  it('treats an answer whose every citation is unsupported as ungrounded', () => {
    expect(verifyCitations('Everything is refundable forever [1].', new Set([1, 2]), sources)).toBeUndefined();
  });
});
