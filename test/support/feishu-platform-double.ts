/**
 * TEST DOUBLE — not Feishu's servers. A local HTTP server answering like open.feishu.cn for what the Feishu
 * channel calls: /open-apis/auth/v3/tenant_access_token/internal (a wrong app id 10003, a wrong secret 10014) and
 * /open-apis/im/v1/messages/:message_id/reply (Bearer token checked: missing 99991661, invalid or expired 99991663;
 * the content must be the JSON string Feishu asks for). It also plays Feishu's side of event subscription:
 * encrypted, signed event posts as the "配置请求地址" documentation describes.
 */
import { createCipheriv, createHash, randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { LocalHttpDouble } from './local-http-double.js';
import { feishuSignature } from '../../src/channels/feishu-crypto.js';

export class FeishuPlatformDouble extends LocalHttpDouble {
  constructor(readonly app: { appId: string; appSecret: string }) {
    super();
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
  static eventPost(event: Record<string, unknown>, encryptKey: string, options: { signed?: boolean } = { signed: true }) {
    const body = JSON.stringify({ encrypt: FeishuPlatformDouble.encrypt(encryptKey, JSON.stringify(event)) });
    const timestamp = String(Math.floor(Date.now() / 1000));
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
