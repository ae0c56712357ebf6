import { timingSafeEqual } from 'node:crypto';
import express, { type Request, type RequestHandler, type Response, Router } from 'express';
import { z } from 'zod';
import { AppError } from './http-error.js';
import type { Logger } from '../log.js';
import type { ChannelMetrics } from '../channels/channel-metrics.js';
import type { ChannelState } from '../state/channel-state.js';
import type { ChannelTurns } from '../channels/channel-turns.js';
import type { ReplyFormat } from '../channels/format-reply.js';
import type { MessageOnce } from '../channels/message-once.js';
import { SharedAccessToken } from '../channels/access-token.js';
import { feishuDecrypt, feishuSignature } from '../channels/feishu-crypto.js';

const sameText = (a: string, b: string) => a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));

const messageEvent = z.object({
  schema: z.literal('2.0'),
  header: z.object({ event_id: z.string(), token: z.string(), event_type: z.string(), app_id: z.string().optional() }),
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

export interface FeishuOptions {
  appId: string;
  appSecret: string;
  verificationToken: string;
  encryptKey?: string;
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
  guards?: RequestHandler[];
  bodyLimitBytes: number;
}

const CHANNEL = 'feishu';
// Feishu's answers for a tenant_access_token it does not accept (invalid or expired; missing).
const FEISHU_TOKEN_ERRORS = new Set([99991663, 99991661]);

/**
 * Feishu (飞书) event subscription by request URL (src/channels/feishu-crypto.ts has the encryption and signature).
 * POST /channels/feishu: the URL check and `im.message.receive_v1`; replies through the message reply API. */
export function feishuRoutes(options: FeishuOptions): Router {
  const router = Router();
  const token = new SharedAccessToken(
    options.state,
    `feishu:${options.appId}:tenant-token`,
    async () => {
      const body = await call('/open-apis/auth/v3/tenant_access_token/internal', { app_id: options.appId, app_secret: options.appSecret });
      return { token: String(body.tenant_access_token), expiresInSeconds: Number(body.expire) || 7200 };
    },
    { onRefresh: () => options.metrics.tokenRefreshes.inc({ channel: CHANNEL }) },
  );
  async function call(path: string, payload: unknown, bearer?: string): Promise<Record<string, unknown>> {
    const response = await fetch(options.apiBase + path, {
      method: 'POST',
      headers: { 'content-type': 'application/json; charset=utf-8', ...(bearer ? { authorization: `Bearer ${bearer}` } : {}) },
      body: JSON.stringify(payload),
      signal: AbortSignal.timeout(options.apiTimeoutMs),
    });
    const body = (await response.json().catch(() => ({ code: -1, msg: `HTTP ${response.status}, not JSON` }))) as Record<string, unknown>;
    const metricPath = path.replace(/\/messages\/[^/]+\/reply$/, '/messages/:message_id/reply');
    options.metrics.apiCalls.inc({ channel: CHANNEL, path: metricPath, outcome: body.code === 0 ? 'ok' : String(body.code) });
    if (body.code !== 0) throw Object.assign(new Error(`${metricPath}: code ${String(body.code)} ${String(body.msg)}`), { code: Number(body.code) });
    return body;
  }
  async function reply(messageId: string, text: string) {
    let bearer = await token.get();
    for (let attempt = 1; ; attempt++) {
      try {
        return await call(`/open-apis/im/v1/messages/${encodeURIComponent(messageId)}/reply`, { msg_type: 'text', content: JSON.stringify({ text }) }, bearer);
      } catch (error) {
        if (attempt === 1 && FEISHU_TOKEN_ERRORS.has((error as { code?: number }).code ?? 0)) {
          bearer = await token.renew(bearer);
          continue;
        }
        throw error;
      }
    }
  }
  const reject = (reason: string, status: number, message: string) => {
    options.metrics.rejected.inc({ channel: CHANNEL, reason });
    return new AppError(status, `feishu_${reason}`, message);
  };

  router.post('/channels/feishu', ...(options.guards ?? []), express.text({ type: () => true, limit: options.bodyLimitBytes }), async (request: Request, response: Response) => {
    const raw = typeof request.body === 'string' ? request.body : '';
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(raw) as Record<string, unknown>;
      if (options.encryptKey) {
        const expected = feishuSignature(request.header('x-lark-request-timestamp') ?? '', request.header('x-lark-request-nonce') ?? '', options.encryptKey, raw);
        // The URL check itself comes unsigned; every event is signed.
        const signature = request.header('x-lark-signature');
        if (signature !== undefined && !sameText(signature, expected)) throw reject('signature', 401, 'X-Lark-Signature does not match FEISHU_ENCRYPT_KEY');
        if (typeof body.encrypt !== 'string') throw reject('decrypt', 400, 'An Encrypt Key is set but the body is not encrypted');
        body = JSON.parse(feishuDecrypt(options.encryptKey, body.encrypt)) as Record<string, unknown>;
        if (signature === undefined && body.type !== 'url_verification') throw reject('signature', 401, 'X-Lark-Signature is missing');
      }
    } catch (error) {
      if (error instanceof AppError) throw error;
      throw reject('malformed', 400, `Not a Feishu event: ${(error as Error).message}`);
    }
    if (body.type === 'url_verification') {
      if (typeof body.token !== 'string' || !sameText(body.token, options.verificationToken)) throw reject('signature', 401, 'The Verification Token does not match');
      return void response.json({ challenge: body.challenge });
    }
    const parsed = messageEvent.safeParse(body);
    if (!parsed.success || !sameText(parsed.data.header.token, options.verificationToken)) {
      if (parsed.success) throw reject('signature', 401, 'The Verification Token does not match');
      // Other events (a bot added to a chat, a message read…): acknowledged, nothing to answer.
      return void response.json({});
    }
    response.json({});
    const { event, header } = parsed.data;
    const message = event.message;
    if (header.event_type !== 'im.message.receive_v1' || event.sender.sender_type === 'app') return;
    const mentioned = (message.mentions ?? []).some((mention) => mention.id.open_id === options.botOpenId);
    // In a group the bot answers only when it is mentioned; a direct chat is always for it.
    if (message.chat_type !== 'p2p' && !mentioned) {
      options.metrics.messages.inc({ channel: CHANNEL, outcome: 'not_mentioned' });
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
    if (!(await options.once.start(id))) return void options.metrics.duplicates.inc({ channel: CHANNEL });
    void (async () => {
      const log = options.logger.child({ channel: CHANNEL, messageId: message.message_id });
      try {
        const parts = text.trim()
          ? (
              await options.turns.answer(
                { channel: 'feishu', account: options.appId, user: event.sender.sender_id.open_id, chat: message.chat_id, messageId: message.message_id, text },
                options.format,
              )
            ).parts
          : ['请发送文字消息，我会尽快为您解答。 / Please send your question as text.'];
        await options.once.finish(id, { parts });
        if (!(await options.once.claimDelivery(id, 'push'))) return;
        for (const part of parts) await reply(message.message_id, part);
        options.metrics.replies.inc({ channel: CHANNEL, via: 'reply' });
      } catch (error) {
        log.error({ err: error }, 'feishu: message not answered');
      }
    })();
  });
  return router;
}
