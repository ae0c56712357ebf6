import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { SourceInfo } from '../../src/answer/answer-service.js';
import { ChannelTurns } from '../../src/channels/channel-turns.js';
import { formatReply, plainText, splitMessages } from '../../src/channels/format-reply.js';
import { composeReply } from '../../src/email/compose-reply.js';
import { ContentLabels, contentKind } from '../../src/moderation/content-label.js';

const source = (n: number, url?: string): SourceInfo => ({
  n,
  chunkId: `c${n}`,
  docId: `d${n}`,
  title: `手环说明书 ${n}`,
  path: `faq/${n}.md`,
  heading: '防水',
  productLine: 'A',
  kind: 'faq',
  snippet: '',
  ...(url ? { url } : {}),
});

describe('answers in chat-app format', () => {
  it('removes the Markdown WeChat would show as symbols, keeping the words and links', () => {
    expect(plainText('## 防水\n**可以**戴着游泳，*不要*洗热水澡。\n- 第一步\n- 第二步\n详见 [说明书](https://help.example.com/a) 和 `5ATM`。')).toBe(
      '防水\n可以戴着游泳，不要洗热水澡。\n• 第一步\n• 第二步\n详见 说明书 (https://help.example.com/a) 和 5ATM。',
    );
  });

  it('sources become lines with their links, and the label ends the last message', () => {
    const parts = formatReply({ text: '可以游泳[1]。', citations: [source(1, 'https://help.example.com/band')], notice: null }, 'zh', '本回答由 AI 生成，仅供参考', { maxBytes: 2000, maxParts: 5 });
    expect(parts).toEqual(['可以游泳[1]。\n\n来源：\n[1] 手环说明书 1 — 防水 https://help.example.com/band\n\n— 本回答由 AI 生成，仅供参考']);
  });

  it('every message stays within the byte limit, no character is cut, and the label survives a cut answer (property)', () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom('手', '环', '。', '\n', 'a', ' ', '😀', '.'), maxLength: 3000 }), fc.integer({ min: 60, max: 400 }), (text, maxBytes) => {
        const parts = formatReply({ text, citations: [], notice: null }, 'zh', 'AI 生成', { maxBytes, maxParts: 3 });
        for (const part of parts) {
          expect(Buffer.byteLength(part)).toBeLessThanOrEqual(maxBytes);
          expect(part).not.toMatch(/[\uD800-\uDBFF]$|^[\uDC00-\uDFFF]/);
        }
        expect(parts.length).toBeLessThanOrEqual(3);
        if (parts.length) expect(parts.at(-1)!.endsWith('— AI 生成')).toBe(true);
      }),
      { numRuns: 300 },
    );
    expect(splitMessages('句子。'.repeat(400), { maxBytes: 300, maxParts: 2 }).at(-1)!.endsWith('…')).toBe(true);
  });

  it('the session of a platform user is stable, per chat, and carries no platform id', () => {
    const a = ChannelTurns.sessionId({ channel: 'wechat', account: 'wx1', user: 'oUser' });
    expect(a).toMatch(/^wechat-[0-9a-f]{40}$/);
    expect(a).toBe(ChannelTurns.sessionId({ channel: 'wechat', account: 'wx1', user: 'oUser' }));
    expect(a).not.toBe(ChannelTurns.sessionId({ channel: 'wechat', account: 'wx1', user: 'oUser', chat: 'group' }));
    expect(a).not.toContain('oUser');
  });
});

describe('content labels', () => {
  it('generated answers are labelled AI, quotes and curated answers as what they are, templates not at all', () => {
    expect(['generated', 'extractive', 'fallback', 'curated', 'refusal', 'clarify'].map(contentKind)).toEqual(['ai_generated', 'quoted', 'quoted', 'curated', 'template', 'template']);
    const labels = new ContentLabels(undefined, 'lumora');
    expect(labels.label('generated', 'en', 'id-1')).toEqual({ kind: 'ai_generated', text: 'AI-generated answer', implicit: { Label: '1', ContentProducer: 'lumora', ProduceID: 'id-1' } });
    expect(labels.label('curated', 'zh', 'id-2').implicit.Label).toBe('0');
    expect(ContentLabels.header(labels.label('generated', 'zh', 'id-3'))).toBe('{"Label":"1","ContentProducer":"lumora","ProduceID":"id-3"}');
  });

  it('an e-mail reply ends with the visible label when one is given', () => {
    const reply = composeReply(
      { answer: 'Up to 7 days.', mode: 'generated', refused: false, citations: [] },
      { lang: 'en', customerName: 'Anna', subject: 'Battery', companyName: 'Lumora', handoffContact: 'x', contentLabel: 'AI-generated answer' },
    );
    expect(reply.text.endsWith('Best regards,\nLumora Support\n\n— AI-generated answer')).toBe(true);
    expect(reply.html).toContain('AI-generated answer');
  });
});
