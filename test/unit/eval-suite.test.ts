import { describe, expect, it } from 'vitest';
import { aurocOf, extractiveAccuracy, outcomeTable, type QueryRun, querySchema, rankMetrics } from '../../eval/suite.js';
import { chooseBand } from '../../eval/fit-answerability.js';

describe('eval query sets', () => {
  it('accept a missing or regional language tag, detecting the language from the text', () => {
    expect(querySchema.parse({ id: 1, text: '手环可以游泳吗？' })).toMatchObject({ id: '1', lang: 'zh', answerable: true, relevant: [] });
    expect(querySchema.parse({ id: 'q', text: 'Can I swim?', lang: 'en-US' }).lang).toBe('en');
    // Any ISO code is kept (issue 28): a French-tagged query is reported as French, not coerced to English.
    expect(querySchema.parse({ id: 'q', text: 'Puis-je nager avec ?', lang: 'fr' }).lang).toBe('fr');
    expect(querySchema.parse({ id: 'q', text: 'Pulse Band 3 ใช้ว่ายน้ำได้ไหม' }).lang).toBe('th');
  });
});

describe('eval metrics', () => {
  const run = (relevant: string[], ranked: string[], answerable = true, answerability = 0.5) =>
    ({ query: { id: 'q', text: 'q', lang: 'en', relevant, answerable }, kefu: ranked, lexical: [], dense: [], answerability, threshold: 0.5 }) as unknown as QueryRun;
  it('compute hit@k and MRR over answerable queries only', () => {
    const metrics = rankMetrics([run(['a'], ['a', 'b']), run(['b'], ['a', 'b']), run(['c'], ['a', 'b']), run([], ['a'], false)], (entry) => entry.kefu);
    expect(metrics).toMatchObject({ queries: 3, hitAt1: 1 / 3, hitAt5: 2 / 3 });
    expect(metrics.mrrAt10).toBeCloseTo((1 + 0.5 + 0) / 3);
  });
  it('compute AUROC with ties counted half', () => {
    expect(aurocOf([run(['a'], [], true, 0.9), run(['a'], [], true, 0.4), run([], [], false, 0.4), run([], [], false, 0.1)])).toBeCloseTo((1 + 1 + 0.5 + 1) / 4);
  });
  it('score extractive answers by gold span and by quoted document, a refusal counting as a miss', () => {
    const quoted = (relevant: string[], extractive: string | null, extractiveDoc: string | null, answers?: string[]) =>
      ({ ...run(relevant, []), query: { id: 'q', text: 'q', lang: 'en', relevant, answerable: true, answers }, extractive, extractiveDoc }) as unknown as QueryRun;
    const passages = extractiveAccuracy([quoted(['a'], 'It opened in 1901. [1]', 'a', ['1901']), quoted(['a'], 'It closed. [1]', 'b', ['1901']), quoted(['a'], null, null, ['1901'])]);
    expect(passages).toMatchObject({ queries: 3, containsGold: 1 / 3, ofAnswered: 1 / 2, quotesRelevant: 1 / 3 });
    // FAQ sets carry no answer spans: only the quoted document is scored.
    const faq = extractiveAccuracy([quoted(['a'], '(FAQ: …) Yes. [1]', 'a'), quoted(['a', 'c'], '(FAQ: …) No. [2]', 'c'), quoted(['a'], null, null), run([], [], false)]);
    expect(faq.queries).toBe(0);
    expect(faq.containsGold).toBeNaN();
    expect(faq.quotesRelevant).toBeCloseTo(2 / 3);
  });
});

describe('three outcomes and the band chosen without the held-out set', () => {
  const run = (answerable: boolean, outcome: string, suggested: string[] = [], type?: string) =>
    ({ query: { id: 'q', text: 'q', lang: 'en', relevant: answerable ? ['d1'] : [], answerable, type }, suggested, outcome }) as unknown as QueryRun;
  it('counts answered / suggested / refused over answerable and unanswerable, and relevant documents among suggestions', () => {
    const table = outcomeTable([
      run(true, 'answer'),
      run(true, 'uncertain', ['d2', 'd1']),
      run(true, 'uncertain', ['d3']),
      run(true, 'refuse'),
      run(false, 'answer', [], 'twin_removed'),
      run(false, 'refuse', [], 'out_of_scope_clinc150'),
    ]);
    expect(table.answerable).toEqual({ n: 4, answered: 0.25, suggested: 0.5, refused: 0.25 });
    expect(table.relevantSuggested).toBe(0.5);
    expect(table.byType.twin_removed.answered).toBe(1);
    expect(table.byType.out_of_scope_clinc150.refused).toBe(1);
  });
  it('chooses the refusal cut by answerable questions on every group and the confident cut by in-domain unanswerable ones only', () => {
    const scored = [
      ...Array.from({ length: 100 }, (_, i) => ({ p: 0.3 + (i / 100) * 0.7, label: 1 as const, set: 'a' })),
      ...Array.from({ length: 100 }, (_, i) => ({ p: (i / 100) * 0.8, label: 0 as const, set: 'a', type: 'twin_removed' })),
      // Out-of-scope questions that score high must not move the confident cut.
      ...Array.from({ length: 50 }, () => ({ p: 0.99, label: 0 as const, set: 'b', type: 'out_of_scope_clinc150' })),
      ...Array.from({ length: 50 }, () => ({ p: 0.9, label: 1 as const, set: 'b' })),
    ];
    const band = chooseBand(scored, 0.03, 0.25);
    expect(band.refuse).toBeCloseTo(0.32, 2);
    // 25 % of the twins (p from 0 to 0.8) lie at or above 0.6.
    expect(band.answer).toBeCloseTo(0.6, 2);
  });
});
