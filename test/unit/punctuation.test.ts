import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FullWidthPunctuation, toFullWidthPunctuation } from '../../src/text/punctuation.js';

/** Input → what a Chinese answer should read. Each row is a case a naive replace gets wrong. */
const CASES: [string, string][] = [
  ['您好,请先重启设备.', '您好，请先重启设备。'],
  ['可以吗?当然可以!', '可以吗？当然可以！'],
  ['注意: 先断电; 再拆卸', '注意：先断电；再拆卸'],
  ['充电约需2.5小时.', '充电约需2.5小时。'],
  ['最新版本2.5.', '最新版本2.5。'],
  ['价格为1,299元,含税.', '价格为1,299元，含税。'],
  ['营业时间10:30到18:00.', '营业时间10:30到18:00。'],
  ['请访问https://help.example.com/a?b=1,了解更多.', '请访问https://help.example.com/a?b=1，了解更多。'],
  ['详见 https://example.com/faq.', '详见 https://example.com/faq。'],
  ['官网www.example.com上有说明.', '官网www.example.com上有说明。'],
  ['发邮件到support@example.com,我们会回复.', '发邮件到support@example.com，我们会回复。'],
  ['请连接Wi-Fi,然后打开App.', '请连接Wi-Fi，然后打开App。'],
  ['支持Wi-Fi, Bluetooth and NFC.', '支持Wi-Fi, Bluetooth and NFC。'],
  ['Open the App. 然后登录.', 'Open the App. 然后登录。'],
  ['固件v1.2.3已发布.', '固件v1.2.3已发布。'],
  ['编辑config.json文件.', '编辑config.json文件。'],
  ['运行`npm run build:widget, then test.`即可.', '运行`npm run build:widget, then test.`即可。'],
  ['型号(Pulse Band 3)支持防水(5ATM).', '型号（Pulse Band 3）支持防水（5ATM）。'],
  ['(see the manual) 然后重启.', '(see the manual) 然后重启。'],
  ['设备(温控器)需要重启.', '设备（温控器）需要重启。'],
  ['按住电源键10秒 [1].', '按住电源键10秒 [1]。'],
  ['第一步.\n第二步.', '第一步。\n第二步。'],
  ['This is English, untouched. Really?', 'This is English, untouched. Really?'],
  ['已是全角，不变。', '已是全角，不变。'],
];

describe('full-width punctuation for Chinese answers', () => {
  it.each(CASES)('%j → %j', (input, expected) => {
    expect(toFullWidthPunctuation(input)).toBe(expected);
  });

  it('gives the same text streamed in any chunking as all at once', () => {
    fc.assert(
      fc.property(fc.constantFrom(...CASES.map(([input]) => input)), fc.array(fc.integer({ min: 1, max: 6 }), { minLength: 1, maxLength: 40 }), (input, sizes) => {
        const normalizer = new FullWidthPunctuation();
        let out = '';
        let at = 0;
        for (const size of sizes) {
          if (at >= input.length) break;
          out += normalizer.push(input.slice(at, at + size));
          at += size;
        }
        out += normalizer.push(input.slice(at)) + normalizer.end();
        expect(out).toBe(toFullWidthPunctuation(input));
      }),
    );
  });

  it('holds back only a mark that waits for its next character', () => {
    const normalizer = new FullWidthPunctuation();
    expect(normalizer.push('请重启')).toBe('请重启');
    expect(normalizer.push('设备.')).toBe('设备');
    expect(normalizer.push('然后')).toBe('。然后');
    expect(normalizer.end()).toBe('');
  });

  it('never changes letters, digits or Han characters, and never drops a character but spaces after a converted mark', () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom('中', '文', 'a', 'B', '1', '2', '.', ',', '?', ':', '(', ')', ' ', '/', '`', '\n') }), (input) => {
        const output = toFullWidthPunctuation(input);
        const keep = (text: string) => text.replace(/[^\p{L}\p{N}]/gu, '');
        expect(keep(output)).toBe(keep(input));
      }),
    );
  });
});
