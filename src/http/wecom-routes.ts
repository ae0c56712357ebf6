import { createHash, randomUUID } from 'node:crypto';
import express, { type Request, type RequestHandler, type Response, Router } from 'express';
import { AppError } from './http-error.js';
import type { Logger } from '../log.js';
import type { ChannelMetrics } from '../channels/channel-metrics.js';
import type { ChannelState } from '../state/channel-state.js';
import type { ChannelAnswer, ChannelTurns } from '../channels/channel-turns.js';
import type { ReplyFormat } from '../channels/format-reply.js';
import type { MessageOnce } from '../channels/message-once.js';
import type { ReplayGuard } from '../channels/replay-guard.js';
import type { WechatApi } from '../channels/wechat-api.js';
import { WechatMessageCrypto } from '../channels/wechat-crypto.js';
import { parseWechatXml, type WechatXml } from '../channels/wechat-xml.js';

export interface WecomCustomerServiceOptions {
  corpId: string;
  token: string;
  encodingAesKey: string;
  api: WechatApi;
  turns: ChannelTurns;
  once: MessageOnce;
  state: ChannelState;
  metrics: ChannelMetrics;
  logger: Logger;
  format: ReplyFormat;
  /** Which outcomes pass the conversation to a person (kf/service_state/trans). */
  handoffOn: Set<'requested' | 'refused' | 'moderated'>;
  /** A servicer's userid to receive handed-off conversations (state 3); unset: the waiting pool (state 2). */
  handoffServicer?: string;
  recordHandoff: (entry: { channel: 'wecom'; sessionUser: string; question: string; reason: string; messageId: string; answerId?: string }) => Promise<void>;
  guards?: RequestHandler[];
  bodyLimitBytes: number;
  /** Signed callbacks too old, or a nonce already used with another body, are refused. */
  replay: ReplayGuard;
}

/** A message as kf/sync_msg returns it. */
interface KfMessage {
  msgid: string;
  open_kfid: string;
  external_userid?: string;
  send_time: number;
  /** 3: sent by the customer; 4: a system event; 5: sent by a servicer. */
  origin: number;
  msgtype: string;
  text?: { content: string };
}

const CHANNEL = 'wecom';
// Service states (kf/service_state/get): 0 untouched, 1 with the API (us), 2 waiting for a person, 3 with a person, 4 ended.
const WITH_PEOPLE = new Set([2, 3]);

/**
 * WeCom customer service (微信客服) as a channel, per its API documentation: the callback URL is verified with
 * `msg_signature` over the encrypted `echostr`; each callback is an encrypted `kf_msg_or_event` notice carrying a
 * short-lived Token, on which the service pulls the new messages with `kf/sync_msg` from the cursor kept in shared
 * state (one puller per account across replicas), answers each customer text once (MessageOnce, keyed by msgid),
 * replies with `kf/send_msg` and passes the conversation to a person with `kf/service_state/trans`.
 */
export function wecomCustomerServiceRoutes(options: WecomCustomerServiceOptions): Router {
  const router = Router();
  const crypto = new WechatMessageCrypto(options.token, options.encodingAesKey, options.corpId);
  const query = (request: Request, name: string) => (typeof request.query[name] === 'string' ? (request.query[name] as string) : '');
  const open = (request: Request, encrypted: string): string => {
    if (!crypto.verify(query(request, 'msg_signature'), query(request, 'timestamp'), query(request, 'nonce'), encrypted)) {
      options.metrics.rejected.inc({ channel: CHANNEL, reason: 'signature' });
      throw new AppError(401, 'wecom_signature', 'msg_signature does not match WECOM_KF_TOKEN');
    }
    try {
      return crypto.decrypt(encrypted);
    } catch (error) {
      options.metrics.rejected.inc({ channel: CHANNEL, reason: 'decrypt' });
      throw new AppError(400, 'wecom_decrypt', `The message does not decrypt: ${(error as Error).message}`);
    }
  };

  router.get('/channels/wecom', ...(options.guards ?? []), (request: Request, response: Response) => {
    response.type('text/plain').send(open(request, query(request, 'echostr')));
  });

  router.post('/channels/wecom', ...(options.guards ?? []), express.text({ type: () => true, limit: options.bodyLimitBytes }), async (request: Request, response: Response) => {
    let event: WechatXml;
    try {
      event = parseWechatXml(open(request, parseWechatXml(typeof request.body === 'string' ? request.body : '').Encrypt ?? ''));
    } catch (error) {
      if (error instanceof AppError) throw error;
      options.metrics.rejected.inc({ channel: CHANNEL, reason: 'malformed' });
      throw new AppError(400, 'wecom_malformed', `Not a WeCom callback: ${(error as Error).message}`);
    }
    const verdict = await options.replay.check(CHANNEL, query(request, 'timestamp'), query(request, 'nonce'), typeof request.body === 'string' ? request.body : '');
    if (verdict !== 'ok') {
      options.metrics.rejected.inc({ channel: CHANNEL, reason: verdict });
      throw new AppError(401, `wecom_${verdict}`, verdict === 'stale' ? 'The timestamp is outside the replay window' : 'This nonce was already used');
    }
    // Answered at once: WeCom wants the callback acknowledged within 5 s; the pull runs after.
    response.type('text/plain').send('success');
    if (event.Event === 'kf_msg_or_event' && event.OpenKfId) void pull(options, event.OpenKfId, event.Token ?? '');
  });
  return router;
}

/**
 * Pulls every new message of one customer-service account. One replica pulls an account at a time (a lock); a
 * callback arriving meanwhile leaves a note so the holder pulls again before letting go, and nothing is missed.
 */
export async function pull(options: WecomCustomerServiceOptions, openKfId: string, token: string): Promise<void> {
  const lockKey = `wecom:${openKfId}:sync-lock`;
  const againKey = `wecom:${openKfId}:sync-again`;
  const cursorKey = `wecom:${openKfId}:cursor`;
  const log = options.logger.child({ channel: CHANNEL });
  const owner = randomUUID();
  if (!(await options.state.claim(lockKey, owner, 60))) {
    await options.state.set(againKey, owner, 60);
    return;
  }
  const work: Promise<void>[] = [];
  try {
    for (let round = 0; round < 100; round++) {
      const cursor = await options.state.get(cursorKey);
      const page = await options.api.post('/cgi-bin/kf/sync_msg', { ...(cursor ? { cursor } : {}), ...(token ? { token } : {}), limit: 1000, open_kfid: openKfId });
      const messages = Array.isArray(page.msg_list) ? (page.msg_list as KfMessage[]) : [];
      const fresh: KfMessage[] = [];
      for (const message of messages) {
        if (message.origin !== 3 || !message.external_userid) continue;
        // Claimed before the cursor moves on: a replica that re-reads this page answers nothing twice.
        if (await options.once.start(`wecom:${message.msgid}`)) fresh.push(message);
        else options.metrics.duplicates.inc({ channel: CHANNEL });
      }
      if (typeof page.next_cursor === 'string' && page.next_cursor) await options.state.set(cursorKey, page.next_cursor, 30 * 86_400);
      // One customer's messages in order (a follow-up needs the turn before it); customers side by side.
      const byUser = new Map<string, KfMessage[]>();
      for (const message of fresh) byUser.set(message.external_userid!, [...(byUser.get(message.external_userid!) ?? []), message]);
      for (const list of byUser.values())
        work.push(
          (async () => {
            for (const message of list) await handle(options, message);
          })(),
        );
      if (page.has_more === 1) continue;
      const again = await options.state.get(againKey);
      if (again === undefined) break;
      await options.state.release(againKey, again);
    }
  } catch (error) {
    log.error({ err: error, openKfId }, 'wecom: sync_msg failed');
  } finally {
    await options.state.release(lockKey, owner).catch(() => false);
  }
  await Promise.all(work);
}

/** kf/send_msg's own idempotency key: the same part of the same answer is the same message to WeCom. */
const sendId = (msgid: string, part: number) => createHash('sha1').update(`${msgid}:${part}`).digest('hex').slice(0, 32);

async function handle(options: WecomCustomerServiceOptions, message: KfMessage): Promise<void> {
  const id = `wecom:${message.msgid}`;
  const log = options.logger.child({ channel: CHANNEL, messageId: message.msgid });
  const user = message.external_userid!;
  try {
    // A conversation with a person (or waiting for one) is theirs: the assistant keeps quiet.
    const state = await options.api.post('/cgi-bin/kf/service_state/get', { open_kfid: message.open_kfid, external_userid: user });
    if (WITH_PEOPLE.has(Number(state.service_state))) {
      options.metrics.messages.inc({ channel: CHANNEL, outcome: 'with_person' });
      await options.once.finish(id, { parts: [], outcome: 'with_person' });
      return;
    }
    const text = message.msgtype === 'text' ? message.text?.content : undefined;
    let answer: Pick<ChannelAnswer, 'parts' | 'handoff' | 'reason' | 'outcome' | 'answerId'>;
    if (!text?.trim()) {
      options.metrics.messages.inc({ channel: CHANNEL, outcome: 'unsupported' });
      answer = { parts: ['请发送文字消息，我会尽快为您解答。 / Please send your question as text.'], handoff: false, outcome: 'answered' };
    } else {
      answer = await options.turns.answer({ channel: CHANNEL, account: message.open_kfid, user, messageId: message.msgid, text }, options.format);
    }
    await options.once.finish(id, { parts: answer.parts, outcome: answer.outcome, handoff: answer.handoff, reason: answer.reason });
    if (!(await options.once.claimDelivery(id, 'push'))) return;
    for (const [index, part] of answer.parts.entries()) {
      await options.api.post('/cgi-bin/kf/send_msg', { touser: user, open_kfid: message.open_kfid, msgid: sendId(message.msgid, index), msgtype: 'text', text: { content: part } });
    }
    options.metrics.replies.inc({ channel: CHANNEL, via: 'send' });
    if (answer.handoff && answer.reason && options.handoffOn.has(answer.reason)) {
      await options.api.post('/cgi-bin/kf/service_state/trans', {
        open_kfid: message.open_kfid,
        external_userid: user,
        service_state: options.handoffServicer ? 3 : 2,
        ...(options.handoffServicer ? { servicer_userid: options.handoffServicer } : {}),
      });
      log.info({ reason: answer.reason }, 'wecom: conversation passed to a person');
      await options.recordHandoff({ channel: CHANNEL, sessionUser: user, question: text ?? '', reason: answer.reason, messageId: message.msgid, answerId: answer.answerId });
    }
  } catch (error) {
    log.error({ err: error }, 'wecom: message not answered');
  }
}
