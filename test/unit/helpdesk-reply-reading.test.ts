import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { type HandoffRequest, webhookBody } from '../../src/handoff/handoffs.js';
import { readZendeskEvent, verifyZendeskSignature, zendeskTimestampSeconds } from '../../src/handoff/helpdesk-replies.js';

/**
 * Reading a Zendesk `ticket.comment_added` webhook event (the shape of Zendesk's webhook event reference: ids may come
 * as numbers or strings, `detail.external_id` as a string) and its signature, and the ticket the handoff webhook
 * asks Zendesk to create, whose ids the event carries back.
 */
const handoffId = '3f8b1c2e-9a4d-4e5f-8a6b-7c8d9e0f1a2b';
const event = (comment: Record<string, unknown>, detail: Record<string, unknown> = { id: '5158', external_id: handoffId }) => ({
  account_id: 22_129_848,
  detail: { subject: 'Cannot pair my watch', status: 'OPEN', ...detail },
  event: {
    comment: { id: 9_876_543_210, body: 'Hold the crown for 10 seconds, then pair again.', is_public: true, author: { id: 8_447_388_090_495, is_staff: true, name: 'Support Agent' }, ...comment },
  },
  id: 'd4f5c389-8f4a-4c2e-a1b9-8e4f39c71d52',
  subject: 'zen:ticket:5158',
  time: '2025-01-08T14:25:30.123456789Z',
  type: 'zen:event-type:ticket.comment_added',
  zendesk_event_version: '2022-11-06',
});

describe('reading a Zendesk comment event', () => {
  it("a public comment by staff is the answer, mapped to the handoff by the ticket's external id", () => {
    expect(readZendeskEvent(event({}))).toEqual({
      kind: 'reply',
      reply: { helpdesk: 'zendesk', replyId: '9876543210', handoffId, ticketId: '5158', answer: 'Hold the crown for 10 seconds, then pair again.', by: 'zendesk:8447388090495' },
    });
  });

  it('the kefu_<id> tag maps a ticket whose external id another integration set; a ticket with neither is no handoff', () => {
    const tagged = readZendeskEvent(event({}, { id: '5159', external_id: 'CRM-7781', tags: ['vip', `kefu_${handoffId}`] }));
    expect(tagged.kind === 'reply' && tagged.reply.handoffId).toBe(handoffId);
    const byHand = readZendeskEvent(event({}, { id: '5160', external_id: '' }));
    expect(byHand.kind === 'reply' && byHand.reply.handoffId).toBeUndefined();
  });

  it('internal notes, the requester’s own comments, empty comments and other events are ignored', () => {
    expect(readZendeskEvent(event({ is_public: false }))).toEqual({ kind: 'ignored', reason: 'internal_note' });
    expect(readZendeskEvent(event({ author: { id: 1, is_staff: false, name: 'Li Lei' } }))).toEqual({ kind: 'ignored', reason: 'not_by_staff' });
    expect(readZendeskEvent(event({ body: '   ' }))).toEqual({ kind: 'ignored', reason: 'empty' });
    expect(readZendeskEvent({ ...event({}), type: 'zen:event-type:ticket.status_changed' })).toEqual({ kind: 'ignored', reason: 'not_a_comment' });
    expect(readZendeskEvent('not an event')).toEqual({ kind: 'ignored', reason: 'not_a_comment' });
  });

  it('the signature is base64 HMAC-SHA256 of the timestamp followed by the body, and the timestamp an ISO date', () => {
    const body = JSON.stringify(event({}));
    const timestamp = '2025-01-08T14:25:30Z';
    const signature = createHmac('sha256', 'secret').update(`${timestamp}${body}`).digest('base64');
    expect(verifyZendeskSignature('secret', timestamp, body, signature)).toBe(true);
    expect(verifyZendeskSignature('other', timestamp, body, signature)).toBe(false);
    expect(verifyZendeskSignature('secret', '2025-01-08T14:25:31Z', body, signature)).toBe(false);
    expect(verifyZendeskSignature('secret', timestamp, body, '')).toBe(false);
    expect(zendeskTimestampSeconds(timestamp)).toBe(String(Date.UTC(2025, 0, 8, 14, 25, 30) / 1000));
    expect(zendeskTimestampSeconds('1736346330')).toBe('');
  });
});

describe('the handoff webhook as a Zendesk ticket', () => {
  it('carries the handoff id as external_id and tag, the visitor as requester, and the question as the first comment', () => {
    const handoff: HandoffRequest = {
      id: handoffId,
      at: '2026-12-07T10:00:00Z',
      channel: 'widget',
      name: 'Li Lei',
      email: 'li.lei@example.cn',
      question: 'My watch will not pair with the app.',
      consent: true,
      productLine: 'watch',
    };
    expect(JSON.parse(webhookBody(handoff, 'zendesk'))).toEqual({
      ticket: {
        subject: 'My watch will not pair with the app.',
        comment: { body: 'My watch will not pair with the app.', public: true },
        requester: { name: 'Li Lei', email: 'li.lei@example.cn' },
        external_id: handoffId,
        tags: ['kefu', `kefu_${handoffId}`, 'kefu_line_watch'],
      },
    });
    expect(JSON.parse(webhookBody(handoff))).toEqual({ type: 'kefu.handoff', handoff });
  });
});
