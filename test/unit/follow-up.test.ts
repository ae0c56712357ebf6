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

describe('follow-up resolution', () => {
  it('leaves a first question or a question with its own product line alone', async () => {
    expect(await resolveFollowUp('手环续航多久？', [], classifier)).toMatchObject({ isFollowUp: false, retrievalQuestion: '手环续航多久？' });
    expect(await resolveFollowUp('行车记录仪用什么卡？', [turn('手环续航多久？')], classifier)).toMatchObject({ isFollowUp: false });
  });

  it('by rule: classifies with earlier questions and carries their product terms', async () => {
    const resolved = await resolveFollowUp('那它支持安卓吗？', [turn('Pulse Band 3 手环续航多久？')], classifier, { lang: 'zh' });
    expect(resolved).toMatchObject({ isFollowUp: true, condensedBy: 'rule', classificationContext: 'Pulse Band 3 手环续航多久？' });
    expect(resolved.retrievalQuestion).toMatch(/^那它支持安卓吗？ .*pulse band/);
    expect(classifier.classify(`${resolved.classificationContext}\n那它支持安卓吗？`).productLine).toBe('B');
  });

  it('with an LLM: uses its standalone rewrite, and falls back to the rule when it fails', async () => {
    const model = scriptedModel('Pulse Band 3 手环支持安卓手机吗？\n');
    const resolved = await resolveFollowUp('那它支持安卓吗？', [turn('Pulse Band 3 手环续航多久？')], classifier, { lang: 'zh', chatModel: model });
    expect(resolved).toMatchObject({ condensedBy: 'llm', retrievalQuestion: 'Pulse Band 3 手环支持安卓手机吗？' });
    expect(model.seen[0][1].content).toContain('Pulse Band 3 手环续航多久？');
    const failing = await resolveFollowUp('那它支持安卓吗？', [turn('Pulse Band 3 手环续航多久？')], classifier, { lang: 'zh', chatModel: scriptedModel(new Error('down')) });
    expect(failing.condensedBy).toBe('rule');
  });

  it('treats English pointers ("what about", "it") as follow-ups', async () => {
    const resolved = await resolveFollowUp('what about the return window?', [turn('How long is the warranty on the Pulse Watch Pro?', 'B')], classifier, { lang: 'en' });
    expect(resolved.isFollowUp).toBe(true);
    expect(resolved.retrievalQuestion).toMatch(/return window.*pulse watch/i);
  });
});
