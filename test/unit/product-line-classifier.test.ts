import { beforeAll, describe, expect, it } from 'vitest';
import { ProductLineClassifier, loadProductLineRules } from '../../src/classify/product-lines.js';

let classifier: ProductLineClassifier;
beforeAll(async () => {
  classifier = new ProductLineClassifier(await loadProductLineRules('knowledge/product-lines.yaml'));
});

describe('product-line classification with the rules in knowledge/', () => {
  it.each([
    ['温控器没有C线可以装吗', 'A'],
    ['摄像头夜视能看多远', 'A'],
    ['手环可以戴着游泳吗', 'B'],
    ['睡眠评分多少算好', 'B'],
    ['行车记录仪用什么存储卡', 'C'],
    ['驾驶辅助会自动刹车吗', 'C'],
    ['How do I reset the Glow bulb?', 'A'],
    ['Does the thermostat need a C-wire?', 'A'],
    ['What is my resting heart rate?', 'B'],
    ['Wireless CarPlay keeps dropping', 'C'],
    ['Does parking mode drain my car battery?', 'C'],
  ])('%s → %s', (question, line) => {
    expect(classifier.classify(question).productLine).toBe(line);
  });

  it('says unknown when nothing matches or lines tie', () => {
    expect(classifier.classify('How long is the warranty?').productLine).toBe('unknown');
    expect(classifier.classify('退货运费谁出').productLine).toBe('unknown');
  });

  it('matches Latin keywords on word boundaries ("card" is not "car")', () => {
    expect(classifier.classify('Can I pay by credit card?').scores.C).toBe(0);
  });

  it('maps folders to lines', () => {
    expect(classifier.lineForPath('smart-home/x.md')).toBe('A');
    expect(classifier.lineForPath('policies/returns.md')).toBe('general');
    expect(classifier.lineForPath('misc/x.md')).toBeUndefined();
  });
});
