import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { maskPii } from '../../src/privacy/pii.js';

describe('PII masking', () => {
  it.each([
    ['My email is zhang.san+shop@example.com.cn, write me', 'My email is [email], write me'],
    ['call me at 138 0013 8000 or +86-13900139000', 'call me at [phone] or [phone]'],
    ['我的订单号是 LM20231101884，手机 13800138000', '我的订单号是 [order]，手机 [phone]'],
    ['身份证 110101199003071234 丢了', '身份证 [id-number] 丢了'],
    ['Order #A1234-56 never arrived; tracking number SF1234567890', 'Order #[order] never arrived; tracking number [order]'],
    ['card 4111 1111 1111 1111 was charged twice', 'card [card] was charged twice'],
    ['Call (415) 555-0142 or +44 20 7946 0958', 'Call [phone] or [phone]'],
    ['座机 010-12345678，客服 400-820-1234', '座机 [phone]，客服 [phone]'],
    ['call +1-800-555-0142 or +86 400 820 1234 today', 'call [phone] or [phone] today'],
    ['客户编号 123456789012 请回电', '客户编号 [number] 请回电'],
  ])('masks %s', (input, expected) => {
    expect(maskPii(input)).toBe(expected);
  });

  it.each([
    'Pulse Band 3 battery lasts 14 days, firmware 2.1.3, model H1, bought 2023-11-01',
    'What is the order of the pairing steps?',
    '4111-1111-1111-1112 is not a valid card number',
    'Hub H1 固件 3.2 支持 Zigbee 3.0 吗？',
  ])('leaves product text alone: %s', (input) => {
    expect(maskPii(input)).toBe(input);
  });

  it('is idempotent and never lets an email or a mobile number through', () => {
    const email = fc.tuple(fc.stringMatching(/^[a-z][a-z0-9.]{0,10}[a-z0-9]$/), fc.stringMatching(/^[a-z]{2,10}$/)).map(([user, domain]) => `${user}@${domain}.com`);
    const mobile = fc.stringMatching(/^1[3-9]\d{9}$/);
    fc.assert(
      fc.property(fc.string({ maxLength: 30 }), fc.oneof(email, mobile), fc.string({ maxLength: 30 }), (before, secret, after) => {
        const masked = maskPii(`${before} ${secret} ${after}`);
        expect(masked).not.toContain(secret);
        expect(maskPii(masked)).toBe(masked);
      }),
      { numRuns: 500 },
    );
  });

  it('runs in linear time on multi-megabyte pathological input', () => {
    const inputs = ['a'.repeat(2_000_000), '1 '.repeat(1_000_000), 'order '.repeat(300_000), 'a@b.'.repeat(500_000), '+1 '.repeat(600_000)];
    for (const input of inputs) expect(maskPii(input).length).toBeGreaterThan(0);
  });
});

describe('the logger', () => {
  it('masks personal data in messages and string fields, but not in ids', async () => {
    const { PassThrough } = await import('node:stream');
    const { createLogger } = await import('../../src/log.js');
    const out = new PassThrough();
    let text = '';
    out.on('data', (chunk) => (text += chunk.toString()));
    const logger = createLogger('info', out);
    logger.info({ question: '我的手机 13800138000，邮箱 li.wei@example.cn', requestId: 'req-123456789012' }, 'customer wrote li.wei@example.cn');
    await new Promise((resolve) => setImmediate(resolve));
    expect(text).not.toContain('13800138000');
    expect(text).not.toContain('li.wei@example.cn');
    expect(text).toContain('[phone]');
    expect(text).toContain('customer wrote [email]');
    expect(text).toContain('req-123456789012');
  });
});
