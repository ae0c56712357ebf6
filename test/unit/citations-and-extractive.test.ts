import { describe, expect, it } from 'vitest';
import { checkCitations, citedNumbers } from '../../src/answer/citations.js';
import { extractiveAnswer, preferLanguage } from '../../src/answer/extractive.js';

describe('citation checking', () => {
  it('finds [n], 【n】, [1, 3] and [1][2] markers', () => {
    expect(citedNumbers('A [1]. B【2】. C [1, 3]. D [4][5]. E [2，6]')).toEqual([1, 2, 3, 4, 5, 6]);
  });
  it('keeps valid citations and strips markers that point at no given source', () => {
    const result = checkCitations('Charge it [1]. Reset it [7]. Both [2, 9].', new Set([1, 2, 3]));
    expect(result.used).toEqual([1, 2]);
    expect(result.invalid).toEqual([7, 9]);
    expect(result.text).toBe('Charge it [1]. Reset it . Both [2].');
  });
});

describe('extractive answers', () => {
  it('answers with the FAQ answer when a FAQ entry ranks first, cited', () => {
    const result = extractiveAnswer('Can I swim?', [{ n: 1, kind: 'faq', text: 'Can I swim?\nYes, to 5 ATM.', faqAnswer: 'Yes, to 5 ATM.' }]);
    expect(result).toEqual({ text: 'Yes, to 5 ATM. [1]', used: [1] });
  });
  it('quotes the passage sentences that match the question', () => {
    const text = '产品规格很多。停车监控需要降压线套件 HK-2。其他内容。';
    const result = extractiveAnswer('停车监控需要什么', [{ n: 2, kind: 'passage', text }]);
    expect(result.text.startsWith('停车监控需要降压线套件 HK-2。')).toBe(true);
    expect(result.text.endsWith('[2]')).toBe(true);
  });
});

describe('quoting in the customer’s language', () => {
  const ranked = [
    { n: 1, lang: 'zh' },
    { n: 2, lang: 'zh' },
    { n: 3, lang: 'en' },
    { n: 4, lang: 'en' },
  ];
  it('moves the first same-language source within the top three to the front, keeping its number', () => {
    expect(preferLanguage(ranked, 'en').map((item) => item.n)).toEqual([3, 1, 2, 4]);
  });
  it('keeps the order when the best source already matches or none in the window does', () => {
    expect(preferLanguage(ranked, 'zh').map((item) => item.n)).toEqual([1, 2, 3, 4]);
    expect(preferLanguage(ranked, 'en', 2).map((item) => item.n)).toEqual([1, 2, 3, 4]);
  });
});
