import express, { type Request, type RequestHandler, type Response, Router } from 'express';
import { AppError } from './http-error.js';
import type { Logger } from '../log.js';
import type { ChannelMetrics } from '../channels/channel-metrics.js';
import type { ChannelAnswer, ChannelTurns } from '../channels/channel-turns.js';
import type { ReplyFormat } from '../channels/format-reply.js';
import type { MessageOnce } from '../channels/message-once.js';
import type { ReplayGuard } from '../channels/replay-guard.js';
import type { WechatApi } from '../channels/wechat-api.js';
import { WechatMessageCrypto, signatureMatches, wechatSignature } from '../channels/wechat-crypto.js';
import { buildWechatXml, parseWechatXml, type WechatXml } from '../channels/wechat-xml.js';

export interface WechatOfficialAccountOptions {
  appId: string;
  /** The Token set in the Official Account's server configuration (服务器配置). */
  token: string;
  /** EncodingAESKey: needed for safe mode (安全模式) and compatible mode; plaintext mode works without it. */
  encodingAesKey?: string;
  /** With a key set, plaintext callbacks are refused unless this is on (WECHAT_ALLOW_PLAINTEXT). */
  allowPlaintext?: boolean;
  api: WechatApi;
  turns: ChannelTurns;
  once: MessageOnce;
  metrics: ChannelMetrics;
  logger: Logger;
  /** How long a callback response may wait for the answer: WeChat gives up at 5 s and retries (three tries). */
  replyWindowMs: number;
  /** Sent in the callback response when the answer is not ready in time; unset: an empty "success" (nothing shown). */
  ackText?: { zh: string; en: string };
  /** Pass a request for a person to the Official Account's customer-service staff (transfer_customer_service). */
  transferToHuman: boolean;
  format: ReplyFormat;
  /** Records a conversation passed to a person (the handoff log the support team reads). */
  recordHandoff: (entry: { channel: 'wechat'; sessionUser: string; question: string; reason: string; messageId: string; answerId?: string }) => Promise<void>;
  guards?: RequestHandler[];
  bodyLimitBytes: number;
  /** Signed callbacks too old, or a nonce already used with another body, are refused. */
  replay: ReplayGuard;
}

/** What a stored result keeps: the answer's messages, and whether a person should take over. */
type StoredAnswer = Pick<ChannelAnswer, 'parts' | 'handoff' | 'reason' | 'lang' | 'outcome'>;

const CHANNEL = 'wechat';
// Long enough that a response still in flight when the window closes has reached WeChat before push decides.
const PUSH_MARGIN_MS = 300;

/**
 * A WeChat Official Account (公众号) as a channel, per the "接入指南" and "消息加解密" documentation:
 * GET verifies the server URL (signature over token, timestamp, nonce → echo `echostr`); POST carries a message
 * in plaintext, or in safe mode as `<Encrypt>` with `msg_signature`, and the reply is encrypted the same way.
 *
 * WeChat waits 5 s for the response, then retries the same MsgId, three tries in all. The answer starts once
 * (MessageOnce); each callback waits for it up to `replyWindowMs`. Ready in time: it is the response (a passive
 * reply). Not ready: the response is an acknowledgement (or "success", which shows nothing) and the answer goes
 * out through the customer-service message API (/cgi-bin/message/custom/send) when ready; exactly one of the two.
 */
export function wechatOfficialAccountRoutes(options: WechatOfficialAccountOptions): Router {
  const router = Router();
  const crypto = options.encodingAesKey ? new WechatMessageCrypto(options.token, options.encodingAesKey, options.appId) : undefined;
  const reject = (reason: string, status: number, message: string) => {
    options.metrics.rejected.inc({ channel: CHANNEL, reason });
    return new AppError(status, `wechat_${reason}`, message);
  };
  const query = (request: Request, name: string) => (typeof request.query[name] === 'string' ? (request.query[name] as string) : '');
  const checkSignature = (request: Request) => {
    if (!signatureMatches(query(request, 'signature'), wechatSignature(options.token, query(request, 'timestamp'), query(request, 'nonce')))) {
      throw reject('signature', 401, 'The signature does not match WECHAT_TOKEN');
    }
  };

  router.get('/channels/wechat', ...(options.guards ?? []), (request: Request, response: Response) => {
    checkSignature(request);
    response.type('text/plain').send(query(request, 'echostr'));
  });

  router.post('/channels/wechat', ...(options.guards ?? []), express.text({ type: () => true, limit: options.bodyLimitBytes }), async (request: Request, response: Response) => {
    checkSignature(request);
    const raw = typeof request.body === 'string' ? request.body : '';
    let outer: WechatXml;
    try {
      outer = parseWechatXml(raw);
    } catch (error) {
      throw reject('malformed', 400, `Not a WeChat message: ${(error as Error).message}`);
    }
    const encrypted = query(request, 'encrypt_type') === 'aes';
    // A plaintext callback's signature does not cover its body: with a key configured, only encrypted ones are
    // trusted, or a leaked signed URL (an access log, the verification URL) would forge messages from anyone.
    if (crypto && !encrypted && !options.allowPlaintext)
      throw reject(
        'plaintext',
        401,
        'A plaintext callback arrived but WECHAT_ENCODING_AES_KEY is set: only encrypted (safe or compatible mode) callbacks are accepted; set WECHAT_ALLOW_PLAINTEXT=true to accept both',
      );
    let message = outer;
    const timestamp = query(request, 'timestamp');
    const nonce = query(request, 'nonce');
    if (encrypted) {
      if (!crypto) throw reject('decrypt', 400, 'An encrypted message arrived but WECHAT_ENCODING_AES_KEY is not set');
      if (!crypto.verify(query(request, 'msg_signature'), timestamp, nonce, outer.Encrypt ?? '')) throw reject('signature', 401, 'msg_signature does not match');
      try {
        message = parseWechatXml(crypto.decrypt(outer.Encrypt ?? ''));
      } catch (error) {
        throw reject('decrypt', 400, `The message does not decrypt: ${(error as Error).message}`);
      }
    }
    const verdict = await options.replay.check(CHANNEL, timestamp, nonce, raw);
    if (verdict !== 'ok') throw reject(verdict, 401, verdict === 'stale' ? 'The timestamp is outside the replay window' : 'This nonce was already used');
    const send = (xml: string | undefined) => {
      if (xml === undefined) return void response.type('text/plain').send('success');
      if (!crypto || !encrypted) return void response.type('application/xml').send(xml);
      const replyTimestamp = String(Math.floor(Date.now() / 1000));
      const replyNonce = String(Math.floor(Math.random() * 1e9));
      const body = crypto.encrypt(xml);
      response.type('application/xml').send(
        buildWechatXml([
          ['Encrypt', body],
          ['MsgSignature', crypto.sign(replyTimestamp, replyNonce, body)],
          ['TimeStamp', Number(replyTimestamp)],
          ['Nonce', replyNonce],
        ]),
      );
    };
    const passive = (content: string) =>
      buildWechatXml([
        ['ToUserName', message.FromUserName ?? ''],
        ['FromUserName', message.ToUserName ?? ''],
        ['CreateTime', Math.floor(Date.now() / 1000)],
        ['MsgType', 'text'],
        ['Content', content],
      ]);
    const transfer = () =>
      buildWechatXml([
        ['ToUserName', message.FromUserName ?? ''],
        ['FromUserName', message.ToUserName ?? ''],
        ['CreateTime', Math.floor(Date.now() / 1000)],
        ['MsgType', 'transfer_customer_service'],
      ]);

    // A voice message with WeChat's speech recognition on carries its text.
    const text = message.MsgType === 'text' ? message.Content : message.MsgType === 'voice' ? message.Recognition : undefined;
    if (!text?.trim() || !message.FromUserName) {
      // Events (subscribe, menu clicks) and media: nothing to answer, and WeChat must not retry.
      options.metrics.messages.inc({ channel: CHANNEL, outcome: 'unsupported' });
      return send(message.MsgType === 'event' ? undefined : passive('请发送文字消息，我会尽快为您解答。 / Please send your question as text.'));
    }
    const messageId = `${options.appId}:${message.MsgId || `${message.FromUserName}:${message.CreateTime}`}`;
    const deadline = Date.now() + options.replyWindowMs;
    await options.once.openWindow(messageId, deadline);
    if (await options.once.start(messageId)) {
      void produce(options, messageId, { openid: message.FromUserName, account: message.ToUserName ?? options.appId, text, msgId: message.MsgId ?? '' });
    } else options.metrics.duplicates.inc({ channel: CHANNEL });
    const ready = await options.once.waitResult<StoredAnswer>(messageId, deadline);
    if (ready && ready.parts.length === 1 && (await options.once.claimDelivery(messageId, 'passive'))) {
      options.metrics.replies.inc({ channel: CHANNEL, via: 'passive' });
      if (ready.reason === 'requested' && options.transferToHuman) return send(transfer());
      return send(passive(ready.parts[0]!));
    }
    if (ready) return send(undefined);
    const ack = options.ackText?.[/[\u4e00-\u9fff]/.test(text) ? 'zh' : 'en'];
    send(ack ? passive(ack) : undefined);
  });
  return router;
}

/** Answers once; after every callback window has closed, pushes the answer unless a callback delivered it. */
async function produce(options: WechatOfficialAccountOptions, messageId: string, message: { openid: string; account: string; text: string; msgId: string }) {
  const log = options.logger.child({ channel: CHANNEL, messageId });
  try {
    const answer = await options.turns.answer({ channel: CHANNEL, account: options.appId, user: message.openid, messageId, text: message.text }, options.format);
    const stored: StoredAnswer = { parts: answer.parts, handoff: answer.handoff, reason: answer.reason, lang: answer.lang, outcome: answer.outcome };
    await options.once.finish(messageId, stored);
    if (answer.handoff) {
      await options
        .recordHandoff({ channel: CHANNEL, sessionUser: message.openid, question: message.text, reason: answer.reason ?? 'requested', messageId, answerId: answer.answerId })
        .catch((error) => log.warn({ err: error }, 'handoff not recorded'));
    }
    // A single message may still go out as a callback's response: wait until none can.
    if (answer.parts.length === 1) await options.once.windowsClosed(messageId, PUSH_MARGIN_MS);
    if (!(await options.once.claimDelivery(messageId, 'push'))) return;
    for (const part of answer.parts) {
      await options.api.post('/cgi-bin/message/custom/send', { touser: message.openid, msgtype: 'text', text: { content: part } });
    }
    options.metrics.replies.inc({ channel: CHANNEL, via: 'push' });
  } catch (error) {
    // 45015: more than 48 hours since the customer wrote; 45047: too many messages pushed. Logged, counted by the API metric.
    log.error({ err: error }, 'wechat: answer not delivered');
  }
}
