import { describe, expect, it } from 'vitest';
import { chineseNumber, differentProducts, disagreements, negated, quantities } from '../../src/text/facts.js';

const kinds = (a: string, b: string) => disagreements(a, b).map((entry) => entry.kind);

describe('facts two knowledge passages can disagree on', () => {
  it('reads durations, prices and measured numbers in English and Chinese, with Chinese numerals', () => {
    expect(quantities('Warranty: 12 months from purchase')).toMatchObject([{ kind: 'duration', unit: 'time', value: 12 * 30 * 24 }]);
    expect(quantities('保修十二个月')).toMatchObject([{ kind: 'duration', value: 12 * 30 * 24 }]);
    expect(quantities('退货期限为7天')).toMatchObject([{ kind: 'duration', value: 7 * 24 }]);
    expect(quantities('The bulb costs $19.99')).toMatchObject([{ kind: 'price', unit: 'USD', value: 19.99 }]);
    expect(quantities('售价299元')).toMatchObject([{ kind: 'price', unit: 'CNY', value: 299 }]);
    expect(quantities('价格￥1299')).toMatchObject([{ kind: 'price', unit: 'CNY', value: 1299 }]);
    expect(quantities('Water resistant to 5 ATM')).toMatchObject([{ kind: 'number', unit: 'atm', value: 5 }]);
    expect(quantities('Step 3 of the setup')).toEqual([]);
    expect(chineseNumber('二十四')).toBe(24);
    expect(chineseNumber('两')).toBe(2);
    expect(chineseNumber('一百')).toBe(100);
  });

  it('tells a negated statement from an affirmed one, and a double negation from a negation', () => {
    expect(negated('The band can be worn while swimming')).toBe(false);
    expect(negated('The band cannot be worn while swimming')).toBe(true);
    expect(negated('手环可以戴着游泳')).toBe(false);
    expect(negated('手环不可以戴着游泳')).toBe(true);
  });

  it('reads a currency written apart from its amount, and a clause padded with a long run of spaces in one pass', () => {
    expect(quantities('It costs $ 99, or US$ 5 a month')).toMatchObject([
      { kind: 'price', unit: 'USD', value: 99 },
      { kind: 'price', unit: 'USD', value: 5 },
    ]);
    // A document (or crawled page) with 300,000 spaces in a sentence: the old pattern tried every one of them against
    // the rest of the run (about 10^10 steps, over a minute); the contradiction check runs at every ingestion.
    const padded = `The battery lasts${' '.repeat(300_000)}14 days`;
    expect(quantities(padded)).toMatchObject([{ kind: 'duration', value: 14 * 24 }]);
    expect(kinds(padded, 'The battery lasts 10 days')).toEqual(['duration']);
  });
});

describe('disagreements between near-duplicate passages', () => {
  it('flags a different duration about the same thing, in English and in Chinese', () => {
    expect(kinds('Warranty: 12 months from the date of purchase.', 'Warranty: 24 months from the date of purchase.')).toEqual(['duration']);
    expect(kinds('本产品保修12个月。', '本产品保修24个月。')).toEqual(['duration']);
    expect(kinds('本产品保修一年。', '本产品保修24个月。')).toEqual(['duration']);
  });

  it('flags a different price, a different measured number and an opposite yes/no', () => {
    expect(kinds('The Glow bulb costs $19.99 in our store.', 'The Glow bulb costs $24.99 in our store.')).toEqual(['price']);
    expect(kinds('Glow 灯泡售价99元。', 'Glow 灯泡售价129元。')).toEqual(['price']);
    expect(kinds('Pulse Band 3 is water resistant to 5 ATM.', 'Pulse Band 3 is water resistant to 3 ATM.')).toEqual(['number']);
    expect(kinds('You can wear the band while swimming in a pool.', 'You cannot wear the band while swimming in a pool.')).toEqual(['yes-no']);
    expect(kinds('手环支持戴着游泳。', '手环不支持戴着游泳。')).toEqual(['yes-no']);
  });

  it('carries the question into a bare answer: "How long is the warranty? 12 months." against 24', () => {
    expect(kinds('How long is the warranty?\n12 months.', 'How long is the warranty?\n24 months.')).toEqual(['duration']);
  });

  it('does not flag passages that agree, say the same value in other units, or talk about different things', () => {
    expect(kinds('Warranty: 12 months from purchase.', 'Warranty: 12 months from purchase, see the policy.')).toEqual([]);
    expect(kinds('The warranty lasts 1 year.', 'The warranty lasts 12 months.')).toEqual([]);
    expect(kinds('保修期一年。', '保修期12个月。')).toEqual([]);
    expect(kinds('Returns are accepted within 30 days.', 'The warranty lasts 12 months.')).toEqual([]);
    expect(kinds('The battery lasts 7 days.', 'Charging takes 2 hours.')).toEqual([]);
    expect(kinds('退货期限为7天。', '保修期为12个月。')).toEqual([]);
  });
});

describe('what is not a contradiction', () => {
  it('compares no question: a FAQ question and the manual sentence that answers it no are not a yes against a no', () => {
    expect(kinds('Can Drive Link add CarPlay to a car that does not have it?', 'Drive Link cannot add CarPlay to a car that does not have it.')).toEqual([]);
    expect(kinds('手环可以戴着游泳吗？', '手环不可以戴着游泳。')).toEqual([]);
  });

  it('tells manuals of two products from two documents about one', () => {
    expect(differentProducts('Lumora Pulse Band 3 — User Manual', 'Lumora Pulse Watch Pro — User Manual')).toBe(true);
    expect(differentProducts('Warranty Policy', 'Lumora Glow Bulb — User Manual')).toBe(false);
    expect(differentProducts('Care Plus protection plan', 'Care Plus plan summary')).toBe(false);
  });
});
