/**
 * TEST DOUBLE — not DingTalk's servers. A local server playing DingTalk's side of Stream mode, as the
 * "Stream模式协议接入说明" describes it and the official `dingtalk-stream` SDK expects it (its client.mjs is the
 * reference; a test runs that SDK against this double):
 *
 * - `POST /v1.0/gateway/connections/open` with `{ clientId, clientSecret, subscriptions, ua }` → `{ endpoint,
 *   ticket }` (in XML unless the request accepts JSON); a wrong client id or secret → 401 `{ code, message, requestid }` (DingTalk's new-API error shape);
 * - a WebSocket at `endpoint?ticket=…`, each ticket good once;
 * - JSON frames down the socket: `{ specVersion, type: 'SYSTEM'|'EVENT'|'CALLBACK', headers: { appId, connectionId,
 *   contentType, messageId, time, topic }, data }`; the client acknowledges each EVENT/CALLBACK with `{ code: 200,
 *   headers: { contentType, messageId }, message: 'OK', data }`, and a frame not acknowledged within
 *   `redeliverAfterMs` is pushed again on a connection of the same app (DingTalk retries for about a minute);
 * - SYSTEM `ping` (answered with its own headers and data) and SYSTEM `disconnect` (the socket closes soon after);
 * - the robot's `sessionWebhook` (`POST /robot/sendBySession?session=…` with `{ msgtype: 'text', text: { content } }`
 *   → `{ errcode: 0, errmsg: 'ok' }`; an expired or unknown session → an errcode, never a delivery);
 * - the robot's send API for later answers: `POST /v1.0/oauth2/accessToken` `{ appKey, appSecret }` →
 *   `{ accessToken, expireIn }`, then `POST /v1.0/robot/oToMessages/batchSend` (`{ robotCode, userIds, msgKey,
 *   msgParam }`) or `/v1.0/robot/groupMessages/send` (`{ robotCode, openConversationId, msgKey, msgParam }`) with the
 *   `x-acs-dingtalk-access-token` header (an unknown or expired token → 401 InvalidAuthentication).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { type WebSocket, WebSocketServer } from 'ws';
import { LocalHttpDouble } from './local-http-double.js';

export const ROBOT_TOPIC = '/v1.0/im/bot/messages/get';

interface Connection {
  id: string;
  socket: WebSocket;
  subscriptions: { type: string; topic: string }[];
}

export class DingtalkStreamDouble extends LocalHttpDouble {
  private readonly wss = new WebSocketServer({ noServer: true });
  private readonly tickets = new Map<string, { subscriptions: Connection['subscriptions'] }>();
  private readonly sessions = new Map<string, number>();
  private readonly pending = new Map<string, NodeJS.Timeout>();
  private next = 0;
  readonly connections: Connection[] = [];
  readonly openRequests: { clientId: string; subscriptions: Connection['subscriptions']; ua?: string }[] = [];
  readonly acks: { messageId: string; code: number; message: string; data: string; connectionId: string }[] = [];
  readonly pingReplies: { messageId: string; data: string }[] = [];
  readonly deliveries: { messageId: string; connectionId: string }[] = [];
  readonly webhookReplies: { session: string; content: string }[] = [];
  readonly webhookRefusals: { session: string; errcode: number }[] = [];
  redeliverAfterMs = 1500;
  private readonly accessTokens = new Map<string, number>();
  readonly tokenRequests = { count: 0 };
  readonly robotSends: { path: string; robotCode: string; userIds?: string[]; openConversationId?: string; msgKey: string; content: string }[] = [];

  constructor(readonly app: { clientId: string; clientSecret: string }) {
    super();
  }

  override async stop(): Promise<void> {
    for (const timer of this.pending.values()) clearTimeout(timer);
    for (const connection of this.connections) connection.socket.terminate();
    this.wss.close();
    await super.stop();
  }

  private json(response: ServerResponse, status: number, body: unknown) {
    response.writeHead(status, { 'content-type': 'application/json;charset=utf-8' });
    response.end(JSON.stringify(body));
  }

  protected async handle(request: IncomingMessage, response: ServerResponse) {
    let raw = '';
    for await (const chunk of request) raw += chunk;
    const url = new URL(request.url ?? '/', 'http://double');
    // biome-ignore lint/suspicious/noExplicitAny: the double reads whatever JSON the client sent, as the platform does
    let body: Record<string, any>;
    try {
      body = JSON.parse(raw || '{}');
    } catch {
      return this.json(response, 400, { code: 'InvalidParameter', message: 'body is not JSON', requestid: randomUUID() });
    }
    if (request.method === 'POST' && url.pathname === '/v1.0/gateway/connections/open') {
      if (body.clientId !== this.app.clientId || body.clientSecret !== this.app.clientSecret)
        return this.json(response, 401, { code: 'InvalidAuthentication', message: 'clientId or clientSecret is wrong', requestid: randomUUID() });
      if (!Array.isArray(body.subscriptions) || !body.subscriptions.length)
        return this.json(response, 400, { code: 'InvalidParameter', message: 'subscriptions is required', requestid: randomUUID() });
      this.openRequests.push({ clientId: body.clientId, subscriptions: body.subscriptions, ua: body.ua });
      const ticket = randomBytes(16).toString('hex');
      this.tickets.set(ticket, { subscriptions: body.subscriptions });
      // Without `Accept: application/json` the gateway answers in XML (the SDK's comment says so).
      if (!(request.headers.accept ?? '').includes('application/json')) {
        response.writeHead(200, { 'content-type': 'application/xml;charset=utf-8' });
        return void response.end(`<OpenConnectionResponse><endpoint>${this.base.replace(/^http/, 'ws')}/connect</endpoint><ticket>${ticket}</ticket></OpenConnectionResponse>`);
      }
      return this.json(response, 200, { endpoint: `${this.base.replace(/^http/, 'ws')}/connect`, ticket });
    }
    if (request.method === 'POST' && url.pathname === '/v1.0/oauth2/accessToken') {
      this.tokenRequests.count++;
      if (body.appKey !== this.app.clientId || body.appSecret !== this.app.clientSecret)
        return this.json(response, 400, { code: 'invalidClientIdOrSecret', message: '无效的clientId或者clientSecret', requestid: randomUUID() });
      const token = randomBytes(16).toString('hex');
      this.accessTokens.set(token, Date.now() + 7_200_000);
      return this.json(response, 200, { accessToken: token, expireIn: 7200 });
    }
    if (request.method === 'POST' && (url.pathname === '/v1.0/robot/oToMessages/batchSend' || url.pathname === '/v1.0/robot/groupMessages/send')) {
      const token = String(request.headers['x-acs-dingtalk-access-token'] ?? '');
      if ((this.accessTokens.get(token) ?? 0) <= Date.now()) return this.json(response, 401, { code: 'InvalidAuthentication', message: '不合法的access_token', requestid: randomUUID() });
      let content: unknown;
      try {
        content = JSON.parse(body.msgParam).content;
      } catch {
        content = undefined;
      }
      const group = url.pathname.endsWith('/groupMessages/send');
      if (body.robotCode !== this.app.clientId || body.msgKey !== 'sampleText' || typeof content !== 'string' || (group ? !body.openConversationId : !Array.isArray(body.userIds)))
        return this.json(response, 400, { code: 'InvalidParameter', message: 'robotCode, msgKey, msgParam or the receivers are wrong', requestid: randomUUID() });
      this.robotSends.push({ path: url.pathname, robotCode: body.robotCode, userIds: body.userIds, openConversationId: body.openConversationId, msgKey: body.msgKey, content });
      return this.json(response, 200, group ? { processQueryKey: randomUUID() } : { processQueryKey: randomUUID(), invalidStaffIdList: [], flowControlledStaffIdList: [] });
    }
    if (request.method === 'POST' && url.pathname === '/robot/sendBySession') {
      const session = url.searchParams.get('session') ?? '';
      const expires = this.sessions.get(session);
      if (expires === undefined || expires <= Date.now()) {
        this.webhookRefusals.push({ session, errcode: 300001 });
        return this.json(response, 200, { errcode: 300001, errmsg: 'session is not exist or expired' });
      }
      const content = body.msgtype === 'text' ? body.text?.content : undefined;
      if (typeof content !== 'string' || !content) return this.json(response, 200, { errcode: 40035, errmsg: 'missing parameter: text.content' });
      this.webhookReplies.push({ session, content });
      return this.json(response, 200, { errcode: 0, errmsg: 'ok' });
    }
    this.json(response, 404, { code: 'NotFound', message: 'not found', requestid: randomUUID() });
  }

  protected override upgrade(request: IncomingMessage, socket: Socket, head: Buffer): void {
    const url = new URL(request.url ?? '/', 'http://double');
    const ticket = url.searchParams.get('ticket') ?? '';
    const grant = this.tickets.get(ticket);
    if (url.pathname !== '/connect' || !grant) return void socket.end('HTTP/1.1 401 Unauthorized\r\n\r\n');
    this.tickets.delete(ticket);
    this.wss.handleUpgrade(request, socket, head, (ws) => {
      const connection: Connection = { id: randomUUID(), socket: ws, subscriptions: grant.subscriptions };
      this.connections.push(connection);
      ws.on('message', (raw) => this.upstream(connection, raw.toString()));
      ws.on('close', () => this.connections.splice(this.connections.indexOf(connection), 1));
    });
  }

  private upstream(connection: Connection, raw: string) {
    // biome-ignore lint/suspicious/noExplicitAny: frames from the client are whatever it sent
    const frame = JSON.parse(raw) as any;
    const messageId = String(frame.headers?.messageId ?? '');
    if (frame.headers?.topic === 'ping') return void this.pingReplies.push({ messageId, data: frame.data });
    this.acks.push({ messageId, code: frame.code, message: frame.message, data: frame.data, connectionId: connection.id });
    if (frame.code === 200) {
      clearTimeout(this.pending.get(messageId));
      this.pending.delete(messageId);
    }
  }

  private frame(connection: Connection, type: 'SYSTEM' | 'CALLBACK', topic: string, data: string, messageId = randomUUID()) {
    return JSON.stringify({
      specVersion: '1.0',
      type,
      headers: { appId: this.app.clientId, connectionId: connection.id, contentType: 'application/json', messageId, time: String(Date.now()), topic },
      data,
    });
  }

  /** The connections that subscribed to a topic, in the order they opened. */
  subscribers(topic: string): Connection[] {
    return this.connections.filter((connection) => connection.subscriptions.some((item) => item.type === 'CALLBACK' && item.topic === topic));
  }

  /**
   * Pushes a robot message as a CALLBACK frame: to one subscriber (taking turns, as DingTalk spreads an app's
   * messages over its connections) or to every one (a redelivery that reaches another replica). An
   * unacknowledged frame is pushed again after `redeliverAfterMs`.
   */
  pushRobotMessage(message: Record<string, unknown>, options: { to?: 'one' | 'all' } = {}): string {
    const messageId = randomUUID();
    const targets = this.subscribers(ROBOT_TOPIC);
    if (!targets.length) throw new Error('no connection subscribed to the robot topic');
    const chosen = options.to === 'all' ? targets : [targets[this.next++ % targets.length]!];
    const send = (attempt: number) => {
      const live = this.subscribers(ROBOT_TOPIC);
      const to = attempt === 0 ? chosen : live.length ? [live[(this.next + attempt) % live.length]!] : [];
      for (const connection of to) {
        this.deliveries.push({ messageId, connectionId: connection.id });
        connection.socket.send(this.frame(connection, 'CALLBACK', ROBOT_TOPIC, JSON.stringify(message), messageId));
      }
      if (attempt < 3)
        this.pending.set(
          messageId,
          setTimeout(() => send(attempt + 1), this.redeliverAfterMs),
        );
    };
    send(0);
    return messageId;
  }

  expireAccessTokens(): void {
    for (const token of this.accessTokens.keys()) this.accessTokens.set(token, 0);
  }

  /** Something that is not a frame, down every connection (a client must survive it). */
  sendRaw(text: string): void {
    for (const connection of this.connections) connection.socket.send(text);
  }

  /** A SYSTEM ping to every connection; the client must echo its headers and data. */
  ping(): string[] {
    return this.connections.map((connection) => {
      const messageId = randomUUID();
      connection.socket.send(this.frame(connection, 'SYSTEM', 'ping', JSON.stringify({ opaque: messageId }), messageId));
      return messageId;
    });
  }

  /** A SYSTEM disconnect to every connection, closed `afterMs` later (as the gateway does before a restart). */
  disconnectAll(afterMs = 200): void {
    for (const connection of [...this.connections]) {
      connection.socket.send(this.frame(connection, 'SYSTEM', 'disconnect', JSON.stringify({ reason: 'server restart' })));
      setTimeout(() => connection.socket.close(), afterMs);
    }
  }

  /** A robot text message as DingTalk sends it, with a session webhook on this double valid for `webhookTtlMs`. */
  robotMessage(options: { msgId: string; text: string; conversationType: '1' | '2'; isInAtList?: boolean; senderStaffId?: string; webhookTtlMs?: number }) {
    const session = randomBytes(12).toString('hex');
    const expires = Date.now() + (options.webhookTtlMs ?? 90 * 60_000);
    this.sessions.set(session, expires);
    const staff = options.senderStaffId ?? 'manager0001';
    return {
      conversationId: options.conversationType === '1' ? `cid-p2p-${staff}` : 'cidGroupTest000000000001==',
      chatbotCorpId: 'dingcorp0000000000000000',
      chatbotUserId: '$:LWCP_v1:$robot000000000000000000',
      msgId: options.msgId,
      senderNick: '测试用户',
      isAdmin: false,
      senderStaffId: staff,
      sessionWebhookExpiredTime: expires,
      createAt: Date.now(),
      senderCorpId: 'dingcorp0000000000000000',
      conversationType: options.conversationType,
      senderId: `$:LWCP_v1:$${staff}`,
      sessionWebhook: `${this.base}/robot/sendBySession?session=${session}`,
      robotCode: this.app.clientId,
      msgtype: 'text',
      text: { content: options.text },
      ...(options.conversationType === '2' ? { isInAtList: options.isInAtList ?? false, conversationTitle: '测试群' } : {}),
    };
  }
}
