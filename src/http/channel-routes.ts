import { randomUUID } from 'node:crypto';
import type { Router, RequestHandler } from 'express';
import type { AnswerService } from '../answer/answer-service.js';
import type { Conversations } from '../chat/conversation.js';
import type { Config } from '../config/config.js';
import { HANDOFF_ANALYTICS_LOG, HANDOFF_LOG } from '../handoff/handoffs.js';
import type { Logger } from '../log.js';
import type { ContentLabels } from '../moderation/content-label.js';
import type { Moderation } from '../moderation/lexicon.js';
import type { SharedState } from '../state/shared-state.js';
import type { ChannelMetrics } from '../channels/channel-metrics.js';
import { type ChannelState, MemoryChannelState, RedisChannelState } from '../state/channel-state.js';
import { type ChannelName, ChannelTurns } from '../channels/channel-turns.js';
import { MessageOnce } from '../channels/message-once.js';
import { WechatApi } from '../channels/wechat-api.js';
import { wechatOfficialAccountRoutes } from './wechat-routes.js';
import { wecomCustomerServiceRoutes } from './wecom-routes.js';
import { feishuRoutes } from './feishu-routes.js';
import { FeishuBot } from '../channels/feishu-bot.js';
import { startFeishuLongConnection } from '../channels/feishu-long-connection.js';
import { DINGTALK_ROBOT_TOPIC, DingtalkStreamClient } from '../channels/dingtalk-stream.js';
import { DingtalkRobot } from '../channels/dingtalk-robot.js';
import { DingtalkRobotApi } from '../channels/dingtalk-robot-api.js';
import { ReplayGuard } from '../channels/replay-guard.js';
import { workspacePrefix } from '../workspaces/scoped-state.js';

export interface ChannelParts {
  answers: AnswerService;
  conversations: Conversations;
  state: SharedState;
  metrics: ChannelMetrics;
  labels: ContentLabels;
  moderation?: Moderation;
  mask?: (text: string) => string;
  /** Load shedding only: platform servers call from many addresses, so no per-IP limit (the signature is the gate). */
  guards: RequestHandler[];
  /** Tests: a channel state of their own. */
  channelState?: ChannelState;
}

/**
 * The messaging channels the settings turn on: callback channels as routers (WeChat Official Account, WeCom customer
 * service, Feishu by request URL), and outgoing connections started here (Feishu's long connection, DingTalk Stream).
 */
export function buildChannels(config: Config, logger: Logger, parts: ChannelParts): { routers: Router[]; close: () => Promise<void> } {
  const enabled = Boolean(config.WECHAT_APP_ID || config.WECOM_CORP_ID || config.FEISHU_APP_ID || config.DINGTALK_CLIENT_ID);
  if (!enabled) return { routers: [], close: async () => {} };
  const state =
    parts.channelState ??
    // A created workspace's channels (its own accounts) keep their tokens, cursors and seen messages under its prefix.
    (config.REDIS_URL
      ? new RedisChannelState(config.REDIS_URL, `${config.REDIS_KEY_PREFIX}${workspacePrefix(config.WORKSPACE_ID)}channel:`, (error) => logger.warn({ err: error }, 'channels: Redis error'))
      : new MemoryChannelState());
  const metrics = parts.metrics;
  const turns = new ChannelTurns({
    answers: parts.answers,
    conversations: parts.conversations,
    state: parts.state,
    handoffContact: { zh: config.HANDOFF_CONTACT_ZH, en: config.HANDOFF_CONTACT_EN },
    labels: parts.labels,
    moderation: parts.moderation,
    metrics,
    logger,
    rateLimit: { perMinute: config.CHANNEL_RATE_LIMIT_PER_MINUTE, burst: config.CHANNEL_RATE_LIMIT_BURST },
    answerTimeoutMs: config.CHANNEL_ANSWER_TIMEOUT_MS,
    maxQuestionChars: config.MAX_QUESTION_CHARS,
  });
  const once = new MessageOnce(state, { leaseSeconds: Math.ceil(config.CHANNEL_ANSWER_TIMEOUT_MS / 1000) + 30, keepSeconds: config.CHANNEL_DEDUP_SECONDS });
  const format = { maxBytes: config.CHANNEL_MESSAGE_MAX_BYTES, maxParts: 5 };
  const replay = new ReplayGuard(state, config.CHANNEL_REPLAY_WINDOW_SECONDS);
  const closers: (() => Promise<void> | void)[] = [];
  const mask = parts.mask ?? ((text: string) => text);
  // Kept like the widget's handoff requests: complete for the support team (the platform id is how they write
  // back), masked for analytics; GET /v1/admin/handoffs shows both.
  const recordHandoff = async (entry: { channel: ChannelName; sessionUser: string; question: string; reason: string; messageId: string; answerId?: string }) => {
    const id = randomUUID();
    const at = new Date().toISOString();
    await parts.state.appendLog(HANDOFF_LOG, { id, at, channel: entry.channel, platformUser: entry.sessionUser, question: entry.question, reason: entry.reason, messageId: entry.messageId }, 100_000);
    await parts.state.appendLog(
      HANDOFF_ANALYTICS_LOG,
      { id, at, channel: entry.channel, question: mask(entry.question), reason: entry.reason, ...(entry.answerId ? { answerId: entry.answerId } : {}) },
      100_000,
    );
  };
  const routers: Router[] = [];
  const api = (channel: string, baseUrl: string, tokenPath: string, tokenKey: string) =>
    new WechatApi({
      baseUrl,
      tokenPath,
      state,
      tokenKey,
      timeoutMs: config.CHANNEL_API_TIMEOUT_MS,
      onCall: (path, outcome) => metrics.apiCalls.inc({ channel, path, outcome }),
      onTokenRefresh: () => metrics.tokenRefreshes.inc({ channel }),
    });
  if (config.WECHAT_APP_ID) {
    routers.push(
      wechatOfficialAccountRoutes({
        appId: config.WECHAT_APP_ID,
        token: config.WECHAT_TOKEN!,
        encodingAesKey: config.WECHAT_ENCODING_AES_KEY,
        allowPlaintext: config.WECHAT_ALLOW_PLAINTEXT,
        api: api(
          'wechat',
          config.WECHAT_API_BASE,
          `/cgi-bin/token?grant_type=client_credential&appid=${encodeURIComponent(config.WECHAT_APP_ID)}&secret=${encodeURIComponent(config.WECHAT_APP_SECRET!)}`,
          `wechat:${config.WECHAT_APP_ID}:access-token`,
        ),
        turns,
        once,
        metrics,
        logger,
        replyWindowMs: config.WECHAT_REPLY_WINDOW_MS,
        ackText:
          config.WECHAT_ACK_TEXT_ZH || config.WECHAT_ACK_TEXT_EN
            ? { zh: config.WECHAT_ACK_TEXT_ZH ?? config.WECHAT_ACK_TEXT_EN!, en: config.WECHAT_ACK_TEXT_EN ?? config.WECHAT_ACK_TEXT_ZH! }
            : undefined,
        transferToHuman: config.WECHAT_TRANSFER_TO_HUMAN,
        format,
        recordHandoff,
        guards: parts.guards,
        bodyLimitBytes: config.BODY_LIMIT_BYTES,
        replay,
      }),
    );
  }
  if (config.WECOM_CORP_ID) {
    routers.push(
      wecomCustomerServiceRoutes({
        corpId: config.WECOM_CORP_ID,
        token: config.WECOM_KF_TOKEN!,
        encodingAesKey: config.WECOM_KF_ENCODING_AES_KEY!,
        api: api(
          'wecom',
          config.WECOM_API_BASE,
          `/cgi-bin/gettoken?corpid=${encodeURIComponent(config.WECOM_CORP_ID)}&corpsecret=${encodeURIComponent(config.WECOM_KF_SECRET!)}`,
          `wecom:${config.WECOM_CORP_ID}:kf-access-token`,
        ),
        turns,
        once,
        state,
        metrics,
        logger,
        format,
        handoffOn: new Set(config.WECOM_KF_HANDOFF_ON === 'none' ? [] : (config.WECOM_KF_HANDOFF_ON.split(',').map((item) => item.trim()) as ('requested' | 'refused' | 'moderated')[])),
        handoffServicer: config.WECOM_KF_HANDOFF_SERVICER,
        recordHandoff,
        guards: parts.guards,
        bodyLimitBytes: config.BODY_LIMIT_BYTES,
        replay,
      }),
    );
  }
  if (config.FEISHU_APP_ID) {
    const bot = new FeishuBot({
      appId: config.FEISHU_APP_ID,
      appSecret: config.FEISHU_APP_SECRET!,
      botOpenId: config.FEISHU_BOT_OPEN_ID!,
      apiBase: config.FEISHU_API_BASE,
      apiTimeoutMs: config.CHANNEL_API_TIMEOUT_MS,
      state,
      turns,
      once,
      metrics,
      logger,
      format,
      recordHandoff,
    });
    if (config.FEISHU_EVENT_MODE === 'callback') {
      routers.push(
        feishuRoutes({
          verificationToken: config.FEISHU_VERIFICATION_TOKEN!,
          encryptKey: config.FEISHU_ENCRYPT_KEY,
          bot,
          metrics,
          guards: parts.guards,
          bodyLimitBytes: config.BODY_LIMIT_BYTES,
          replay,
        }),
      );
    } else {
      const connection = startFeishuLongConnection({
        appId: config.FEISHU_APP_ID,
        appSecret: config.FEISHU_APP_SECRET!,
        domain: config.FEISHU_API_BASE,
        bot,
        logger,
        onState: (state) => metrics.connections.set({ channel: 'feishu' }, state === 'connected' ? 1 : 0),
      });
      connection.catch((error) => logger.error({ err: error, channel: 'feishu' }, 'feishu: the long connection did not start'));
      closers.push(async () => (await connection.catch(() => undefined))?.close());
    }
  }
  if (config.DINGTALK_CLIENT_ID) {
    const robot = new DingtalkRobot({
      clientId: config.DINGTALK_CLIENT_ID,
      turns,
      once,
      metrics,
      logger,
      format,
      timeoutMs: config.CHANNEL_API_TIMEOUT_MS,
      recordHandoff,
      api: new DingtalkRobotApi({
        clientId: config.DINGTALK_CLIENT_ID,
        clientSecret: config.DINGTALK_CLIENT_SECRET!,
        apiBase: config.DINGTALK_GATEWAY_BASE,
        timeoutMs: config.CHANNEL_API_TIMEOUT_MS,
        state,
        metrics,
      }),
      // A gateway other than DingTalk's (a self-hosted one, a test double) hands out webhooks on its own origin.
      extraWebhookOrigins: config.DINGTALK_GATEWAY_BASE === 'https://api.dingtalk.com' ? [] : [new URL(config.DINGTALK_GATEWAY_BASE).origin],
    });
    const stream = new DingtalkStreamClient({
      clientId: config.DINGTALK_CLIENT_ID,
      clientSecret: config.DINGTALK_CLIENT_SECRET!,
      gatewayBase: config.DINGTALK_GATEWAY_BASE,
      callbacks: { [DINGTALK_ROBOT_TOPIC]: (data) => robot.receive(data) },
      logger: logger.child({ channel: 'dingtalk' }),
      timeoutMs: config.CHANNEL_API_TIMEOUT_MS,
      onState: (state) => metrics.connections.set({ channel: 'dingtalk' }, state === 'connected' ? 1 : 0),
    });
    stream.start();
    closers.push(() => stream.stop());
  }
  return {
    routers,
    close: async () => {
      for (const close of closers) await close();
      await state.close();
    },
  };
}
