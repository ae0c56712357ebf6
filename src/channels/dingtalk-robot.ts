import { z } from 'zod';
import type { Logger } from '../log.js';
import type { ChannelMetrics } from './channel-metrics.js';
import type { DingtalkRobotApi } from './dingtalk-robot-api.js';
import type { ChannelName, ChannelTurns } from './channel-turns.js';
import type { ReplyFormat } from './format-reply.js';
import type { MessageOnce } from './message-once.js';

/** The robot message DingTalk pushes on `/v1.0/im/bot/messages/get` (the frame's `data`, as JSON). */
const robotMessage = z.object({
  msgId: z.string().min(1),
  msgtype: z.string(),
  text: z.object({ content: z.string() }).optional(),
  conversationId: z.string(),
  /** "1": a one-to-one chat with the robot; "2": a group. */
  conversationType: z.string(),
  senderId: z.string(),
  senderStaffId: z.string().optional(),
  robotCode: z.string().optional(),
  chatbotUserId: z.string().optional(),
  isInAtList: z.boolean().optional(),
  sessionWebhook: z.string().url(),
  sessionWebhookExpiredTime: z.number(),
});
export type DingtalkRobotMessage = z.infer<typeof robotMessage>;

export interface DingtalkRobotOptions {
  clientId: string;
  turns: ChannelTurns;
  once: MessageOnce;
  metrics: ChannelMetrics;
  logger: Logger;
  format: ReplyFormat;
  timeoutMs: number;
  /** Records a conversation that should go to a person (the handoff log the support team reads). */
  recordHandoff?: (entry: { channel: ChannelName; sessionUser: string; question: string; reason: string; messageId: string; answerId?: string }) => Promise<void>;
  /** For answers ready after the session webhook expired. */
  api?: DingtalkRobotApi;
  /** Origins a sessionWebhook may point at besides https://*.dingtalk.com (a self-hosted gateway, a test double). */
  extraWebhookOrigins: string[];
}

const CHANNEL = 'dingtalk';

/**
 * DingTalk's Stream-mode robot (钉钉机器人): a robot message from the Stream connection becomes a channel turn,
 * and the answer goes to the message's `sessionWebhook` (valid until `sessionWebhookExpiredTime`). In a group
 * only a message that @-mentions the robot is answered (`isInAtList`); each msgId is answered once across
 * replicas (every replica holds a connection, and DingTalk pushes an unacknowledged message again).
 */
export class DingtalkRobot {
  constructor(private readonly options: DingtalkRobotOptions) {}

  /** Takes one frame's data; the answer runs in the background (the frame is already acknowledged). */
  receive(data: string): void {
    const o = this.options;
    let message: DingtalkRobotMessage;
    try {
      message = robotMessage.parse(JSON.parse(data));
    } catch (error) {
      o.metrics.rejected.inc({ channel: CHANNEL, reason: 'malformed' });
      o.logger.warn({ err: error, channel: CHANNEL }, 'dingtalk: not a robot message');
      return;
    }
    void this.answer(message).catch((error) => o.logger.error({ err: error, channel: CHANNEL, messageId: message.msgId }, 'dingtalk: message not answered'));
  }

  private async answer(message: DingtalkRobotMessage): Promise<void> {
    const o = this.options;
    if (message.conversationType !== '1' && message.isInAtList !== true) {
      o.metrics.messages.inc({ channel: CHANNEL, outcome: 'not_mentioned' });
      return;
    }
    const id = `dingtalk:${message.msgId}`;
    if (!(await o.once.start(id))) return void o.metrics.duplicates.inc({ channel: CHANNEL });
    // DingTalk already takes the robot's @name out of a group message's text.
    const text = message.msgtype === 'text' ? (message.text?.content ?? '').trim() : '';
    const user = message.senderStaffId ?? message.senderId;
    const answer = text
      ? await o.turns.answer({ channel: CHANNEL, account: message.robotCode ?? o.clientId, user, chat: message.conversationId, messageId: message.msgId, text }, o.format)
      : undefined;
    const parts = answer?.parts ?? ['请发送文字消息，我会尽快为您解答。 / Please send your question as text.'];
    await o.once.finish(id, { parts });
    if (answer?.handoff && answer.reason) await o.recordHandoff?.({ channel: CHANNEL, sessionUser: user, question: text, reason: answer.reason, messageId: message.msgId, answerId: answer.answerId });
    if (!(await o.once.claimDelivery(id, 'push'))) return;
    // The webhook stops working at its expiry: a later answer goes through the robot's own send API.
    if (Date.now() >= message.sessionWebhookExpiredTime) {
      o.metrics.messages.inc({ channel: CHANNEL, outcome: 'webhook_expired' });
      if (!o.api) return void o.logger.warn({ channel: CHANNEL, messageId: message.msgId }, 'dingtalk: the session webhook expired before the answer was ready');
      const to = { robotCode: message.robotCode ?? o.clientId, ...(message.conversationType === '1' ? { userId: user } : { openConversationId: message.conversationId }) };
      for (const part of parts) await o.api.send(to, part);
      o.metrics.replies.inc({ channel: CHANNEL, via: 'robot_api' });
      return;
    }
    if (!this.webhookAllowed(message.sessionWebhook)) {
      o.metrics.rejected.inc({ channel: CHANNEL, reason: 'webhook_origin' });
      o.logger.warn({ channel: CHANNEL, messageId: message.msgId }, 'dingtalk: a sessionWebhook outside DingTalk, not called');
      return;
    }
    for (const part of parts) await this.send(message.sessionWebhook, part);
    o.metrics.replies.inc({ channel: CHANNEL, via: 'webhook' });
  }

  private webhookAllowed(webhook: string): boolean {
    const url = new URL(webhook);
    if (url.protocol === 'https:' && (url.hostname === 'dingtalk.com' || url.hostname.endsWith('.dingtalk.com'))) return true;
    return this.options.extraWebhookOrigins.includes(url.origin);
  }

  private async send(webhook: string, content: string): Promise<void> {
    const o = this.options;
    const response = await fetch(webhook, {
      method: 'POST',
      headers: { 'content-type': 'application/json; charset=utf-8' },
      body: JSON.stringify({ msgtype: 'text', text: { content } }),
      signal: AbortSignal.timeout(o.timeoutMs),
    });
    const body = (await response.json().catch(() => ({ errcode: -1, errmsg: `HTTP ${response.status}, not JSON` }))) as { errcode?: number; errmsg?: string };
    o.metrics.apiCalls.inc({ channel: CHANNEL, path: 'sessionWebhook', outcome: body.errcode === 0 ? 'ok' : String(body.errcode) });
    if (body.errcode !== 0) throw new Error(`sessionWebhook: errcode ${String(body.errcode)} ${String(body.errmsg)}`);
  }
}
