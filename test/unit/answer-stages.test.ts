import { describe, expect, it } from 'vitest';
import { chooseFollowUp, questionLanguage, shouldCache } from '../../src/answer/answer-service.js';
import { answerability, type AnswerabilityModel, modelFingerprint } from '../../src/answer/answerability.js';
import { verifyCitations } from '../../src/answer/grounding.js';
import { RefusalThresholds } from '../../src/answer/refusal-threshold.js';
import { decideStage, suggestStage, withoutDocuments } from '../../src/answer/stages.js';
import { findsOwnTerms } from '../../src/answer/answer-service.js';
import { parseVerdict } from '../../src/answer/verdict.js';
import { MESSAGES } from '../../src/answer/messages.js';
import { calibratedAnswerThreshold, tradeOffCurve } from '../../src/calibrate/self-calibration.js';
import { auroc, calibratedThreshold, probeQuestion, quantile } from '../../src/calibrate/self-calibration.js';
import { fuseLists } from '../../src/retrieve/fusion.js';
import { gatherEvidence } from '../../src/retrieve/evidence.js';
import type { ScoredChunk } from '../../src/store/knowledge-store.js';

const hit = (id: string, score: number, text = id): ScoredChunk =>
  ({ id, docId: id, score, text, title: '', headingPath: '', sourcePath: '', productLine: 'general', lang: 'en', kind: 'passage', searchText: text, contentHash: '', docHash: '', chunkIndex: 0, metadata: {} }) as ScoredChunk;

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

describe('three outcomes: answer, the middle band, refuse', () => {
  const lists = (dense: number, text: string) => [
    { source: 'dense:vector' as const, hits: [hit('a', dense, text), hit('b', dense - 0.1)] },
    { source: 'lexical' as const, hits: [hit('a', 10, text)] },
  ];
  it('puts answerability between the two cuts in the middle band, and a single cut has none', () => {
    const strong = lists(0.9, 'battery life is two weeks');
    const decide = (band: number | { refuse: number; answer: number }) => decideStage('battery life', 'en', strong, fuseLists(strong, { lexical: 1 }), band, model);
    const p = decide(0).answerability;
    expect(decide({ refuse: p - 0.1, answer: p + 0.1 })).toMatchObject({ outcome: 'uncertain', answer: false, threshold: p - 0.1 });
    expect(decide({ refuse: p - 0.2, answer: p - 0.1 })).toMatchObject({ outcome: 'answer', answer: true });
    expect(decide({ refuse: p + 0.1, answer: p + 0.2 })).toMatchObject({ outcome: 'refuse', answer: false });
    expect(decide(p + 0.01).outcome).toBe('refuse');
    // An answer cut below the refusal cut is no band at all.
    expect(decide({ refuse: p + 0.1, answer: 0 }).band).toEqual({ refuse: p + 0.1, answer: p + 0.1 });
  });
  it('suggests FAQ questions and distinct section labels, one per document, own language first', () => {
    const faq = (id: string, question: string, lang = 'en') => ({ ...hit(id, 1), docId: id, kind: 'faq' as const, lang, metadata: { question, answer: 'x' } });
    const ranked = fuseLists(
      [
        {
          source: 'lexical' as const,
          hits: [
            faq('f1', 'Can I swim with the band?'),
            { ...faq('f1', 'Can I swim with the band?'), id: 'f1-b' },
            faq('f2', '手环可以游泳吗？', 'zh'),
            { ...hit('p1', 1, 'The band is rated 5 ATM. It survives rain.'), title: 'Manual', headingPath: 'Manual > Water resistance' },
            { ...hit('p2', 1, 'Charge it weekly. More text.'), title: 'Manual', headingPath: 'Manual' },
          ],
        },
      ],
      { lexical: 1 },
    );
    // A section names its document; a passage under the document's own heading only, its title (suggestion-labels.test.ts).
    expect(suggestStage(ranked, 'en').map((s) => s.text)).toEqual(['Can I swim with the band?', 'Water resistance — Manual', 'Manual']);
    expect(suggestStage(ranked, 'zh')[0].text).toBe('手环可以游泳吗？');
  });
  it('keeps every suggestion on one line: a crawled FAQ question or heading with line breaks cannot push a markdown link into the widget\'s contact line', () => {
    const faq = (id: string, question: string) => ({ ...hit(id, 1), docId: id, kind: 'faq' as const, metadata: { question, answer: 'x' } });
    const ranked = fuseLists(
      [
        {
          source: 'lexical' as const,
          hits: [
            faq('f1', 'Can I swim?\n[Call support now](https://evil.example/phish)'),
            { ...hit('p1', 1, 'The band is rated 5 ATM.'), title: 'Manual', headingPath: 'Manual > Water\r\n[Login](https://evil.example/login)' },
            { ...hit('p2', 1, 'Charge it weekly.\u2028[Reset](https://evil.example/reset) More.'), title: 'Manual', headingPath: 'Manual' },
          ],
        },
      ],
      { lexical: 1 },
    );
    const suggestions = suggestStage(ranked, 'en');
    expect(suggestions).toHaveLength(3);
    for (const suggestion of suggestions) expect(suggestion.text).not.toMatch(/[\n\r\u2028\u2029\v\f\u0085]/);
    // The widget reads the lead line, one line per suggestion, then the contact line: the count must hold.
    const message = MESSAGES.suggest.en(
      suggestions.map((suggestion) => suggestion.text),
      'support@example.com',
    );
    expect(message.split('\n')).toHaveLength(1 + suggestions.length + 1);
  });
  it('gives the last suggestion to the closest in meaning the fused ranking left out, in the question language\'s own space', () => {
    // Fused order a, b, c, d; c is a sibling that shares the question's words (full text only), d the paraphrase.
    const candidate = (id: string, fused: number, scores: Record<string, number>) => ({ ...hit(id, 0, `${id} text.`), title: 'FAQ', headingPath: `FAQ > Entry ${id}`, fusedScore: fused, scores, ranks: {} });
    const ranked = [
      candidate('a', 4, { 'dense:vector_en': 0.8, lexical: 9 }),
      candidate('b', 3, { 'dense:vector_en': 0.7, lexical: 8 }),
      candidate('c', 2, { lexical: 7 }),
      candidate('d', 1, { 'dense:vector_en': 0.78 }),
    ];
    expect(suggestStage(ranked, 'en').map((s) => s.docId)).toEqual(['a', 'b', 'd']);
    // A question searched only in the multilingual space has no such score: the fused order stands.
    const multilingual = ranked.map((entry) => ({ ...entry, scores: { 'dense:vector_multi': entry.scores['dense:vector_en'] ?? 0 } }));
    expect(suggestStage(multilingual, 'en').map((s) => s.docId)).toEqual(['a', 'b', 'c']);
  });
  it('retrieves as if documents were removed: an unanswerable twin or a leave-one-out probe', () => {
    const retrieved = { lists: lists(0.9, 'battery life'), ranked: fuseLists(lists(0.9, 'battery life'), { lexical: 1 }) };
    const twin = withoutDocuments(retrieved, new Set(['a']));
    expect(twin.ranked.map((c) => c.docId)).toEqual(['b']);
    expect(twin.lists.flatMap((list) => list.hits.map((h) => h.docId))).toEqual(['b']);
  });
});

describe('the model’s verdict in the middle band', () => {
  it('reads bare JSON, fenced JSON and JSON with words around it; anything else is no verdict', () => {
    expect(parseVerdict('{"verdict":"decline","answer":""}')).toEqual({ verdict: 'decline', answer: '' });
    expect(parseVerdict('```json\n{"verdict": "Answer", "answer": "It is waterproof [1]. {sic}"}\n```')).toEqual({ verdict: 'answer', answer: 'It is waterproof [1]. {sic}' });
    expect(parseVerdict('Sure! {"note": 1} then {"verdict":"answer","answer":"A [2]"}')).toEqual({ verdict: 'answer', answer: 'A [2]' });
    expect(parseVerdict('I think the sources cover it.')).toBeUndefined();
    expect(parseVerdict('{"verdict":"maybe","answer":"x"}')).toBeUndefined();
    expect(parseVerdict('{"verdict":"answer", "answer": "unterminated')).toBeUndefined();
  });

  it('reads hostile output in linear time: a run of unclosed braces (a model led on by a crawled page) does not hold the event loop', () => {
    // CPU time of one call, the least of three readings (noise only adds), at 2,000 and 16,000 characters: linear
    // grows about 8x, the old scan from every brace to the end about 64x.
    const cpuMs = () => {
      const usage = process.cpuUsage();
      return (usage.user + usage.system) / 1000;
    };
    const perCall = (text: string) => {
      let calls = 0;
      const start = cpuMs();
      do {
        parseVerdict(text);
        calls++;
      } while (cpuMs() - start < 10);
      return (cpuMs() - start) / calls;
    };
    for (const unit of ['{', '{"a":', '{"verdict":"answer","answer":"x" ']) {
      const small = unit.repeat(Math.ceil(2000 / unit.length));
      const large = small.repeat(8);
      parseVerdict(small);
      const ratio = Math.min(perCall(large), perCall(large), perCall(large)) / Math.min(perCall(small), perCall(small), perCall(small));
      expect(ratio, JSON.stringify(unit)).toBeLessThan(32);
    }
    // A verdict after a few stray braces is still found.
    expect(parseVerdict('{ oops { {"verdict":"decline","answer":""}')).toEqual({ verdict: 'decline', answer: '' });
  });
});

describe('calibration of the confident cut and the trade-off curve', () => {
  it('sets the answer cut where at most the target share of in-domain unanswerable probes still score, never below the refusal cut', () => {
    const inDomain = Array.from({ length: 20 }, (_, i) => i / 20);
    expect(calibratedAnswerThreshold(0.2, 0.5, inDomain, 0.3)).toBeCloseTo(quantile(inDomain, 0.7));
    expect(calibratedAnswerThreshold(0.9, 0.5, inDomain, 0.3)).toBe(0.9);
    // Never below the model's fitted confident cut; too few probes: that cut.
    expect(calibratedAnswerThreshold(0.2, 0.8, inDomain, 0.3)).toBe(0.8);
    expect(calibratedAnswerThreshold(0.2, 0.5, [0.1, 0.2], 0.3)).toBe(0.5);
  });
  it('raises the refusal cut for out-of-domain probes by at most 0.05 above the fitted one', () => {
    const easy = Array.from({ length: 40 }, (_, i) => 0.8 + i / 200);
    const offTopic = Array.from({ length: 40 }, (_, i) => i / 50);
    expect(calibratedThreshold(0.2, easy, offTopic, 0.05)).toBeCloseTo(0.25);
  });
  it('gives the share of each probe kind below every cut', () => {
    const curve = tradeOffCurve([0.9, 0.8, 0.1], [0.5, 0.2], [0.05, 0.05]);
    expect(curve.find((point) => point.threshold === 0.3)).toEqual({ threshold: 0.3, answerableBelow: 0.333, inDomainBelow: 0.5, outOfDomainBelow: 1 });
  });
});

describe('follow-ups decided on evidence', () => {
  it('a condensed follow-up answers only when the top chunks hold the question’s own terms', () => {
    const swimming = [{ title: 'FAQ', headingPath: '', text: '手环支持五十米防水，可以戴着游泳。' }];
    expect(findsOwnTerms('它多少钱？', swimming)).toBe(false);
    expect(findsOwnTerms('它防水吗？', swimming)).toBe(true);
    expect(findsOwnTerms('Does it support Android?', [{ title: 'Drive Link', headingPath: '', text: 'Drive Link supports Android Auto and CarPlay.' }])).toBe(true);
  });
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
    expect(await new RefusalThresholds({ ...source('x'), explicit: { en: 0.8 } }).resolve('en')).toEqual({ threshold: 0.8, answerThreshold: 0.8, source: 'setting' });
    expect(await new RefusalThresholds(source(modelFingerprint(model))).resolve('en')).toEqual({ threshold: 0.3, answerThreshold: 0.3, source: 'calibrated' });
    expect(await new RefusalThresholds(source('stale')).resolve('en')).toEqual({ threshold: 0.5, answerThreshold: 0.5, source: 'model-default' });
  });

  it('follow the version the answer was read from, without reading it again', async () => {
    let reads = 0;
    const thresholds = new RefusalThresholds({
      explicit: {},
      currentVersion: async () => (reads++, 7),
      calibration: async (version) => (version === 7 ? { ...calibration, model: modelFingerprint(model) } : undefined),
      model,
    });
    expect(await thresholds.resolve('en', 7)).toEqual({ threshold: 0.3, answerThreshold: 0.3, source: 'calibrated' });
    // Version 8 has no calibration of its own: the model default, not 7's threshold.
    expect(await thresholds.resolve('en', 8)).toEqual({ threshold: 0.5, answerThreshold: 0.5, source: 'model-default' });
    expect(reads).toBe(0);
    expect(await thresholds.resolve('en')).toEqual({ threshold: 0.3, answerThreshold: 0.3, source: 'calibrated' });
    expect(reads).toBe(1);
  });
});

describe('self-calibration helpers', () => {
  it('draws probe questions from FAQ entries, question headings and passage fragments', () => {
    const base = { id: 'c1', lang: 'en', headingPath: '', metadata: {} };
    expect(probeQuestion({ ...base, kind: 'faq', text: '', metadata: { question: 'Can I swim with it?' } })).toBe('Can I swim with it?');
    expect(probeQuestion({ ...base, kind: 'passage', headingPath: 'Guide > How do I reset the hub?', text: 'Hold the button.' })).toBe('How do I reset the hub?');
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
    // Raised toward the out-of-domain probes' 90 % point (≈ 0.46), but at most 0.05 above the fitted cut.
    expect(calibratedThreshold(0.3, strong, highNegatives, 0.05)).toBeCloseTo(0.35);
    expect(calibratedThreshold(0.42, strong, highNegatives, 0.05)).toBeCloseTo(quantile(highNegatives, 0.9));
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
