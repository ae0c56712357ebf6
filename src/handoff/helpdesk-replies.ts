import { createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { handoffTag } from './handoffs.js';

/**
 * A support agent's reply on a helpdesk ticket that Kefu's handoff webhook opened, as the helpdesk delivers it:
 * the inbound half of the handoff (docs/suggestions.md "Replies from a helpdesk"). Only a public reply by staff is
 * an answer the customer was given; internal notes and the customer's own messages are not.
 */
export interface HelpdeskReply {
  helpdesk: 'zendesk' | 'kefu';
  /** The helpdesk's id for this reply (a comment id): a delivery of the same reply is processed once. */
  replyId: string;
  /** Our handoff id, read back from the ticket; undefined when the ticket was not opened by Kefu. */
  handoffId?: string;
  ticketId?: string;
  answer: string;
  /** The question as support understood it, when the helpdesk sends it (our signed form only). */
  question?: string;
  /** Who answered, as the resolution log's `by`: the helpdesk and its user id, never a name or address. */
  by: string;
}

export type ReplyReading = { kind: 'reply'; reply: HelpdeskReply } | { kind: 'ignored'; reason: 'not_a_comment' | 'internal_note' | 'not_by_staff' | 'empty' };

const sameBytes = (a: string, b: string) => {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
};
const uuid = z.string().uuid();
const maxAnswerChars = 4000;
const clip = (text: string) => text.trim().slice(0, maxAnswerChars);

/**
 * Zendesk signs each webhook request with the webhook's signing secret: `X-Zendesk-Webhook-Signature` =
 * base64(HMAC-SHA256(secret, timestamp + body)), the timestamp being `X-Zendesk-Webhook-Signature-Timestamp`
 * (ISO 8601, e.g. `2021-03-25T05:09:27Z`), concatenated without a separator.
 * https://developer.zendesk.com/documentation/webhooks/verifying/
 */
export function zendeskSignature(secret: string, timestamp: string, body: string): string {
  return createHmac('sha256', secret)
    .update(timestamp + body)
    .digest('base64');
}

export function verifyZendeskSignature(secret: string, timestamp: string, body: string, signature: string): boolean {
  return Boolean(timestamp && signature) && sameBytes(signature, zendeskSignature(secret, timestamp, body));
}

/** Zendesk's ISO timestamp as epoch seconds (the replay guard's unit); empty when it is not a date. */
export function zendeskTimestampSeconds(timestamp: string): string {
  const ms = /^\d{4}-\d{2}-\d{2}T/.test(timestamp) ? Date.parse(timestamp) : Number.NaN;
  return Number.isFinite(ms) ? String(Math.floor(ms / 1000)) : '';
}

const id = z.union([z.string(), z.number()]).transform(String);
// Zendesk's ticket event (webhook event type `zen:event-type:ticket.comment_added`, event version 2022-11-06):
// `detail` is the ticket (ids as strings, `external_id` as a string), `event.comment` the comment added.
// https://developer.zendesk.com/api-reference/webhooks/event-types/ticket-events/
const zendeskCommentAdded = z.object({
  type: z.literal('zen:event-type:ticket.comment_added'),
  id: z.string(),
  detail: z.object({ id, external_id: z.string().nullish(), tags: z.array(z.string()).nullish() }),
  event: z.object({
    comment: z.object({
      id,
      body: z.string().nullish(),
      is_public: z.boolean(),
      author: z.object({ id, is_staff: z.boolean().nullish() }).nullish(),
    }),
  }),
});

/** The handoff a Zendesk ticket belongs to: its external id, else a `kefu_<id>` tag (the external id may be taken). */
function handoffOfTicket(externalId: string | null | undefined, tags: readonly string[] | null | undefined): string | undefined {
  if (externalId && uuid.safeParse(externalId).success) return externalId.toLowerCase();
  const prefix = handoffTag('');
  const tagged = (tags ?? []).find((tag) => tag.startsWith(prefix) && uuid.safeParse(tag.slice(prefix.length)).success);
  return tagged?.slice(prefix.length).toLowerCase();
}

/** Reads a Zendesk webhook event; anything but a public comment by staff on a ticket is ignored. */
export function readZendeskEvent(payload: unknown): ReplyReading {
  const parsed = zendeskCommentAdded.safeParse(payload);
  if (!parsed.success) return { kind: 'ignored', reason: 'not_a_comment' };
  const { detail, event } = parsed.data;
  if (!event.comment.is_public) return { kind: 'ignored', reason: 'internal_note' };
  // The customer answering on the ticket (an e-mail reply to it) is a comment too, and not support's answer.
  if (event.comment.author?.is_staff !== true) return { kind: 'ignored', reason: 'not_by_staff' };
  const answer = clip(event.comment.body ?? '');
  if (!answer) return { kind: 'ignored', reason: 'empty' };
  return {
    kind: 'reply',
    reply: {
      helpdesk: 'zendesk',
      replyId: event.comment.id,
      handoffId: handoffOfTicket(detail.external_id, detail.tags),
      ticketId: detail.id,
      answer,
      by: `zendesk:${event.comment.author.id}`,
    },
  };
}

/**
 * Our own signed form, for a helpdesk without a signed event of its own (Freshdesk's automation webhook, a
 * script): `X-Kefu-Timestamp` (epoch seconds) and `X-Kefu-Signature: sha256=<hex HMAC-SHA256(secret, timestamp
 * + "." + body)>`, the body `{ handoffId, replyId, answer, question?, public?, author? }`.
 */
export function kefuReplySignature(secret: string, timestamp: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

export function verifyKefuReplySignature(secret: string, timestamp: string, body: string, signature: string): boolean {
  return Boolean(timestamp && signature) && sameBytes(signature, kefuReplySignature(secret, timestamp, body));
}

export const signedReplyBody = z
  .object({
    handoffId: z.string().uuid('handoffId is the id of a handoff (the webhook sent it)'),
    replyId: z.string().trim().min(1).max(200),
    answer: z.string().trim().max(20_000),
    question: z.string().trim().min(1).max(500).optional(),
    /** false for an internal note, which is not what the customer was told. */
    public: z.boolean().default(true),
    /** The helpdesk's id of the agent (not a name or an address: it is stored). */
    author: z.string().trim().max(100).optional(),
  })
  .strict();

export function readSignedReply(body: z.infer<typeof signedReplyBody>): ReplyReading {
  if (!body.public) return { kind: 'ignored', reason: 'internal_note' };
  const answer = clip(body.answer);
  if (!answer) return { kind: 'ignored', reason: 'empty' };
  return {
    kind: 'reply',
    reply: { helpdesk: 'kefu', replyId: body.replyId, handoffId: body.handoffId.toLowerCase(), answer, question: body.question, by: `helpdesk:${body.author ?? 'unknown'}` },
  };
}

/** What differs between helpdesks: where they post, how they sign, and how a delivery reads. */
export interface HelpdeskProtocol {
  helpdesk: HelpdeskReply['helpdesk'];
  path: string;
  signatureHeader: string;
  timestampHeader: string;
  /** The setting the secret comes from, for the refusal's message. */
  secretSetting: string;
  verify(secret: string, timestamp: string, body: string, signature: string): boolean;
  /** The signature's timestamp in epoch seconds (the replay guard's unit). */
  seconds(timestamp: string): string;
  /** The delivery's reading, and the id a retry of it repeats (the replay guard's nonce). */
  read(payload: unknown, header: (name: string) => string | undefined): { nonce: string; reading: ReplyReading };
}

export const ZENDESK: HelpdeskProtocol = {
  helpdesk: 'zendesk',
  path: '/v1/helpdesk/zendesk',
  signatureHeader: 'x-zendesk-webhook-signature',
  timestampHeader: 'x-zendesk-webhook-signature-timestamp',
  secretSetting: 'HELPDESK_ZENDESK_SIGNING_SECRET',
  verify: verifyZendeskSignature,
  seconds: zendeskTimestampSeconds,
  read: (payload, header) => {
    // The event's own id: a retry of the same event carries it again, with the same body.
    const eventId = (payload as { id?: unknown } | null)?.id;
    return { nonce: typeof eventId === 'string' ? eventId : (header('x-zendesk-webhook-invocation-id') ?? ''), reading: readZendeskEvent(payload) };
  },
};

export const SIGNED_JSON: HelpdeskProtocol = {
  helpdesk: 'kefu',
  path: '/v1/helpdesk/replies',
  signatureHeader: 'x-kefu-signature',
  timestampHeader: 'x-kefu-timestamp',
  secretSetting: 'HELPDESK_REPLY_SECRET',
  verify: verifyKefuReplySignature,
  seconds: (timestamp) => timestamp,
  read: (payload) => {
    const body = signedReplyBody.parse(payload);
    // Per handoff, as the reply's claim: another ticket's reply with the same id is not a replay.
    return { nonce: `${body.handoffId.toLowerCase()}/${body.replyId}`, reading: readSignedReply(body) };
  },
};
