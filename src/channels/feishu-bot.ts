import { z } from 'zod';
import type { Logger } from '../log.js';
import type { ChannelState } from '../state/channel-state.js';
import { SharedAccessToken } from './access-token.js';
import type { ChannelMetrics } from './channel-metrics.js';
import type { ChannelName, ChannelTurns } from './channel-turns.js';
import type { ReplyFormat } from './format-reply.js';
import type { MessageOnce } from './message-once.js';

/** An `im.message.receive_v1` event (schema 2.0), as the callback posts it and the long connection carries it. */
export const feishuMessageEvent = z.object({
  schema: z.literal('2.0'),
  header: z.object({ event_id: z.string(), token: z.string().optional(), event_type: z.string(), app_id: z.string().optional() }),
  event: z.object({
    sender: z.object({ sender_id: z.object({ open_id: z.string() }), sender_type: z.string().optional() }),
    message: z.object({
      message_id: z.string(),
      chat_id: z.string(),
      chat_type: z.string(),
      message_type: z.string(),
      content: z.string(),
      mentions: z.array(z.object({ key: z.string(), id: z.object({ open_id: z.string().optional() }), name: z.string().optional() })).optional(),
    }),
  }),
});
export type FeishuMessageEvent = z.infer<typeof feishuMessageEvent>;

export interface FeishuBotOptions {
  appId: string;
  appSecret: string;
  /** The bot's open_id: in a group, only messages that mention it are answered. */
  botOpenId: string;
  apiBase: string;
  apiTimeoutMs: number;
  state: ChannelState;
  turns: ChannelTurns;
  once: MessageOnce;
  metrics: ChannelMetrics;
  logger: Logger;
  format: ReplyFormat;
  /** Records a conversation that should go to a person (the handoff log the support team reads). */
  recordHandoff?: (entry: { channel: ChannelName; sessionUser: string; question: string; reason: string; messageId: string; answerId?: string }) => Promise<void>;
}

const CHANNEL = 'feishu';
// Feishu's answers for a tenant_access_token it does not accept (invalid or expired; missing).
const FEISHU_TOKEN_ERRORS = new Set([99991663, 99991661]);

/**
 * What the Feishu bot does with a customer's message, whichever way it came (the request-URL callback or the
 * SDK's long connection): group messages only when the bot is mentioned (the mention taken out of the question),
 * each message id answered once across replicas, the answer sent with the message reply API.
 */
export class FeishuBot {
  private readonly token: SharedAccessToken;

  constructor(private readonly options: FeishuBotOptions) {
    this.token = new SharedAccessToken(
      options.state,
      `feishu:${options.appId}:tenant-token`,
      async () => {
        const body = await this.call('/open-apis/auth/v3/tenant_access_token/internal', { app_id: options.appId, app_secret: options.appSecret });
        return { token: String(body.tenant_access_token), expiresInSeconds: Number(body.expire) || 7200 };
      },
      { onRefresh: () => options.metrics.tokenRefreshes.inc({ channel: CHANNEL }) },
    );
  }

  private async call(path: string, payload: unknown, bearer?: string): Promise<Record<string, unknown>> {
    const o = this.options;
    const response = await fetch(o.apiBase + path, {
      method: 'POST',
      headers: { 'content-type': 'application/json; charset=utf-8', ...(bearer ? { authorization: `Bearer ${bearer}` } : {}) },
      body: JSON.stringify(payload),
      signal: AbortSignal.timeout(o.apiTimeoutMs),
    });
    const body = (await response.json().catch(() => ({ code: -1, msg: `HTTP ${response.status}, not JSON` }))) as Record<string, unknown>;
    const metricPath = path.replace(/\/messages\/[^/]+\/reply$/, '/messages/:message_id/reply');
    o.metrics.apiCalls.inc({ channel: CHANNEL, path: metricPath, outcome: body.code === 0 ? 'ok' : String(body.code) });
    if (body.code !== 0) throw Object.assign(new Error(`${metricPath}: code ${String(body.code)} ${String(body.msg)}`), { code: Number(body.code) });
    return body;
  }

  private async reply(messageId: string, text: string) {
    let bearer = await this.token.get();
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.call(`/open-apis/im/v1/messages/${encodeURIComponent(messageId)}/reply`, { msg_type: 'text', content: JSON.stringify({ text }) }, bearer);
      } catch (error) {
        if (attempt === 1 && FEISHU_TOKEN_ERRORS.has((error as { code?: number }).code ?? 0)) {
          bearer = await this.token.renew(bearer);
          continue;
        }
        throw error;
      }
    }
  }

  /** Takes a verified event; resolves once the message is claimed, the answer runs in the background. */
  async receive(parsed: FeishuMessageEvent): Promise<void> {
    const o = this.options;
    const { event, header } = parsed;
    const message = event.message;
    if (header.event_type !== 'im.message.receive_v1' || event.sender.sender_type === 'app') return;
    const mentioned = (message.mentions ?? []).some((mention) => mention.id.open_id === o.botOpenId);
    // In a group the bot answers only when it is mentioned; a direct chat is always for it.
    if (message.chat_type !== 'p2p' && !mentioned) {
      o.metrics.messages.inc({ channel: CHANNEL, outcome: 'not_mentioned' });
      return;
    }
    let text = '';
    try {
      text = message.message_type === 'text' ? String((JSON.parse(message.content) as { text?: string }).text ?? '') : '';
    } catch {
      text = '';
    }
    for (const mention of message.mentions ?? []) text = text.split(mention.key).join('');
    const id = `feishu:${message.message_id}`;
    // Feishu redelivers an event it thinks failed: the message id is answered once.
    if (!(await o.once.start(id))) return void o.metrics.duplicates.inc({ channel: CHANNEL });
    void (async () => {
      const log = o.logger.child({ channel: CHANNEL, messageId: message.message_id });
      try {
        const user = event.sender.sender_id.open_id;
        const answer = text.trim() ? await o.turns.answer({ channel: CHANNEL, account: o.appId, user, chat: message.chat_id, messageId: message.message_id, text }, o.format) : undefined;
        const parts = answer?.parts ?? ['请发送文字消息，我会尽快为您解答。 / Please send your question as text.'];
        await o.once.finish(id, { parts });
        if (answer?.handoff && answer.reason)
          await o.recordHandoff?.({ channel: CHANNEL, sessionUser: user, question: text.trim(), reason: answer.reason, messageId: message.message_id, answerId: answer.answerId });
        if (!(await o.once.claimDelivery(id, 'push'))) return;
        for (const part of parts) await this.reply(message.message_id, part);
        o.metrics.replies.inc({ channel: CHANNEL, via: 'reply' });
      } catch (error) {
        log.error({ err: error }, 'feishu: message not answered');
      }
    })();
  }
}
