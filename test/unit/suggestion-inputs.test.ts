import { describe, expect, it } from 'vitest';
import type { ChatModel } from '../../src/answer/chat-model.js';
import { composeReply, replyBody } from '../../src/email/compose-reply.js';
import type { DraftRecord } from '../../src/email/email-store.js';
import { humanReplyOf } from '../../src/email/human-reply.js';
import type { Embedder } from '../../src/embed/embedder.js';
import { type GapSignal, GapReporter } from '../../src/insights/gaps.js';
import { draftAnswer } from '../../src/suggest/draft-answer.js';
import type { RetrievalResult } from '../../src/retrieve/hybrid-retriever.js';
import type { Candidate } from '../../src/retrieve/fusion.js';
import { MemoryState } from '../../src/state/shared-state.js';
import { SuggestionStore, suggestionId } from '../../src/suggest/suggestion-store.js';
import { Suggestions } from '../../src/suggest/suggestions.js';

/** What a suggestion is made of: the answer in a person's reply, the gap it answers, a drafted answer, its id. */
const context = { companyName: 'Lumora', handoffContact: { zh: '400-820-1234', en: '+86 400 820 1234' }, maxQuestionChars: 1000 };
const refusal = { answer: '', mode: 'refusal' as const, refused: true, citations: [] };

function draftRecord(lang: 'zh' | 'en', edited: string | undefined): DraftRecord {
  const draft = composeReply(refusal, { lang, customerName: 'Anna', subject: 'Bitcoin', companyName: 'Lumora', handoffContact: context.handoffContact[lang], contentLabel: 'AI generated' });
  return {
    id: 'draft-1',
    lang,
    subject: 'Bitcoin',
    customerText: lang === 'en' ? 'Hello,\n\nMy order is waiting. Can I pay for it in Bitcoin?\n\nThanks' : '您好，\n\n可以用比特币付款吗？',
    answer: { answerId: 'a', mode: 'refusal', refused: true, confidence: 0, productLine: 'general', citations: [] },
    draft,
    final: edited === undefined ? draft : { ...draft, text: edited },
    events: [{ at: '2026-12-07T09:00:00.000Z', action: 'approved', by: 'reviewer', details: { textChanged: edited !== undefined } }],
  } as unknown as DraftRecord;
}

describe('the answer in an approved e-mail reply', () => {
  it('is the reply without the letter around it (greeting, thanks, closing, sign-off, label), in English and Chinese', () => {
    for (const [lang, answer] of [
      ['en', 'We do not accept Bitcoin.\n\nYou can pay by card or PayPal.'],
      ['zh', '暂不支持比特币付款，可以使用支付宝或银行卡。'],
    ] as const) {
      const record = draftRecord(lang, undefined);
      const holding = record.draft.text.split('\n\n').find((paragraph) => paragraph.includes(context.handoffContact[lang]))!;
      const edited = record.draft.text.replace(holding, answer);
      expect(replyBody(edited, { lang, companyName: 'Lumora', handoffContact: context.handoffContact[lang] })).toBe(answer);
      expect(humanReplyOf(draftRecord(lang, edited), context)).toMatchObject({ answer, lang, by: 'reviewer', draftId: 'draft-1' });
    }
    expect(humanReplyOf(draftRecord('en', 'Dear Anna,\n\nYes, we do.'), context)?.question).toBe('My order is waiting. Can I pay for it in Bitcoin?');
  });

  it('is nothing when the reviewer sent the drafted text unchanged: Kefu learns nothing from its own words', () => {
    expect(humanReplyOf(draftRecord('en', undefined), context)).toBeUndefined();
  });
});

/** Vectors from keywords: questions sharing one are similar, others orthogonal. */
const keywords = ['bitcoin', 'student', 'helmet'];
const embedder: Embedder = {
  modelKey: 'keywords',
  dimension: keywords.length,
  maxEmbeddingsPerCall: 16,
  countTokens: (text) => text.length,
  embedPassages: async (texts) => texts.map(vector),
  embedQuery: async (text) => vector(text),
};
function vector(text: string): Float32Array {
  return Float32Array.from(keywords.map((keyword) => (text.toLowerCase().includes(keyword) ? 1 : 0.01)));
}
const signal = (id: string, question: string, at: string): GapSignal => ({ id, question, productLine: 'general', lang: 'en', at, kind: 'refused' });

describe('a gap and the suggestion that fixed it', () => {
  const signals = [
    signal('1-0', 'Can I pay in Bitcoin?', '2026-12-01T00:00:00.000Z'),
    signal('2-0', 'Bitcoin accepted?', '2026-12-02T00:00:00.000Z'),
    signal('3-0', 'Student discount?', '2026-12-03T00:00:00.000Z'),
  ];

  it('finds the gap a question belongs to, with its signals', async () => {
    const located = await new GapReporter(embedder, { similarity: 0.75 }).locate(signals, 'Do you take bitcoin payments?');
    expect(located).toMatchObject({ gap: { id: '1-0', count: 2 }, signalIds: ['1-0', '2-0'] });
    expect(await new GapReporter(embedder, { similarity: 0.75 }).locate(signals, 'Helmet mount?')).toBeUndefined();
  });

  it('links the gap to its fix by its signals (or, when they left the window, by meaning) and counts the questions that failed after the fix', async () => {
    const reporter = new GapReporter(embedder, { similarity: 0.75 });
    const fix = { suggestionId: 's-1', at: '2026-12-01T12:00:00.000Z', as: 'faq' as const, docId: 'faq-suggested-1', signalIds: ['1-0'], question: 'Can I pay in Bitcoin?' };
    const gaps = await reporter.report(signals, [fix]);
    expect(gaps.find((gap) => gap.id === '1-0')).toMatchObject({ fixedBy: { suggestionId: 's-1', as: 'faq', docId: 'faq-suggested-1' }, questionsSinceFix: 1 });
    expect(gaps.find((gap) => gap.id === '3-0')?.fixedBy).toBeUndefined();
    const later = await reporter.report(signals.slice(1), [fix]);
    expect(later.find((gap) => gap.id === '2-0')).toMatchObject({ fixedBy: { suggestionId: 's-1' }, questionsSinceFix: 1 });
  });
});

describe('an answer drafted for a gap nobody answered', () => {
  const model = (reply: string): ChatModel => ({
    name: 'stub',
    ping: async () => true,
    async *stream() {
      yield reply;
    },
  });
  const documents = [{ title: 'Payments', text: 'We accept cards and PayPal.' }];

  it('is the model’s answer from the nearest documents, or none when it says they do not hold one', async () => {
    await expect(draftAnswer(model('We accept cards and PayPal, not Bitcoin.'), 'Bitcoin?', 'en', documents, { maxTokens: 100 })).resolves.toBe('We accept cards and PayPal, not Bitcoin.');
    await expect(draftAnswer(model('NO_ANSWER'), 'Bitcoin?', 'en', documents, { maxTokens: 100 })).resolves.toBeUndefined();
    await expect(draftAnswer(model('anything'), 'Bitcoin?', 'en', [], { maxTokens: 100 })).resolves.toBeUndefined();
  });
});

describe('suggestion ids', () => {
  it('are one UUID per origin, so the same handoff resolved twice is one suggestion', () => {
    expect(suggestionId('handoff', 'h-1')).toBe(suggestionId('handoff', 'h-1'));
    expect(suggestionId('handoff', 'h-1')).not.toBe(suggestionId('email', 'h-1'));
    expect(suggestionId('gap', 'x')).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });
});

describe('a suggestion becomes a public answer', () => {
  // A chunk of the agents' price sheet and a public FAQ chunk: a retriever that, like the store, filters by the
  // audiences it is given and returns everything when given none.
  const chunk = (docId: string, text: string, audiences: string[]) =>
    ({ id: `${docId}#0`, docId, title: docId, headingPath: '', sourcePath: `${docId}.md`, text, audiences, fusedScore: 0.9 }) as unknown as Candidate;
  const internal = chunk('agents-price-sheet', 'Staff note: Bitcoin payments get a secret 40% partner discount.', ['agents']);
  const open = chunk('payments-faq', 'We accept cards and PayPal.', ['public']);
  const asked: (readonly string[] | undefined)[] = [];
  const retriever = {
    retrieve: async (_text: string, options: { audiences?: readonly string[] }) => {
      asked.push(options.audiences);
      const allowed = options.audiences;
      return { candidates: [internal, open].filter((candidate) => !allowed || candidate.audiences!.some((name) => allowed.includes(name))) } as unknown as RetrievalResult;
    },
  };
  const prompts: string[] = [];
  const chatModel: ChatModel = {
    name: 'stub',
    ping: async () => true,
    async *stream(messages) {
      prompts.push(messages.map((message) => message.content).join('\n'));
      yield 'We accept cards and PayPal.';
    },
  };
  const at = new Date().toISOString();
  const logs = {
    readLog: async (name: string) => (name === 'unanswered' ? [{ id: '1-0', entry: { question: 'Can I pay in Bitcoin?', productLine: 'general', lang: 'en', at, answerId: 'a-1' } }] : []),
  };
  const suggestions = new Suggestions({
    store: new SuggestionStore(new MemoryState()),
    gaps: new GapReporter(embedder, { similarity: 0.75 }),
    logs,
    retriever,
    curated: { create: async () => ({}) as never },
    documents: { incomingFile: async () => '', place: async () => '' },
    jobs: { start: async () => ({}) as never },
    chatModel,
    maxDraftTokens: 100,
  });

  it('is drafted from, and shown beside, public documents only: an agents-only document never reaches the FAQ or a curated answer', async () => {
    const [fromGap] = await suggestions.fromGaps(1);
    const fromHandoff = await suggestions.fromHumanAnswer({ kind: 'handoff', ref: 'h-1', question: 'Can I pay in Bitcoin?', answer: 'No, cards and PayPal only.', lang: 'en' });
    for (const suggestion of [fromHandoff, fromGap]) expect(suggestion.sources.map((source) => source.docId)).toEqual(['payments-faq']);
    expect(prompts.join('\n')).not.toContain('secret');
    expect(asked).toEqual([['public'], ['public']]);
  });
});
