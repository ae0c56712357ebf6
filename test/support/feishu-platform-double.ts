/**
 * TEST DOUBLE — not Feishu's servers. A local HTTP server answering like open.feishu.cn for what the Feishu
 * channel calls: /open-apis/auth/v3/tenant_access_token/internal (a wrong app id 10003, a wrong secret 10014) and
 * /open-apis/im/v1/messages/:message_id/reply (Bearer token checked: missing 99991661, invalid or expired 99991663;
 * the content must be the JSON string Feishu asks for). It also plays Feishu's side of event subscription:
 * encrypted, signed event posts as the "配置请求地址" documentation describes, and the long connection
 * (使用长连接接收事件): `POST /callback/ws/endpoint` with `{ AppID, AppSecret }` → `{ code: 0, data: { URL,
 * ClientConfig } }` (a wrong secret: code 514), then a WebSocket of protobuf `pbbp2.Frame`s (the definition the
 * SDK ships, written out here rather than taken from it): the client's control `ping` is answered with a `pong`
 * carrying the ClientConfig, an event is a data frame (`type: event`, `message_id`, `sum`/`seq` fragments,
 * `trace_id`) whose payload is the event JSON, and the client answers it with the same frame, a `biz_rt` header and
 * the payload `{ code: 200 }`.
 */
import { createCipheriv, createHash, randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import protobuf from 'protobufjs';
import { type WebSocket, WebSocketServer } from 'ws';
import { LocalHttpDouble } from './local-http-double.js';
import { feishuSignature } from '../../src/channels/feishu-crypto.js';

// Feishu's long-connection frame (pbbp2.proto), as protobufjs JSON.
const frameType = protobuf.Root.fromJSON({
  nested: {
    pbbp2: {
      nested: {
        Header: { fields: { key: { rule: 'required', type: 'string', id: 1 }, value: { rule: 'required', type: 'string', id: 2 } } },
        Frame: {
          fields: {
            SeqID: { rule: 'required', type: 'uint64', id: 1 },
            LogID: { rule: 'required', type: 'uint64', id: 2 },
            service: { rule: 'required', type: 'int32', id: 3 },
            method: { rule: 'required', type: 'int32', id: 4 },
            headers: { rule: 'repeated', type: 'Header', id: 5 },
            payloadEncoding: { type: 'string', id: 6 },
            payloadType: { type: 'string', id: 7 },
            payload: { type: 'bytes', id: 8 },
            LogIDNew: { type: 'string', id: 9 },
          },
        },
      },
    },
  },
}).lookupType('pbbp2.Frame');

interface Frame {
  SeqID: number;
  LogID: number;
  service: number;
  method: number;
  headers: { key: string; value: string }[];
  payload?: Uint8Array;
}

const SERVICE_ID = 7;
const CONTROL = 0;
const DATA = 1;

export class FeishuPlatformDouble extends LocalHttpDouble {
  constructor(readonly app: { appId: string; appSecret: string }) {
    super();
  }

  private readonly wss = new WebSocketServer({ noServer: true });
  private readonly sockets = new Set<WebSocket>();
  readonly endpointRequests: { AppID: string }[] = [];
  readonly pings = { count: 0 };
  readonly eventAcks: { messageId: string; code: number; bizRt?: string }[] = [];

  override async stop(): Promise<void> {
    for (const socket of this.sockets) socket.terminate();
    this.wss.close();
    await super.stop();
  }

  get longConnections(): number {
    return this.sockets.size;
  }

  protected override upgrade(request: IncomingMessage, socket: Socket, head: Buffer): void {
    const url = new URL(request.url ?? '/', 'http://double');
    if (url.pathname !== '/ws' || url.searchParams.get('service_id') !== String(SERVICE_ID) || !url.searchParams.get('device_id')) return void socket.end('HTTP/1.1 403 Forbidden\r\n\r\n');
    this.wss.handleUpgrade(request, socket, head, (ws) => {
      this.sockets.add(ws);
      ws.on('close', () => this.sockets.delete(ws));
      ws.on('message', (raw) => {
        const frame = frameType.toObject(frameType.decode(raw as Buffer), { longs: Number, bytes: Buffer }) as Frame;
        const header = (key: string) => frame.headers.find((item) => item.key === key)?.value;
        if (frame.method === CONTROL && header('type') === 'ping') {
          this.pings.count++;
          ws.send(this.encode({ method: CONTROL, headers: [{ key: 'type', value: 'pong' }], payload: Buffer.from(JSON.stringify(FeishuPlatformDouble.clientConfig)) }));
        } else if (frame.method === DATA) {
          const answer = JSON.parse(Buffer.from(frame.payload ?? []).toString('utf8')) as { code: number };
          this.eventAcks.push({ messageId: header('message_id') ?? '', code: answer.code, bizRt: header('biz_rt') });
        }
      });
    });
  }

  private static readonly clientConfig = { PingInterval: 30, ReconnectCount: -1, ReconnectInterval: 1, ReconnectNonce: 0 };

  private encode(frame: Partial<Frame>): Uint8Array {
    return frameType.encode(frameType.fromObject({ SeqID: 0, LogID: 0, service: SERVICE_ID, headers: [], ...frame })).finish();
  }

  /**
   * Pushes an event down every long connection (each replica holds one; Feishu may deliver to any), split into
   * `fragments` data frames as Feishu does for large payloads.
   */
  pushEvent(event: Record<string, unknown>, options: { fragments?: number } = {}): string {
    const messageId = randomBytes(8).toString('hex');
    const payload = Buffer.from(JSON.stringify(event));
    const sum = options.fragments ?? 1;
    const size = Math.ceil(payload.length / sum);
    for (const socket of this.sockets) {
      for (let seq = 0; seq < sum; seq++) {
        socket.send(
          this.encode({
            method: DATA,
            headers: [
              { key: 'type', value: 'event' },
              { key: 'message_id', value: messageId },
              { key: 'sum', value: String(sum) },
              { key: 'seq', value: String(seq) },
              { key: 'trace_id', value: randomBytes(8).toString('hex') },
            ],
            payload: payload.subarray(seq * size, (seq + 1) * size),
          }),
        );
      }
    }
    return messageId;
  }

  private tokens = new Map<string, number>();
  readonly tokenRequests = { count: 0 };
  readonly replies: { messageId: string; text: string }[] = [];

  expireTokens(): void {
    for (const token of this.tokens.keys()) this.tokens.set(token, 0);
  }

  private send(response: ServerResponse, status: number, body: Record<string, unknown>) {
    response.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
    response.end(JSON.stringify(body));
  }

  protected async handle(request: IncomingMessage, response: ServerResponse) {
    let raw = '';
    for await (const chunk of request) raw += chunk;
    const path = new URL(request.url ?? '/', 'http://double').pathname;
    // biome-ignore lint/suspicious/noExplicitAny: the double reads whatever JSON the client sent, as the platform does
    let body: Record<string, any> = {};
    try {
      body = JSON.parse(raw || '{}');
    } catch {
      return this.send(response, 400, { code: 9499, msg: 'Bad Request' });
    }
    if (request.method === 'POST' && path === '/open-apis/auth/v3/tenant_access_token/internal') {
      this.tokenRequests.count++;
      if (body.app_id !== this.app.appId) return this.send(response, 200, { code: 10003, msg: 'invalid param' });
      if (body.app_secret !== this.app.appSecret) return this.send(response, 200, { code: 10014, msg: 'app secret invalid' });
      const token = `t-${randomBytes(12).toString('hex')}`;
      this.tokens.set(token, Date.now() + 7_200_000);
      return this.send(response, 200, { code: 0, msg: 'ok', tenant_access_token: token, expire: 7200 });
    }
    if (request.method === 'POST' && path === '/callback/ws/endpoint') {
      if (body.AppID !== this.app.appId || body.AppSecret !== this.app.appSecret) return this.send(response, 200, { code: 514, msg: 'auth failed', data: {} });
      this.endpointRequests.push({ AppID: body.AppID });
      const url = `${this.base.replace(/^http/, 'ws')}/ws?device_id=${randomBytes(6).toString('hex')}&service_id=${SERVICE_ID}`;
      return this.send(response, 200, { code: 0, msg: 'ok', data: { URL: url, ClientConfig: FeishuPlatformDouble.clientConfig } });
    }
    const reply = /^\/open-apis\/im\/v1\/messages\/([^/]+)\/reply$/.exec(path);
    if (request.method === 'POST' && reply) {
      const bearer = /^Bearer (.+)$/.exec(request.headers.authorization ?? '')?.[1];
      if (!bearer) return this.send(response, 400, { code: 99991661, msg: 'Missing access token for authorization. Please make a request with token attached.' });
      if ((this.tokens.get(bearer) ?? 0) <= Date.now()) return this.send(response, 400, { code: 99991663, msg: 'Invalid access token for authorization. Please make a request with token attached.' });
      let text: unknown;
      try {
        text = JSON.parse(body.content).text;
      } catch {
        text = undefined;
      }
      if (body.msg_type !== 'text' || typeof text !== 'string' || !text) return this.send(response, 400, { code: 230001, msg: 'Your request contains an invalid request parameter.' });
      this.replies.push({ messageId: decodeURIComponent(reply[1]!), text });
      return this.send(response, 200, { code: 0, msg: 'success', data: { message_id: `om_${randomBytes(8).toString('hex')}` } });
    }
    this.send(response, 404, { code: 404, msg: 'not found' });
  }

  /** Feishu's encryption of an event body: base64(IV | AES-256-CBC(SHA-256(Encrypt Key), PKCS#7)). */
  static encrypt(encryptKey: string, plain: string): string {
    const iv = randomBytes(16);
    const cipher = createCipheriv('aes-256-cbc', createHash('sha256').update(encryptKey).digest(), iv);
    return Buffer.concat([iv, cipher.update(plain, 'utf8'), cipher.final()]).toString('base64');
  }

  /** An event post as Feishu sends it: encrypted and signed (the URL check is encrypted, not signed). */
  static eventPost(event: Record<string, unknown>, encryptKey: string, options: { signed?: boolean; timestamp?: number } = { signed: true }) {
    const body = JSON.stringify({ encrypt: FeishuPlatformDouble.encrypt(encryptKey, JSON.stringify(event)) });
    const timestamp = String(options.timestamp ?? Math.floor(Date.now() / 1000));
    const nonce = randomBytes(8).toString('hex');
    const headers: Record<string, string> = { 'content-type': 'application/json; charset=utf-8' };
    if (options.signed !== false)
      Object.assign(headers, { 'x-lark-request-timestamp': timestamp, 'x-lark-request-nonce': nonce, 'x-lark-signature': feishuSignature(timestamp, nonce, encryptKey, body) });
    return { body, headers };
  }

  /** An `im.message.receive_v1` event (schema 2.0) for a text message. */
  static messageEvent(options: {
    token: string;
    appId: string;
    messageId: string;
    chatType: 'p2p' | 'group';
    text: string;
    senderOpenId: string;
    mentions?: { key: string; openId: string; name: string }[];
  }) {
    return {
      schema: '2.0',
      header: {
        event_id: randomBytes(16).toString('hex'),
        token: options.token,
        create_time: String(Date.now()),
        event_type: 'im.message.receive_v1',
        tenant_key: 'tenant-test',
        app_id: options.appId,
      },
      event: {
        sender: { sender_id: { open_id: options.senderOpenId, union_id: 'on_x', user_id: null }, sender_type: 'user', tenant_key: 'tenant-test' },
        message: {
          message_id: options.messageId,
          root_id: '',
          parent_id: '',
          create_time: String(Date.now()),
          chat_id: options.chatType === 'p2p' ? 'oc_p2p_chat' : 'oc_group_chat',
          chat_type: options.chatType,
          message_type: 'text',
          content: JSON.stringify({ text: options.text }),
          mentions: (options.mentions ?? []).map((mention) => ({ key: mention.key, id: { open_id: mention.openId, union_id: 'on_y', user_id: null }, name: mention.name, tenant_key: 'tenant-test' })),
        },
      },
    };
  }
}
