import { describe, expect, it } from 'vitest';
import { composeReply } from '../../src/email/compose-reply.js';
import { emailQuestion } from '../../src/email/email-question.js';
import { baseSubject, rawMessageId, threadKeyOf } from '../../src/email/parse-email.js';
import { splitReply } from '../../src/email/reply-text.js';
import { ReviewRules } from '../../src/email/review-rules.js';

describe('splitting a reply into new text, quoted mail and signature', () => {
  const cases: [string, string, { text: string; quoted?: RegExp; signature?: RegExp }][] = [
    ['Gmail "On … wrote:" over two lines', 'Yes, it is the 2.4 GHz band.\n\nOn Mon, 30 Nov 2026 at 09:00, Lumora Support <support@lumora.example>\nwrote:\n> Which band?', { text: 'Yes, it is the 2.4 GHz band.', quoted: /^On Mon[\s\S]*> Which band\?$/ }],
    ['Outlook From/Sent block', 'Still broken.\n\nFrom: Lumora Support <support@lumora.example>\nSent: Monday, November 30, 2026 9:00 AM\nTo: me\nSubject: RE: lamp\n\nPlease restart it.', { text: 'Still broken.', quoted: /^From: Lumora[\s\S]*Please restart it\.$/ }],
    ['Foxmail 发件人 block', '还是不行。\n\n发件人：Lumora 客服\n发送时间：2026年11月30日 9:00\n收件人：我\n主题：回复：灯泡\n\n请重启。', { text: '还是不行。', quoted: /^发件人[\s\S]*请重启。$/ }],
    ['在…写道', '谢谢，已经好了。\n\n在 2026年11月30日 09:00，Lumora 客服 写道：\n> 请重启设备。', { text: '谢谢，已经好了。', quoted: /写道/ }],
    ['-----Original Message-----', 'See below.\nThe lamp flickers.\n-----Original Message-----\nFrom: x', { text: 'See below.\nThe lamp flickers.', quoted: /Original Message/ }],
    ['-----原始邮件-----', '灯一直闪。\n-----原始邮件-----\n发件人: x', { text: '灯一直闪。', quoted: /原始邮件/ }],
    ['interleaved > quoting', '> Which model?\nThe Glow bulb.\n> Which app version?\n3.2', { text: 'The Glow bulb.\n3.2', quoted: /Which model\?[\s\S]*Which app version\?/ }],
    ['RFC 3676 signature', 'How do I pair it?\n\n-- \nJane\nACME', { text: 'How do I pair it?', signature: /Jane\nACME/ }],
    ['mobile footer', '怎么配对？\n\n发自我的iPhone', { text: '怎么配对？', signature: /iPhone/ }],
    ['sign-off block', 'How do I pair it?\n\nKind regards,\nJane Doe\nHead of IT', { text: 'How do I pair it?', signature: /^Kind regards,\nJane Doe/ }],
    ['Chinese sign-off', '怎么配对？\n\n谢谢！\n张伟', { text: '怎么配对？', signature: /张伟/ }],
    ['"thanks" in the middle is content', 'Thanks for the quick help earlier, but the light still blinks red every few seconds after the reset and the app shows nothing. What now?', { text: 'Thanks for the quick help earlier, but the light still blinks red every few seconds after the reset and the app shows nothing. What now?' }],
    ['all quote: kept whole rather than nothing', '> forwarded text only', { text: '> forwarded text only' }],
  ];
  it.each(cases)('%s', (_name, body, expected) => {
    const parts = splitReply(body);
    expect(parts.text).toBe(expected.text);
    if (expected.quoted) expect(parts.quoted).toMatch(expected.quoted);
    if (expected.signature) expect(parts.signature).toMatch(expected.signature);
  });
});

describe('what retrieval is asked for an e-mail', () => {
  it('takes the question sentences with the sentence before each, without the greeting and story', () => {
    const text = 'Hello,\n\nI bought a Pulse Band 3 last week. It is great for running. How long does the battery last on one charge? I want to plan my trips.';
    expect(emailQuestion('Battery', text, { maxChars: 2000, inThread: false })).toBe('It is great for running. How long does the battery last on one charge?');
    expect(emailQuestion('灯泡', '您好：\n\n我家的 Glow 灯泡昨天装好了。连不上 Wi-Fi 怎么办？', { maxChars: 2000, inThread: false })).toBe('我家的 Glow 灯泡昨天装好了。连不上 Wi-Fi 怎么办？');
  });
  it('takes a mail without a question mark whole, led by the subject of a first message only', () => {
    expect(emailQuestion('Guard Cam S1 Wi-Fi', 'The camera will not connect.', { maxChars: 2000, inThread: false })).toBe('Guard Cam S1 Wi-Fi\nThe camera will not connect.');
    expect(emailQuestion('Guard Cam S1 Wi-Fi', 'The camera will not connect.', { maxChars: 2000, inThread: true })).toBe('The camera will not connect.');
    expect(emailQuestion('S', 'x'.repeat(50), { maxChars: 10, inThread: true })).toHaveLength(10);
  });
});

describe('headers and subjects', () => {
  it('reads the Message-ID from folded raw headers, or hashes a message without one', () => {
    expect(rawMessageId(Buffer.from('Subject: x\r\nMessage-ID:\r\n <abc@x.example>\r\n\r\nbody'))).toBe('<abc@x.example>');
    const hashed = rawMessageId(Buffer.from('Subject: x\r\n\r\nbody'));
    expect(hashed).toMatch(/^<sha256-[0-9a-f]{40}@kefu\.invalid>$/);
    expect(rawMessageId(Buffer.from('Subject: x\r\n\r\nbody'))).toBe(hashed);
  });
  it('strips reply and forward prefixes in English and Chinese and keys a thread by its first message', () => {
    expect(baseSubject('Re: RE: Fwd: Lamp')).toBe('Lamp');
    expect(baseSubject('回复：答复: 灯泡')).toBe('灯泡');
    expect(threadKeyOf({ references: ['<a>', '<b>'], inReplyTo: '<b>', messageId: '<c>' })).toBe('<a>');
    expect(threadKeyOf({ references: [], inReplyTo: undefined, messageId: '<c>' })).toBe('<c>');
  });
});

describe('review rules', () => {
  const rules = new ReviewRules(
    {
      categories: {
        refund: { names: { zh: '退款', en: 'refund' }, patterns: ['退款', '\\brefund'] },
        angry: { names: { zh: '情绪激动', en: 'angry tone' }, patterns: ['垃圾'], exact: ['\\bNOW\\b'] },
      },
    },
    0.5,
  );
  const input = { subject: '', lang: 'en' as const, refused: false, confidence: 0.9, mode: 'generated' };
  it('holds mail matching a category and says which words matched', () => {
    expect(rules.reasons({ ...input, text: 'I want a Refund' })).toEqual([{ code: 'refund', label: 'refund', matched: 'Refund' }]);
    expect(rules.reasons({ ...input, lang: 'zh', text: '太垃圾了，我要退款' }).map((reason) => reason.code)).toEqual(['refund', 'angry']);
  });
  it('treats shouting as shouting only in capitals', () => {
    expect(rules.reasons({ ...input, text: 'Answer me NOW' }).map((reason) => reason.code)).toEqual(['angry']);
    expect(rules.reasons({ ...input, text: 'I need to know now how to pair it' })).toEqual([]);
  });
  it('holds refusals, unsure answers and fallbacks', () => {
    expect(rules.reasons({ ...input, text: 'hi', refused: true, confidence: 0.1 }).map((reason) => reason.code)).toEqual(['refusal']);
    expect(rules.reasons({ ...input, text: 'hi', confidence: 0.3 }).map((reason) => reason.code)).toEqual(['low_confidence']);
    expect(rules.reasons({ ...input, text: 'hi', mode: 'fallback' }).map((reason) => reason.code)).toEqual(['model_unavailable']);
  });
});

describe('composing the reply', () => {
  const citations = [{ n: 1, chunkId: 'c', docId: 'd', title: 'Pulse Band 3 manual', path: 'wearables/x.md', heading: 'Battery', productLine: 'B', kind: 'passage' as const, snippet: '' }];
  it('wraps a quoted answer in a greeting, an introduction, the sources and a sign-off', () => {
    const reply = composeReply({ answer: 'Up to 7 days.', mode: 'extractive', refused: false, citations }, { lang: 'en', customerName: 'Anna', subject: 'Re: Battery', companyName: 'Lumora', handoffContact: 'support@lumora.example' });
    expect(reply.subject).toBe('Re: Battery');
    expect(reply.text).toBe('Dear Anna,\n\nThank you for contacting Lumora Support.\n\nHere is what our help articles say about your question:\n\nUp to 7 days.\n\nSources:\n[1] Pulse Band 3 manual — Battery\n\nIf anything is unclear, simply reply to this e-mail.\n\nBest regards,\nLumora Support');
    expect(reply.html).toContain('<p>Sources:<br>[1] Pulse Band 3 manual — Battery</p>');
  });
  it('makes a refusal a holding reply with the contact and no sources, and greets without a usable name', () => {
    const reply = composeReply({ answer: 'ignored', mode: 'refusal', refused: true, citations: [] }, { lang: 'zh', customerName: 'x@y.cn', subject: '', companyName: '朗曜', handoffContact: '400-000' });
    expect(reply.subject).toBe('回复：您的来信');
    expect(reply.text).toMatch(/^您好：\n\n感谢您联系朗曜客服。\n\n我们已将您的来信转交给客服同事[\s\S]*400-000。[\s\S]*此致\n敬礼\n\n朗曜客服团队$/);
    expect(reply.text).not.toContain('ignored');
  });
  it('escapes HTML from the answer in the HTML part', () => {
    expect(composeReply({ answer: '<script>x</script>', mode: 'generated', refused: false, citations: [] }, { lang: 'en', customerName: '', subject: 's', companyName: 'L', handoffContact: 'c' }).html).toContain('&lt;script&gt;');
  });
});
