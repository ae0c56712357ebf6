import { describe, expect, it } from 'vitest';
import { checkCitations, citedNumbers } from '../../src/answer/citations.js';
import { extractiveAnswer } from '../../src/answer/extractive.js';

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

const faq = (n: number, question: string, answer: string, lang = 'en') => ({ n, kind: 'faq' as const, lang, title: question, text: `${question}\n${answer}`, faqQuestion: question, faqAnswer: answer });
const passage = (n: number, text: string, lang = 'zh', title = '') => ({ n, kind: 'passage' as const, lang, title, text });

describe('extractive answers', () => {
  it('quotes the FAQ answer that matches the question, showing the question it answers, cited', async () => {
    const result = await extractiveAnswer('Can I swim with the band?', [faq(1, 'Can I swim with the band?', 'Yes, it is rated 5 ATM.')], { lang: 'en' });
    expect(result).toMatchObject({ text: '(FAQ: Can I swim with the band?)\nYes, it is rated 5 ATM. [1]', used: [1] });
  });

  it('picks the matching entry across the top sources, not just the first', async () => {
    const sources = [
      faq(1, 'Does the band use GPS?', "No. It can use your phone's GPS during workouts."),
      faq(2, 'How do I reset the band?', 'Hold the button for ten seconds.'),
      faq(3, 'Is the band waterproof?', 'Yes, it is water resistant to 5 ATM, fine for swimming.'),
    ];
    const result = await extractiveAnswer('Is the Pulse Band waterproof?', sources, { lang: 'en' });
    expect(result?.used).toEqual([3]);
  });

  it('quotes the passage sentence that matches the question', async () => {
    const text = '产品规格很多。停车监控需要降压线套件 HK-2。其他内容。';
    const result = await extractiveAnswer('停车监控需要什么', [passage(2, text)], { lang: 'zh' });
    expect(result?.text.startsWith('停车监控需要降压线套件 HK-2。')).toBe(true);
    expect(result?.text.endsWith('[2]')).toBe(true);
  });

  it('prefers a sentence in the customer’s language when both say it', async () => {
    const result = await extractiveAnswer(
      'How long does the battery last?',
      [passage(1, '电池续航最长十四天。', 'zh'), passage(2, 'The battery lasts up to fourteen days.', 'en')],
      { lang: 'en' },
    );
    expect(result?.used).toEqual([2]);
  });

  it('quotes the answer to a paraphrased question that shares no key term with it (refusing is the threshold’s call)', async () => {
    // "Can I swim with it?" against "waterproof to 50 m": retrieval's meaning found the source; words alone cannot.
    const sources = [passage(1, '手环支持五十米防水，可以佩戴游泳。'), passage(2, '手环充电约需两小时。')];
    const result = await extractiveAnswer('戴着它能下水吗？', sources, { lang: 'zh' });
    expect(result).toEqual({ text: '手环支持五十米防水，可以佩戴游泳。 [1]', used: [1] });
  });

  it('brings the next sentence along when it holds the question’s key terms the chosen one lacks (the README’s parking-mode example)', async () => {
    const text =
      "Parking mode records when motion or an impact is detected while the car is parked. It needs the Lumora Hardwire Kit HK-2, which connects the camera to the car's fuse box and stops recording if the car battery falls below 11.8 V.";
    const result = await extractiveAnswer('Does parking mode drain my car battery?', [{ n: 1, kind: 'passage', lang: 'en', title: 'Drive Cam D1 manual', text }], { lang: 'en' });
    expect(result?.text).toContain('Parking mode records');
    expect(result?.text).toContain('car battery falls below 11.8 V');
  });

  it('does not bring along a next sentence that adds nothing the question asks', async () => {
    const text = 'Parking mode records when motion or an impact is detected while the car is parked in a garage or on the street at night. The camera housing is made of recycled aluminium and comes in two colours.';
    const result = await extractiveAnswer('How does parking mode record when the car is parked?', [{ n: 1, kind: 'passage', lang: 'en', title: 'Drive Cam D1 manual', text }], { lang: 'en' });
    expect(result?.text).not.toContain('aluminium');
  });

  it('gives nothing to quote only when the sources hold no text', async () => {
    expect(await extractiveAnswer('手环多少钱？', [passage(1, '')], { lang: 'zh' })).toBeUndefined();
  });
});
