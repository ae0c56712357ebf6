import { beforeAll, describe, expect, it } from 'vitest';
import type { ChatMessage, ChatModel } from '../../src/answer/chat-model.js';
import { resolveFollowUp } from '../../src/chat/follow-up.js';
import type { Turn } from '../../src/chat/session-store.js';
import { ProductLineClassifier, loadProductLineRules } from '../../src/classify/product-lines.js';

let classifier: ProductLineClassifier;
beforeAll(async () => {
  classifier = new ProductLineClassifier(await loadProductLineRules('knowledge/product-lines.yaml'));
});

const turn = (question: string, productLine = 'B'): Turn => ({ answerId: 'a', question, answer: 'answer [1]', lang: 'zh', productLine, mode: 'extractive', citations: [], at: '' });

/** An in-process ChatModel stand-in that answers with a fixed text, or fails. */
function scriptedModel(reply: string | Error): ChatModel & { seen: ChatMessage[][] } {
  const seen: ChatMessage[][] = [];
  return {
    name: 'scripted',
    seen,
    async *stream(messages) {
      seen.push(messages);
      if (reply instanceof Error) throw reply;
      yield reply;
    },
    ping: async () => true,
  };
}

describe('follow-up candidates', () => {
  it('has none for a first question, and marks a question naming its own product line as a new topic', async () => {
    expect(await resolveFollowUp('手环续航多久？', [], classifier)).toBeUndefined();
    expect(await resolveFollowUp('行车记录仪用什么卡？', [turn('手环续航多久？')], classifier, { lang: 'zh' })).toMatchObject({ namesOwnLine: true });
  });

  it('by rule: classifies with earlier questions and carries their product terms', async () => {
    const resolved = await resolveFollowUp('那它支持安卓吗？', [turn('Pulse Band 3 手环续航多久？')], classifier, { lang: 'zh' });
    expect(resolved).toMatchObject({ anaphoric: true, namesOwnLine: false, condensedBy: 'rule', classificationContext: 'Pulse Band 3 手环续航多久？' });
    expect(resolved!.question).toMatch(/^那它支持安卓吗？ .*pulse band/);
    expect(classifier.classify(`${resolved!.classificationContext}\n那它支持安卓吗？`).productLine).toBe('B');
  });

  it('with an LLM: uses its standalone rewrite, and falls back to the rule when it fails', async () => {
    const model = scriptedModel('Pulse Band 3 手环支持安卓手机吗？\n');
    const resolved = await resolveFollowUp('那它支持安卓吗？', [turn('Pulse Band 3 手环续航多久？')], classifier, { lang: 'zh', chatModel: model });
    expect(resolved).toMatchObject({ condensedBy: 'llm', question: 'Pulse Band 3 手环支持安卓手机吗？' });
    expect(model.seen[0][1].content).toContain('Pulse Band 3 手环续航多久？');
    const failing = await resolveFollowUp('那它支持安卓吗？', [turn('Pulse Band 3 手环续航多久？')], classifier, { lang: 'zh', chatModel: scriptedModel(new Error('down')) });
    expect(failing?.condensedBy).toBe('rule');
  });

  it('marks pointers ("what about", "it") and elliptic questions as anaphoric, a full new question as not', async () => {
    const history = [turn('How long is the warranty on the Pulse Watch Pro?', 'B')];
    const pointer = await resolveFollowUp('what about the return window?', history, classifier, { lang: 'en' });
    expect(pointer).toMatchObject({ anaphoric: true });
    expect(pointer!.question).toMatch(/return window.*pulse watch/i);
    expect(await resolveFollowUp('Android?', history, classifier, { lang: 'en' })).toMatchObject({ anaphoric: true });
    expect(await resolveFollowUp('What is the capital of France?', history, classifier, { lang: 'en' })).toMatchObject({ anaphoric: false, namesOwnLine: false });
    expect(await resolveFollowUp('法国的首都是哪里？', history, classifier, { lang: 'zh' })).toMatchObject({ anaphoric: false });
    expect(await resolveFollowUp('价格呢？', history, classifier, { lang: 'zh' })).toMatchObject({ anaphoric: true });
  });
});
