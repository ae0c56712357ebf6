import type { Logger } from '../log.js';
import { type FeishuBot, feishuMessageEvent } from './feishu-bot.js';

export interface FeishuLongConnectionOptions {
  appId: string;
  appSecret: string;
  /** The Feishu open platform (https://open.feishu.cn, https://open.larksuite.com; a local double in tests). */
  domain: string;
  bot: FeishuBot;
  logger: Logger;
  onState?: (state: 'connected' | 'disconnected') => void;
}

/**
 * Feishu's long-connection mode (使用长连接接收事件) through the official SDK's WSClient: the service dials out to
 * Feishu, so a deployment needs no public callback URL. The SDK speaks the protobuf frame protocol, reconnects,
 * and acknowledges each event with what the handler returns; the event then goes to the same FeishuBot as a
 * callback. The connection is authenticated with the App Secret, so there is no Verification Token or signature to
 * check here.
 *
 * The SDK (6 MB of generated API clients) is loaded only when this mode is on.
 */
export async function startFeishuLongConnection(options: FeishuLongConnectionOptions): Promise<{ close: () => void }> {
  const lark = await import('@larksuiteoapi/node-sdk');
  const log = options.logger.child({ channel: 'feishu' });
  // The SDK logs with printf-style arguments; at debug level it would log event bodies (customers' messages).
  const say =
    (level: 'error' | 'warn' | 'info') =>
    (...args: unknown[]) =>
      log[level](args.map((item) => (typeof item === 'string' ? item : JSON.stringify(item))).join(' '));
  const logger = { error: say('error'), warn: say('warn'), info: say('info'), debug: () => {}, trace: () => {} };
  const dispatcher = new lark.EventDispatcher({ logger, loggerLevel: lark.LoggerLevel.warn }).register({
    // The SDK flattens the event: header fields and the event's own at the top level.
    'im.message.receive_v1': async (data: unknown) => {
      const flat = data as Record<string, unknown>;
      const parsed = feishuMessageEvent.safeParse({
        schema: flat.schema ?? '2.0',
        header: { event_id: flat.event_id, token: flat.token, event_type: flat.event_type, app_id: flat.app_id },
        event: { sender: flat.sender, message: flat.message },
      });
      if (!parsed.success) {
        log.warn({ issues: parsed.error.issues.length }, 'feishu: a long-connection event that is not a message, ignored');
        return;
      }
      await options.bot.receive(parsed.data);
    },
  });
  const up = () => options.onState?.('connected');
  const down = () => options.onState?.('disconnected');
  const client = new lark.WSClient({
    appId: options.appId,
    appSecret: options.appSecret,
    domain: options.domain,
    logger,
    loggerLevel: lark.LoggerLevel.warn,
    onReady: up,
    onReconnected: up,
    onReconnecting: down,
    onError: (error: Error) => {
      down();
      log.error({ err: error }, 'feishu: the long connection gave up');
    },
  });
  await client.start({ eventDispatcher: dispatcher });
  return {
    close: () => {
      client.close({ force: true });
      down();
    },
  };
}
