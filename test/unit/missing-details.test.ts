import { describe, expect, it } from 'vitest';
import { MissingDetails } from '../../src/answer/missing-details.js';

const rules = await MissingDetails.load('knowledge/intents.yaml');

describe('asking for the details an intent needs (knowledge/intents.yaml)', () => {
  it.each([
    ['我的订单到哪了？', 'zh', 'order_status', ['order_number'], '为了帮您查询订单状态，请提供：订单号。'],
    ['快递怎么还没到', 'zh', 'order_status', ['order_number'], undefined],
    ['我要退货', 'zh', 'return_request', ['order_number', 'purchase_date'], '为了帮您办理退货，请提供：订单号、购买日期。'],
    ['手环坏了，想申请保修', 'zh', 'warranty_claim', ['device_serial', 'purchase_date'], undefined],
    ['收到的包裹破损了', 'zh', 'delivery_problem', ['order_number'], undefined],
    ['Where is my order?', 'en', 'order_status', ['order_number'], 'To check your order status, please send us your order number.'],
    ['I want to return my Pulse Band', 'en', 'return_request', ['order_number', 'purchase_date'], 'To start your return, please send us your order number and purchase date.'],
    ['My watch is broken, can I make a warranty claim?', 'en', 'warranty_claim', ['device_serial', 'purchase_date'], undefined],
    ['My package arrived damaged', 'en', 'delivery_problem', ['order_number'], undefined],
  ] as const)('%s → asks for %s', (question, lang, intent, missing, text) => {
    const request = rules.check(question, lang);
    expect(request?.intent).toBe(intent);
    expect(request?.missing).toEqual(missing);
    if (text) expect(request?.text).toBe(text);
  });

  it('asks only for what is still missing, from the question or the earlier messages', () => {
    expect(rules.check('我的订单 202611301234567 到哪了？', 'zh')).toBeUndefined();
    expect(rules.check('Where is my order? Order number LM-884512', 'en')).toBeUndefined();
    expect(rules.check('我要退货，订单号 202611301234567', 'zh')?.missing).toEqual(['purchase_date']);
    expect(rules.check('I want to return my order, bought it 3 weeks ago', 'en')?.missing).toEqual(['order_number']);
    expect(rules.check('I want to return it', 'en', ['my order number is 202611301234567', 'I bought it yesterday'])).toBeUndefined();
    expect(rules.check('I want to make a warranty claim, serial PB3A2X9K7731, purchased 2026-03-02', 'en')).toBeUndefined();
  });

  it('leaves questions without such an intent alone', () => {
    for (const question of ['退货政策是什么？', 'What is the return window?', '手环防水吗？', 'How long does shipping take?', '如何查看订单发票？']) expect(rules.check(question, 'en'), question).toBeUndefined();
  });
});
