import { describe, expect, it } from 'vitest';
import type { AnswerDone, AnswerMeta } from '../../src/answer/answer-service.js';
import { Conversations } from '../../src/chat/conversation.js';
import { SessionStore } from '../../src/chat/session-store.js';
import type { ProductLineClassifier } from '../../src/classify/product-lines.js';
import { maskPii, maskPiiKeeping } from '../../src/privacy/pii.js';
import { MemoryState } from '../../src/state/shared-state.js';

/**
 * A refusal tells the visitor how to reach a person: the service's own hotline and address. Stored masked, the
 * widget's reloaded conversation (GET /v1/sessions/:id) read "call +1-[phone] … or email [email]". The customer's
 * own data in the same turn is still masked.
 */
const contact = 'a human agent: call +1-800-555-0142 (9am–9pm daily) or email support@lumora.example';
const contactZh = '人工客服：400-820-1234（每天 9:00–21:00），或发邮件至 support@lumora.example';

describe('masking that keeps the service contact line', () => {
  const mask = maskPiiKeeping([contactZh, contact, '']);

  it('keeps every occurrence of a contact line verbatim and masks the rest as maskPii does', () => {
    const text = `Your number 415-555-0199 is noted. Or contact ${contact}. Mail jo@example.com, or ${contact}.`;
    expect(mask(text)).toBe(`Your number [phone] is noted. Or contact ${contact}. Mail [email], or ${contact}.`);
    expect(mask(`联系${contactZh}。`)).toBe(`联系${contactZh}。`);
  });

  it('is maskPii on text without a contact line', () => {
    for (const text of ['call 13800138000 or me@x.example', 'no data here', '']) expect(mask(text)).toBe(maskPii(text));
  });
});

describe('a refusal read back from the session', () => {
  it('still names the hotline and address; the customer phone number in the question does not survive', async () => {
    const state = new MemoryState();
    const sessions = new SessionStore(state, 10, 3600);
    const conversations = new Conversations(sessions, state, {} as ProductLineClassifier, undefined, { mask: maskPii, maskAnswer: maskPiiKeeping([contact]) });
    const refusal = `Sorry, I couldn't find anything that answers this. You can contact ${contact}.`;
    const { onDone } = await conversations.prepare({ question: 'Call me on 415-555-0199 about the stock price', sessionId: 'walk-session-1', owner: 'site' });
    const done = { answerId: 'a1', answer: refusal, mode: 'refusal', refused: true, productLine: 'unknown', confidence: 0.04, citations: [] } as unknown as AnswerDone;
    await onDone({ lang: 'en', language: 'en', sources: [] } as unknown as AnswerMeta, done);
    const [turn] = await sessions.history('walk-session-1');
    expect(turn.answer).toBe(refusal);
    expect(turn.question).toBe('Call me on [phone] about the stock price');
  });
});
