/**
 * TEST DOUBLE — not Tencent's servers. A local HTTP server that answers like api.weixin.qq.com (Official
 * Account: /cgi-bin/token, /cgi-bin/message/custom/send) and qyapi.weixin.qq.com (WeCom: /cgi-bin/gettoken,
 * /cgi-bin/kf/sync_msg, /cgi-bin/kf/send_msg, /cgi-bin/kf/service_state/get|trans), checking what the platforms
 * check, with their error shapes: a wrong appid/secret (40013, 40125, 40001), a missing token (41001), an expired
 * one (42001: `expireTokens()` ages every issued token), one that is not the latest (40001), a text over 2048
 * bytes (45002), an unknown or stale sync token (95007), sending to a customer whose conversation is with a
 * person (95018). It also plays the platforms' side of callbacks: signed (and in safe mode encrypted) XML posts
 * with WeChat's 5-second timeout and retries.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { LocalHttpDouble } from './local-http-double.js';
import { randomBytes } from 'node:crypto';
import { type WechatMessageCrypto, wechatSignature } from '../../src/channels/wechat-crypto.js';
import { buildWechatXml } from '../../src/channels/wechat-xml.js';

export interface KfMessageDouble {
  msgid: string;
  open_kfid: string;
  external_userid: string;
  send_time: number;
  origin: number;
  msgtype: 'text';
  text: { content: string };
}

export class WechatPlatformDouble extends LocalHttpDouble {
  /** Accepted credentials: Official Account appid → secret; WeCom corpid → customer-service secret. */
  constructor(readonly accounts: { appId: string; appSecret: string; corpId: string; kfSecret: string }) {
    super();
  }

  private tokens = new Map<string, { expiresAt: number; latest: boolean; kind: 'mp' | 'wecom' }>();
  private sequence = 0;
  /** Token requests answered, per platform. */
  readonly tokenRequests = { mp: 0, wecom: 0 };
  /** Customer-service messages accepted (Official Account). */
  readonly customMessages: { touser: string; content: string; token: string }[] = [];
  /** Every API call: path and errcode. */
  readonly calls: { path: string; errcode: number }[] = [];
  // WeCom customer service: the message log sync_msg pages through, callback tokens, sent messages, service states.
  readonly kfLog: KfMessageDouble[] = [];
  readonly syncTokens = new Set<string>();
  readonly kfSent: { touser: string; open_kfid: string; msgid: string; content: string }[] = [];
  readonly serviceStates = new Map<string, { state: number; servicer?: string }>();
  readonly transfers: { external_userid: string; service_state: number; servicer_userid?: string }[] = [];

  /** Every token issued so far is past its 7200 s: the next call with it gets 42001. */
  expireTokens(): void {
    for (const token of this.tokens.values()) token.expiresAt = 0;
  }

  private issue(kind: 'mp' | 'wecom'): string {
    // A new token makes the previous ones "not the latest" (the platform keeps the old one valid briefly; we do not).
    for (const token of this.tokens.values()) if (token.kind === kind) token.latest = false;
    const token = `${kind.toUpperCase()}_ACCESS_TOKEN_${++this.sequence}_${randomBytes(6).toString('hex')}`;
    this.tokens.set(token, { expiresAt: Date.now() + 7_200_000, latest: true, kind });
    return token;
  }

  private json(response: ServerResponse, path: string, body: Record<string, unknown>) {
    this.calls.push({ path, errcode: Number(body.errcode ?? 0) });
    response.writeHead(200, { 'content-type': 'application/json; encoding=utf-8' });
    response.end(JSON.stringify(body));
  }

  private tokenError(token: string | null, kind: 'mp' | 'wecom'): Record<string, unknown> | undefined {
    const rid = randomBytes(4).toString('hex');
    if (!token) return { errcode: 41001, errmsg: `access_token missing rid: ${rid}` };
    const known = this.tokens.get(token);
    if (!known || known.kind !== kind) return { errcode: 40001, errmsg: `invalid credential, access_token is invalid or not latest rid: ${rid}` };
    if (known.expiresAt <= Date.now()) return { errcode: 42001, errmsg: `access_token expired rid: ${rid}` };
    if (!known.latest) return { errcode: 40001, errmsg: `invalid credential, access_token is invalid or not latest rid: ${rid}` };
    return undefined;
  }

  protected async handle(request: IncomingMessage, response: ServerResponse) {
    const url = new URL(request.url ?? '/', 'http://double');
    let raw = '';
    for await (const chunk of request) raw += chunk;
    const path = url.pathname;
    if (request.method === 'GET' && path === '/cgi-bin/token') {
      this.tokenRequests.mp++;
      if (url.searchParams.get('grant_type') !== 'client_credential') return this.json(response, path, { errcode: 40002, errmsg: 'invalid grant_type' });
      if (url.searchParams.get('appid') !== this.accounts.appId) return this.json(response, path, { errcode: 40013, errmsg: 'invalid appid' });
      if (url.searchParams.get('secret') !== this.accounts.appSecret) return this.json(response, path, { errcode: 40125, errmsg: 'invalid appsecret' });
      return this.json(response, path, { access_token: this.issue('mp'), expires_in: 7200 });
    }
    if (request.method === 'GET' && path === '/cgi-bin/gettoken') {
      this.tokenRequests.wecom++;
      if (url.searchParams.get('corpid') !== this.accounts.corpId) return this.json(response, path, { errcode: 40013, errmsg: 'invalid corpid' });
      if (url.searchParams.get('corpsecret') !== this.accounts.kfSecret) return this.json(response, path, { errcode: 40001, errmsg: 'invalid secret' });
      return this.json(response, path, { errcode: 0, errmsg: 'ok', access_token: this.issue('wecom'), expires_in: 7200 });
    }
    if (request.method !== 'POST') return this.json(response, path, { errcode: 43002, errmsg: 'require POST method' });
    // biome-ignore lint/suspicious/noExplicitAny: the double reads whatever JSON the client sent, as the platform does
    let body: Record<string, any>;
    try {
      body = JSON.parse(raw);
    } catch {
      return this.json(response, path, { errcode: 47001, errmsg: 'data format error' });
    }
    const token = url.searchParams.get('access_token');
    if (path === '/cgi-bin/message/custom/send') {
      const error = this.tokenError(token, 'mp');
      if (error) return this.json(response, path, error);
      if (typeof body.touser !== 'string' || !body.touser) return this.json(response, path, { errcode: 40003, errmsg: 'invalid openid' });
      if (body.msgtype !== 'text' || typeof body.text?.content !== 'string' || !body.text.content) return this.json(response, path, { errcode: 44002, errmsg: 'empty post data' });
      if (Buffer.byteLength(body.text.content) > 2048) return this.json(response, path, { errcode: 45002, errmsg: 'content size out of limit' });
      this.customMessages.push({ touser: body.touser, content: body.text.content, token: token! });
      return this.json(response, path, { errcode: 0, errmsg: 'ok' });
    }
    if (path.startsWith('/cgi-bin/kf/')) {
      const error = this.tokenError(token, 'wecom');
      if (error) return this.json(response, path, error);
      if (path === '/cgi-bin/kf/sync_msg') {
        if (body.token !== undefined && !this.syncTokens.has(body.token)) return this.json(response, path, { errcode: 95007, errmsg: 'invalid msg token' });
        const limit = Math.min(Number(body.limit ?? 1000), 1000);
        const start = body.cursor ? Number(Buffer.from(String(body.cursor), 'base64url').toString()) : 0;
        const page = this.kfLog.filter((message) => message.open_kfid === body.open_kfid).slice(start, start + limit);
        const next = start + page.length;
        return this.json(response, path, {
          errcode: 0,
          errmsg: 'ok',
          next_cursor: Buffer.from(String(next)).toString('base64url'),
          has_more: next < this.kfLog.filter((message) => message.open_kfid === body.open_kfid).length ? 1 : 0,
          msg_list: page,
        });
      }
      if (path === '/cgi-bin/kf/send_msg') {
        if (typeof body.touser !== 'string' || typeof body.open_kfid !== 'string') return this.json(response, path, { errcode: 40003, errmsg: 'invalid external userid' });
        if (body.msgid !== undefined && !/^[0-9a-zA-Z_-]{1,32}$/.test(body.msgid)) return this.json(response, path, { errcode: 40058, errmsg: 'invalid msgid' });
        if (body.msgtype !== 'text' || typeof body.text?.content !== 'string' || Buffer.byteLength(body.text.content) > 2048)
          return this.json(response, path, { errcode: 44004, errmsg: 'text content too long or empty' });
        const state = this.serviceStates.get(body.touser)?.state ?? 0;
        if (state === 2 || state === 3) return this.json(response, path, { errcode: 95018, errmsg: 'send msg not allowed in current service state' });
        // The msgid makes a send idempotent: the same id again is not a second message.
        if (!this.kfSent.some((sent) => sent.msgid === body.msgid)) this.kfSent.push({ touser: body.touser, open_kfid: body.open_kfid, msgid: body.msgid, content: body.text.content });
        return this.json(response, path, { errcode: 0, errmsg: 'ok', msgid: body.msgid ?? randomBytes(8).toString('hex') });
      }
      if (path === '/cgi-bin/kf/service_state/get') {
        const state = this.serviceStates.get(body.external_userid) ?? { state: 0 };
        return this.json(response, path, { errcode: 0, errmsg: 'ok', service_state: state.state, servicer_userid: state.servicer ?? '' });
      }
      if (path === '/cgi-bin/kf/service_state/trans') {
        const next = Number(body.service_state);
        if (![1, 2, 3, 4].includes(next)) return this.json(response, path, { errcode: 95014, errmsg: 'invalid service_state' });
        if (next === 3 && !body.servicer_userid) return this.json(response, path, { errcode: 95013, errmsg: 'servicer_userid required' });
        this.serviceStates.set(body.external_userid, { state: next, servicer: body.servicer_userid });
        this.transfers.push({ external_userid: body.external_userid, service_state: next, servicer_userid: body.servicer_userid });
        return this.json(response, path, { errcode: 0, errmsg: 'ok', msg_code: randomBytes(6).toString('hex') });
      }
    }
    response.writeHead(404).end();
  }

  // ---- The platform's side of callbacks ----

  /** A customer text to an Official Account as WeChat posts it: plaintext, or encrypted (safe mode). */
  static officialAccountPost(base: string, options: { token: string; appId: string; crypto?: WechatMessageCrypto; openid: string; msgId: string; content: string; createTime?: number }) {
    const createTime = options.createTime ?? Math.floor(Date.now() / 1000);
    const timestamp = String(createTime);
    const nonce = String(100000 + Math.floor(Math.random() * 900000));
    const inner = buildWechatXml([
      ['ToUserName', 'gh_7f083739789a'],
      ['FromUserName', options.openid],
      ['CreateTime', createTime],
      ['MsgType', 'text'],
      ['Content', options.content],
      ['MsgId', BigInt(options.msgId)],
    ]);
    const query = new URLSearchParams({ signature: wechatSignature(options.token, timestamp, nonce), timestamp, nonce, openid: options.openid });
    let body = inner;
    if (options.crypto) {
      const encrypted = options.crypto.encrypt(inner);
      query.set('encrypt_type', 'aes');
      query.set('msg_signature', options.crypto.sign(timestamp, nonce, encrypted));
      body = buildWechatXml([
        ['ToUserName', 'gh_7f083739789a'],
        ['Encrypt', encrypted],
      ]);
    }
    return { url: `${base}/channels/wechat?${query}`, body };
  }

  /**
   * Posts like WeChat's servers: waits 5 s for the response, and on no response (or a failure) tries again,
   * three tries in all. Returns each try's outcome.
   */
  static async deliverLikeWechat(url: string, body: string, tries = 3): Promise<{ status: number | 'timeout'; text: string }[]> {
    const outcomes: { status: number | 'timeout'; text: string }[] = [];
    for (let attempt = 0; attempt < tries; attempt++) {
      try {
        const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'text/xml' }, body, signal: AbortSignal.timeout(5000) });
        outcomes.push({ status: response.status, text: await response.text() });
        if (response.ok) break;
      } catch {
        outcomes.push({ status: 'timeout', text: '' });
      }
    }
    return outcomes;
  }

  /** A WeCom customer-service callback: the encrypted kf_msg_or_event notice with a fresh sync token. */
  wecomCallback(base: string, options: { token: string; crypto: WechatMessageCrypto; corpId: string; openKfId: string; createTime?: number }) {
    const syncToken = `ENC${randomBytes(12).toString('hex')}`;
    this.syncTokens.add(syncToken);
    const createTime = options.createTime ?? Math.floor(Date.now() / 1000);
    const inner = buildWechatXml([
      ['ToUserName', options.corpId],
      ['CreateTime', createTime],
      ['MsgType', 'event'],
      ['Event', 'kf_msg_or_event'],
      ['Token', syncToken],
      ['OpenKfId', options.openKfId],
    ]);
    const encrypted = options.crypto.encrypt(inner);
    const timestamp = String(createTime);
    const nonce = String(100000 + Math.floor(Math.random() * 900000));
    const query = new URLSearchParams({ msg_signature: options.crypto.sign(timestamp, nonce, encrypted), timestamp, nonce });
    return {
      url: `${base}/channels/wecom?${query}`,
      body: buildWechatXml([
        ['ToUserName', options.corpId],
        ['Encrypt', encrypted],
        ['AgentID', ''],
      ]),
    };
  }

  /** A customer writes to the WeCom customer-service account: the message joins the log sync_msg returns. */
  customerWrites(openKfId: string, externalUserId: string, content: string): KfMessageDouble {
    const message: KfMessageDouble = {
      msgid: `from_msgid_${randomBytes(8).toString('hex')}`,
      open_kfid: openKfId,
      external_userid: externalUserId,
      send_time: Math.floor(Date.now() / 1000),
      origin: 3,
      msgtype: 'text',
      text: { content },
    };
    this.kfLog.push(message);
    return message;
  }
}
