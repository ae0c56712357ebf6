import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import request from 'supertest';
import { parseSse } from '../support/sse.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OpenAiChatModel, type ChatMessage, type ChatModel, type ChatOptions, type ChatUsage } from '../../src/answer/chat-model.js';
import { RedisChannelState } from '../../src/state/channel-state.js';
import { WechatApi } from '../../src/channels/wechat-api.js';
import { WechatMessageCrypto, wechatSignature } from '../../src/channels/wechat-crypto.js';
import { parseWechatXml } from '../../src/channels/wechat-xml.js';
import { loadConfig } from '../../src/config/config.js';
import { createLogger } from '../../src/log.js';
import { Moderation } from '../../src/moderation/lexicon.js';
import { buildService, type Service } from '../../src/service.js';
import { type ChannelGround, channelGround } from '../support/channel-ground.js';
import { listenLocal } from '../support/listen.js';
import { configToEnv, realEmbedders } from '../support/real-stack.js';
import { until } from '../support/until.js';
import { metricTotal } from '../support/metric-value.js';
import { WechatPlatformDouble } from '../support/wechat-platform-double.js';
import { FeishuPlatformDouble } from '../support/feishu-platform-double.js';
import { feishuDecrypt } from '../../src/channels/feishu-crypto.js';

/**
 * The messaging channels end to end: two service replicas on one real Redis, the real models and LanceDB, the
 * vLLM test double behind a model that can be told to take 6 s, and the WeChat/WeCom platform test double
 * (test/support/wechat-platform-double.ts) on the other side of every call.
 */

/** A real OpenAI-compatible client whose first token can be held back, to make an answer slow. */
class SlowableChatModel implements ChatModel {
  delayMs = 0;
  calls = 0;
  constructor(private readonly inner: ChatModel) {}
  get name() {
    return this.inner.name;
  }
  async *stream(messages: ChatMessage[], options: ChatOptions, usage?: ChatUsage) {
    this.calls++;
    if (this.delayMs) await new Promise((resolve) => setTimeout(resolve, this.delayMs));
    yield* this.inner.stream(messages, options, usage);
  }
  ping() {
    return this.inner.ping();
  }
}

// The documentation's sample account (also the safe-mode test vector): Token, EncodingAESKey, AppID/CorpID.
const TOKEN = 'QDG6eK';
const AES_KEY = 'jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C';
const APP_ID = 'wx5823bf96d3bd56c7';
const accounts = { appId: APP_ID, appSecret: 'mp-secret-0123456789', corpId: APP_ID, kfSecret: 'kf-secret-0123456789' };
const OPEN_KFID = 'wkAJ2GCAAASSm4_FhToWMFea0xAFfd3Q';
const QUESTION = '手环可以戴着游泳吗？';

const crypto = new WechatMessageCrypto(TOKEN, AES_KEY, APP_ID);
let replicas: { service: Service; base: string; close: () => void }[] = [];
let platform: WechatPlatformDouble;
let feishu: FeishuPlatformDouble;
const FEISHU = { appId: 'cli_a1b2c3d4e5f6', appSecret: 'feishu-secret-0123', token: 'feishu-verification-token', encryptKey: 'feishu-encrypt-key-test', botOpenId: 'ou_bot_000000000000000000000001' };
let ground: ChannelGround;
let model: SlowableChatModel;
let moderation: Moderation;
let lexiconFile: string;

beforeAll(async () => {
  platform = await new WechatPlatformDouble(accounts).start();
  feishu = await new FeishuPlatformDouble({ appId: FEISHU.appId, appSecret: FEISHU.appSecret }).start();
  ground = await channelGround('channels');
  model = new SlowableChatModel(new OpenAiChatModel({ baseURL: ground.vllm.baseURL, apiKey: 'x', model: 'Qwen/Qwen3-4B-Instruct-2507', timeoutMs: 30_000, firstTokenTimeoutMs: 15_000 }));
  const secrets = await mkdtemp(path.join(os.tmpdir(), 'kefu-channel-secrets-'));
  // Secrets from files, as a Docker or Kubernetes secret would mount them.
  await writeFile(path.join(secrets, 'mp-secret'), `${accounts.appSecret}\n`);
  await writeFile(path.join(secrets, 'kf-secret'), `${accounts.kfSecret}\n`);
  lexiconFile = path.join(secrets, 'lexicon.txt');
  await writeFile(lexiconFile, '[test-banned]\n违禁测试词\n');
  moderation = await Moderation.load(lexiconFile, { reloadSeconds: 0 });
  const config = loadConfig({
    ...ground.env,
    WECHAT_APP_ID: APP_ID,
    WECHAT_APP_SECRET_FILE: path.join(secrets, 'mp-secret'),
    WECHAT_TOKEN: TOKEN,
    WECHAT_ENCODING_AES_KEY: AES_KEY,
    // Both modes are exercised here; a replica with the default (encrypted only) is built in its own test.
    WECHAT_ALLOW_PLAINTEXT: 'true',
    WECHAT_API_BASE: platform.base,
    WECOM_CORP_ID: APP_ID,
    WECOM_KF_SECRET_FILE: path.join(secrets, 'kf-secret'),
    WECOM_KF_TOKEN: TOKEN,
    WECOM_KF_ENCODING_AES_KEY: AES_KEY,
    WECOM_API_BASE: platform.base,
    FEISHU_APP_ID: FEISHU.appId,
    FEISHU_APP_SECRET: FEISHU.appSecret,
    FEISHU_VERIFICATION_TOKEN: FEISHU.token,
    FEISHU_ENCRYPT_KEY: FEISHU.encryptKey,
    FEISHU_BOT_OPEN_ID: FEISHU.botOpenId,
    FEISHU_API_BASE: feishu.base,
  });
  expect(config.WECHAT_APP_SECRET).toBe(accounts.appSecret);
  sharedConfig = config;
  const embedders = await realEmbedders();
  for (let index = 0; index < 2; index++) {
    const service = await buildService(config, createLogger(process.env.CHANNEL_TEST_LOG ?? 'silent'), { embedders, chatModel: model, moderation });
    const { server, base: url } = await listenLocal(service.app);
    replicas.push({ service, base: url, close: () => server.close() });
  }
}, 240_000);

let sharedConfig: ReturnType<typeof loadConfig>;

afterAll(async () => {
  for (const replica of replicas) {
    replica.close();
    await replica.service.close();
  }
  replicas = [];
  await platform?.stop();
  await feishu?.stop();
  moderation?.stop();
  await ground?.close();
});

const metric = (replica: number, line: RegExp) => metricTotal([replicas[replica]!.service], line);

describe('WeChat Official Account', () => {
  it('verifies the server URL with the signature, and refuses a wrong one', async () => {
    const query = new URLSearchParams({ signature: wechatSignature(TOKEN, '1409659589', '263014780'), timestamp: '1409659589', nonce: '263014780', echostr: '1616140317555161061' });
    const ok = await fetch(`${replicas[0]!.base}/channels/wechat?${query}`);
    expect(ok.status).toBe(200);
    expect(await ok.text()).toBe('1616140317555161061');
    query.set('signature', '0'.repeat(40));
    expect((await fetch(`${replicas[0]!.base}/channels/wechat?${query}`)).status).toBe(401);
  });

  it('answers in plaintext mode with a passive reply in WeChat format: plain text, sources, the AI label', async () => {
    model.delayMs = 0;
    const post = WechatPlatformDouble.officialAccountPost(replicas[0]!.base, { token: TOKEN, appId: APP_ID, openid: 'oPlainUser0000000000000001', msgId: '6100000000000000001', content: QUESTION });
    const outcomes = await WechatPlatformDouble.deliverLikeWechat(post.url, post.body);
    expect(outcomes).toHaveLength(1);
    const reply = parseWechatXml(outcomes[0]!.text);
    expect(reply).toMatchObject({ ToUserName: 'oPlainUser0000000000000001', FromUserName: 'gh_7f083739789a', MsgType: 'text' });
    expect(reply.Content).toMatch(/\[1\]/);
    expect(reply.Content).toMatch(/来源：\n\[1\] /);
    expect(reply.Content).toMatch(/— 本回答由 AI 生成，仅供参考$/);
    expect(reply.Content).not.toMatch(/\*\*|^#/m);
    expect(Buffer.byteLength(reply.Content!)).toBeLessThanOrEqual(2048);
    expect(platform.customMessages).toHaveLength(0);
  });

  it('refuses a plaintext callback when an EncodingAESKey is set (its signature does not cover the body), unless WECHAT_ALLOW_PLAINTEXT', async () => {
    const strict = await buildService(loadConfig({ ...configToEnv(sharedConfig), WECHAT_ALLOW_PLAINTEXT: 'false' }), createLogger('silent'), {
      embedders: await realEmbedders(),
      chatModel: model,
      moderation,
    });
    const { server, base } = await listenLocal(strict.app);
    try {
      const plain = WechatPlatformDouble.officialAccountPost(base, { token: TOKEN, appId: APP_ID, openid: 'oForgedUser00000000000001', msgId: '6100000000000000099', content: QUESTION });
      const refused = await fetch(plain.url, { method: 'POST', body: plain.body });
      expect(refused.status).toBe(401);
      expect((await refused.json()).error.code).toBe('wechat_plaintext');
      const crypto = new WechatMessageCrypto(TOKEN, AES_KEY, APP_ID);
      const safe = WechatPlatformDouble.officialAccountPost(base, { token: TOKEN, appId: APP_ID, crypto, openid: 'oSafeUser0000000000000099', msgId: '6100000000000000098', content: QUESTION });
      expect((await fetch(safe.url, { method: 'POST', body: safe.body })).status).toBe(200);
    } finally {
      server.close();
      await strict.close();
    }
  });

  it('answers in safe mode: the reply is encrypted and signed as the platform checks', async () => {
    const post = WechatPlatformDouble.officialAccountPost(replicas[1]!.base, {
      token: TOKEN,
      appId: APP_ID,
      crypto,
      openid: 'oSafeUser00000000000000001',
      msgId: '6100000000000000002',
      content: QUESTION,
    });
    const [outcome] = await WechatPlatformDouble.deliverLikeWechat(post.url, post.body);
    const envelope = parseWechatXml(outcome!.text);
    expect(crypto.verify(envelope.MsgSignature, envelope.TimeStamp!, envelope.Nonce!, envelope.Encrypt!)).toBe(true);
    const reply = parseWechatXml(crypto.decrypt(envelope.Encrypt!));
    expect(reply).toMatchObject({ ToUserName: 'oSafeUser00000000000000001', MsgType: 'text' });
    expect(reply.Content).toMatch(/本回答由 AI 生成/);
    // A forged msg_signature is refused.
    const forged = post.url.replace(/msg_signature=[0-9a-f]+/, `msg_signature=${'1'.repeat(40)}`);
    expect((await fetch(forged, { method: 'POST', body: post.body })).status).toBe(401);
  });

  it('a message retried three times, across both replicas, while the answer takes 6 s: one answer, through the customer-service API', async () => {
    model.delayMs = 6000;
    const callsBefore = model.calls;
    const duplicatesBefore = (await metric(0, /^kefu_channel_duplicates_total\{channel="wechat"\}/)) + (await metric(1, /^kefu_channel_duplicates_total\{channel="wechat"\}/));
    const openid = 'oRetryUser0000000000000001';
    // One timestamp for every try, as a retried request carries; recent, or the replay window refuses it.
    const createTime = Math.floor(Date.now() / 1000);
    // WeChat's retries are the same MsgId; these arrive while the first is still being answered, on either replica.
    const tries = await Promise.all(
      [0, 1, 0].map(async (replica, index) => {
        await new Promise((resolve) => setTimeout(resolve, index * 400));
        const post = WechatPlatformDouble.officialAccountPost(replicas[replica]!.base, {
          token: TOKEN,
          appId: APP_ID,
          openid,
          msgId: '6100000000000000003',
          content: QUESTION,
          createTime,
        });
        return (await WechatPlatformDouble.deliverLikeWechat(post.url, post.body, 1))[0]!;
      }),
    );
    // Each try answered inside WeChat's 5 s with "success" (nothing shown), not a timeout.
    expect(tries.map((outcome) => [outcome.status, outcome.text])).toEqual([
      [200, 'success'],
      [200, 'success'],
      [200, 'success'],
    ]);
    const pushed = await until('the pushed answer', async () => platform.customMessages.find((message) => message.touser === openid), 20_000);
    expect(pushed.content).toMatch(/本回答由 AI 生成/);
    // A late duplicate after the answer went out changes nothing.
    const late = WechatPlatformDouble.officialAccountPost(replicas[1]!.base, { token: TOKEN, appId: APP_ID, openid, msgId: '6100000000000000003', content: QUESTION, createTime });
    expect((await WechatPlatformDouble.deliverLikeWechat(late.url, late.body, 1))[0]!.text).toBe('success');
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(platform.customMessages.filter((message) => message.touser === openid)).toHaveLength(1);
    expect(model.calls - callsBefore).toBe(1);
    const duplicatesAfter = (await metric(0, /^kefu_channel_duplicates_total\{channel="wechat"\}/)) + (await metric(1, /^kefu_channel_duplicates_total\{channel="wechat"\}/));
    expect(duplicatesAfter - duplicatesBefore).toBe(3);
    model.delayMs = 0;
  }, 60_000);

  it("WeChat's own client: the slow answer is acknowledged in time (no retry) and pushed once", async () => {
    model.delayMs = 6000;
    const openid = 'oSlowUser00000000000000001';
    const post = WechatPlatformDouble.officialAccountPost(replicas[0]!.base, { token: TOKEN, appId: APP_ID, openid, msgId: '6100000000000000004', content: QUESTION });
    const outcomes = await WechatPlatformDouble.deliverLikeWechat(post.url, post.body);
    expect(outcomes).toEqual([{ status: 200, text: 'success' }]);
    await until('the pushed answer', async () => platform.customMessages.find((message) => message.touser === openid), 20_000);
    model.delayMs = 0;
  }, 60_000);

  it('refuses a question with a lexicon term, offers a person, and counts the category', async () => {
    const post = WechatPlatformDouble.officialAccountPost(replicas[0]!.base, {
      token: TOKEN,
      appId: APP_ID,
      openid: 'oModUser000000000000000001',
      msgId: '6100000000000000005',
      content: '请问违禁 测试词是什么',
    });
    const [outcome] = await WechatPlatformDouble.deliverLikeWechat(post.url, post.body);
    expect(parseWechatXml(outcome!.text).Content).toMatch(/无法回答.*人工客服/);
    expect(await metric(0, /^kefu_moderation_hits_total\{category="test-banned",where="question"\}/)).toBe(1);
  });
});

describe('shared access token', () => {
  it('an expired token is refreshed once under concurrent sends from two replicas', async () => {
    const keyPrefix = `${ground.prefix}token-test:`;
    const apis = [0, 1].map(() => {
      const state = new RedisChannelState('redis://127.0.0.1:6379', keyPrefix);
      return {
        state,
        api: new WechatApi({
          baseUrl: platform.base,
          tokenPath: `/cgi-bin/token?grant_type=client_credential&appid=${APP_ID}&secret=${accounts.appSecret}`,
          state,
          tokenKey: 'wechat:test:access-token',
          timeoutMs: 5000,
        }),
      };
    });
    try {
      await apis[0]!.api.post('/cgi-bin/message/custom/send', { touser: 'oTokenUser', msgtype: 'text', text: { content: 'warm-up' } });
      const before = platform.tokenRequests.mp;
      platform.expireTokens();
      const expiredBefore = platform.calls.filter((call) => call.errcode === 42001).length;
      await Promise.all(
        Array.from({ length: 20 }, (_, index) => apis[index % 2]!.api.post('/cgi-bin/message/custom/send', { touser: 'oTokenUser', msgtype: 'text', text: { content: `message ${index}` } })),
      );
      expect(platform.tokenRequests.mp - before).toBe(1);
      expect(platform.calls.filter((call) => call.errcode === 42001).length - expiredBefore).toBeGreaterThanOrEqual(2);
      expect(platform.customMessages.filter((message) => message.touser === 'oTokenUser')).toHaveLength(21);
    } finally {
      for (const { state } of apis) await state.close();
    }
  });

  it('a wrong secret surfaces the platform error', async () => {
    const state = new RedisChannelState('redis://127.0.0.1:6379', `${ground.prefix}token-wrong:`);
    const api = new WechatApi({ baseUrl: platform.base, tokenPath: `/cgi-bin/token?grant_type=client_credential&appid=${APP_ID}&secret=wrong`, state, tokenKey: 'wechat:wrong', timeoutMs: 5000 });
    await expect(api.post('/cgi-bin/message/custom/send', {})).rejects.toMatchObject({ errcode: 40125 });
    await state.close();
  });
});

describe('WeCom customer service', () => {
  it('verifies the callback URL with the documentation sample (msg_signature over the encrypted echostr)', async () => {
    const query = new URLSearchParams({
      msg_signature: '5c45ff5e21c57e6ad56bac8758b79b1d9ac89fd3',
      timestamp: '1409659589',
      nonce: '263014780',
      echostr: 'P9nAzCzyDtyTWESHep1vC5X9xho/qYX3Zpb4yKa9SKld1DsH3Iyt3tP3zNdtp+4RPcs8TgAE7OaBO+FZXvnaqQ==',
    });
    const response = await fetch(`${replicas[0]!.base}/channels/wecom?${query}`);
    expect(await response.text()).toBe('1616140317555161061');
    query.set('timestamp', '1409659590');
    expect((await fetch(`${replicas[0]!.base}/channels/wecom?${query}`)).status).toBe(401);
  });

  it('pulls with sync_msg from the cursor in Redis and answers once with send_msg, though the callback comes three times to two replicas', async () => {
    const message = platform.customerWrites(OPEN_KFID, 'wmCustomerA000000000000000001', QUESTION);
    const callback = platform.wecomCallback('', { token: TOKEN, crypto, corpId: APP_ID, openKfId: OPEN_KFID });
    const responses = await Promise.all([0, 1, 1].map((replica) => fetch(replicas[replica]!.base + callback.url, { method: 'POST', body: callback.body })));
    expect(await Promise.all(responses.map((response) => response.text()))).toEqual(['success', 'success', 'success']);
    const sent = await until('the answer', async () => platform.kfSent.find((item) => item.touser === 'wmCustomerA000000000000000001'), 20_000);
    expect(sent).toMatchObject({ open_kfid: OPEN_KFID });
    expect(sent.content).toMatch(/本回答由 AI 生成/);
    expect(sent.msgid).toMatch(/^[0-9a-f]{32}$/);
    expect(await ground.redis.get(`${ground.prefix}channel:wecom:${OPEN_KFID}:cursor`)).toBeTruthy();
    // Another callback later: the cursor is past the message, it is not answered again.
    const again = platform.wecomCallback('', { token: TOKEN, crypto, corpId: APP_ID, openKfId: OPEN_KFID });
    await fetch(replicas[0]!.base + again.url, { method: 'POST', body: again.body });
    await until('the second pull', async () => (platform.calls.filter((call) => call.path === '/cgi-bin/kf/sync_msg').length >= 2 ? true : undefined));
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(platform.kfSent.filter((item) => item.touser === message.external_userid)).toHaveLength(1);
    // A replica that died before saving the cursor: the next pull reads the same page again, and the msgid claim
    // keeps the message from being answered a second time.
    const callsBefore = model.calls;
    const duplicates = async () => (await metric(0, /^kefu_channel_duplicates_total\{channel="wecom"\}/)) + (await metric(1, /^kefu_channel_duplicates_total\{channel="wecom"\}/));
    const duplicatesBefore = await duplicates();
    await ground.redis.del(`${ground.prefix}channel:wecom:${OPEN_KFID}:cursor`);
    const replay = platform.wecomCallback('', { token: TOKEN, crypto, corpId: APP_ID, openKfId: OPEN_KFID });
    await fetch(replicas[1]!.base + replay.url, { method: 'POST', body: replay.body });
    await until('the re-read message seen as a duplicate', async () => ((await duplicates()) > duplicatesBefore ? true : undefined));
    expect(model.calls).toBe(callsBefore);
    expect(platform.kfSent.filter((item) => item.touser === message.external_userid)).toHaveLength(1);
  });

  it('hands off: "转人工" is acknowledged, the session goes to the waiting pool with service_state/trans, and the assistant then keeps quiet', async () => {
    const user = 'wmCustomerB000000000000000001';
    platform.customerWrites(OPEN_KFID, user, '转人工');
    const callback = platform.wecomCallback('', { token: TOKEN, crypto, corpId: APP_ID, openKfId: OPEN_KFID });
    await fetch(replicas[1]!.base + callback.url, { method: 'POST', body: callback.body });
    await until('the transfer', async () => platform.transfers.find((transfer) => transfer.external_userid === user));
    expect(platform.transfers.filter((transfer) => transfer.external_userid === user)).toEqual([{ external_userid: user, service_state: 2, servicer_userid: undefined }]);
    expect(platform.kfSent.find((item) => item.touser === user)?.content).toMatch(/转接人工客服/);
    const handoffs = await replicas[0]!.service.state.readLog('handoffs', 50);
    expect(handoffs.map((item) => item.entry)).toContainEqual(expect.objectContaining({ channel: 'wecom', platformUser: user, reason: 'requested', question: '转人工' }));
    // While a person has the conversation, a new message gets no answer from the assistant.
    const later = platform.customerWrites(OPEN_KFID, user, QUESTION);
    const next = platform.wecomCallback('', { token: TOKEN, crypto, corpId: APP_ID, openKfId: OPEN_KFID });
    await fetch(replicas[0]!.base + next.url, { method: 'POST', body: next.body });
    await until('the message taken', async () => (await ground.redis.get(`${ground.prefix}channel:msg:wecom:${later.msgid}:result`)) ?? undefined);
    expect(platform.kfSent.filter((item) => item.touser === user)).toHaveLength(1);
    expect((await metric(0, /^kefu_channel_handoffs_total\{channel="wecom",reason="requested"\}/)) + (await metric(1, /^kefu_channel_handoffs_total\{channel="wecom",reason="requested"\}/))).toBe(1);
  });
});

describe('Feishu', () => {
  const post = (replica: number, event: Record<string, unknown>, signed = true) => {
    const request = FeishuPlatformDouble.eventPost(event, FEISHU.encryptKey, { signed });
    return fetch(`${replicas[replica]!.base}/channels/feishu`, { method: 'POST', headers: request.headers, body: request.body });
  };

  it("decrypts the documentation's sample, and answers the encrypted URL check with its challenge", async () => {
    expect(feishuDecrypt('test key', 'P37w+VZImNgPEO1RBhJ6RtKl7n6zymIbEG1pReEzghk=')).toBe('hello world');
    const ok = await post(0, { challenge: 'ajls384kdjx98XX', token: FEISHU.token, type: 'url_verification' }, false);
    expect(await ok.json()).toEqual({ challenge: 'ajls384kdjx98XX' });
    const wrongToken = await post(0, { challenge: 'x', token: 'not-ours', type: 'url_verification' }, false);
    expect(wrongToken.status).toBe(401);
  });

  it('answers a direct message once through the reply API, though the event comes twice; refuses a bad signature', async () => {
    const event = FeishuPlatformDouble.messageEvent({ token: FEISHU.token, appId: FEISHU.appId, messageId: 'om_direct_0001', chatType: 'p2p', text: QUESTION, senderOpenId: 'ou_customer_1' });
    expect((await post(0, event)).status).toBe(200);
    expect((await post(1, event)).status).toBe(200);
    const sent = await until('the Feishu reply', async () => feishu.replies.find((reply) => reply.messageId === 'om_direct_0001'), 20_000);
    expect(sent.text).toMatch(/本回答由 AI 生成/);
    expect(sent.text).not.toMatch(/\*\*/);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(feishu.replies.filter((reply) => reply.messageId === 'om_direct_0001')).toHaveLength(1);
    const forged = FeishuPlatformDouble.eventPost(event, FEISHU.encryptKey);
    forged.headers['x-lark-signature'] = '0'.repeat(64);
    expect((await fetch(`${replicas[0]!.base}/channels/feishu`, { method: 'POST', headers: forged.headers, body: forged.body })).status).toBe(401);
  });

  it('in a group, a message without a mention of the bot is ignored; with one it is answered, the mention removed', async () => {
    const ignoredBefore = await metric(0, /^kefu_channel_messages_total\{channel="feishu",outcome="not_mentioned"\}/);
    const plain = FeishuPlatformDouble.messageEvent({
      token: FEISHU.token,
      appId: FEISHU.appId,
      messageId: 'om_group_0001',
      chatType: 'group',
      text: QUESTION,
      senderOpenId: 'ou_customer_2',
      mentions: [{ key: '@_user_1', openId: 'ou_someone_else', name: 'Li Lei' }],
    });
    expect((await post(0, plain)).status).toBe(200);
    const mentioned = FeishuPlatformDouble.messageEvent({
      token: FEISHU.token,
      appId: FEISHU.appId,
      messageId: 'om_group_0002',
      chatType: 'group',
      text: `@_user_1 ${QUESTION}`,
      senderOpenId: 'ou_customer_2',
      mentions: [{ key: '@_user_1', openId: FEISHU.botOpenId, name: 'Kefu' }],
    });
    expect((await post(0, mentioned)).status).toBe(200);
    await until('the group reply', async () => feishu.replies.find((reply) => reply.messageId === 'om_group_0002'), 20_000);
    expect(feishu.replies.find((reply) => reply.messageId === 'om_group_0001')).toBeUndefined();
    expect((await metric(0, /^kefu_channel_messages_total\{channel="feishu",outcome="not_mentioned"\}/)) - ignoredBefore).toBe(1);
  });

  it('an expired tenant token is renewed once and the reply goes out', async () => {
    const before = feishu.tokenRequests.count;
    feishu.expireTokens();
    const event = FeishuPlatformDouble.messageEvent({ token: FEISHU.token, appId: FEISHU.appId, messageId: 'om_direct_0003', chatType: 'p2p', text: QUESTION, senderOpenId: 'ou_customer_3' });
    await post(1, event);
    await until('the reply after renewal', async () => feishu.replies.find((reply) => reply.messageId === 'om_direct_0003'), 20_000);
    expect(feishu.tokenRequests.count - before).toBe(1);
  });
});

describe('replay window on signed callbacks', () => {
  const stale = Math.floor(Date.now() / 1000) - 600;
  const rejected = async (channel: string, reason: string) =>
    (await metric(0, new RegExp(`^kefu_channel_callbacks_rejected_total\\{channel="${channel}",reason="${reason}"\\}`))) +
    (await metric(1, new RegExp(`^kefu_channel_callbacks_rejected_total\\{channel="${channel}",reason="${reason}"\\}`)));

  it('a WeChat message with a valid signature but a timestamp 10 minutes old is refused, and not answered', async () => {
    const before = await rejected('wechat', 'stale');
    const post = WechatPlatformDouble.officialAccountPost(replicas[0]!.base, {
      token: TOKEN,
      appId: APP_ID,
      crypto,
      openid: 'oStaleUser0000000000000001',
      msgId: '6100000000000000007',
      content: QUESTION,
      createTime: stale,
    });
    const response = await fetch(post.url, { method: 'POST', headers: { 'content-type': 'text/xml' }, body: post.body });
    expect(response.status).toBe(401);
    expect((await rejected('wechat', 'stale')) - before).toBe(1);
  });

  it("a signed WeChat URL used again with another body is refused on the other replica (a plaintext signature doesn't cover the body)", async () => {
    const first = WechatPlatformDouble.officialAccountPost(replicas[0]!.base, { token: TOKEN, appId: APP_ID, openid: 'oNonceUser0000000000000001', msgId: '6100000000000000008', content: QUESTION });
    expect((await fetch(first.url, { method: 'POST', headers: { 'content-type': 'text/xml' }, body: first.body })).status).toBe(200);
    const forged = first.body.replace(QUESTION, '退款怎么申请？').replace('6100000000000000008', '6100000000000000009');
    const response = await fetch(first.url.replace(replicas[0]!.base, replicas[1]!.base), { method: 'POST', headers: { 'content-type': 'text/xml' }, body: forged });
    expect(response.status).toBe(401);
    expect((await response.json()).error.code).toBe('wechat_replayed');
  });

  it('a WeCom callback and a Feishu event stamped 10 minutes ago are refused', async () => {
    const wecom = platform.wecomCallback('', { token: TOKEN, crypto, corpId: APP_ID, openKfId: OPEN_KFID, createTime: stale });
    expect((await fetch(replicas[0]!.base + wecom.url, { method: 'POST', body: wecom.body })).status).toBe(401);
    const event = FeishuPlatformDouble.messageEvent({ token: FEISHU.token, appId: FEISHU.appId, messageId: 'om_stale_0001', chatType: 'p2p', text: QUESTION, senderOpenId: 'ou_customer_9' });
    const feishuPost = FeishuPlatformDouble.eventPost(event, FEISHU.encryptKey, { timestamp: stale });
    const response = await fetch(`${replicas[1]!.base}/channels/feishu`, { method: 'POST', headers: feishuPost.headers, body: feishuPost.body });
    expect(response.status).toBe(401);
    expect((await response.json()).error.code).toBe('feishu_stale');
  });
});

describe('labels on the answer API', () => {
  it('a generated answer carries the visible label, the implicit one in the body, and the AIGC header', async () => {
    const response = await request(replicas[0]!.service.app).post('/v1/ask').send({ question: QUESTION });
    expect(response.status).toBe(200);
    expect(response.body.mode).toBe('generated');
    expect(response.body.contentLabel).toEqual({ kind: 'ai_generated', text: '本回答由 AI 生成，仅供参考' });
    expect(response.body.aigc).toEqual({ Label: '1', ContentProducer: 'kefu', ProduceID: response.body.answerId });
    expect(JSON.parse(response.headers.aigc!)).toEqual(response.body.aigc);
  });

  it('a question with a lexicon term is refused on /v1/ask, shaped as a refusal with the handoff contact', async () => {
    const response = await request(replicas[1]!.service.app).post('/v1/ask').send({ question: '违禁测试词怎么买', stream: true });
    const events = parseSse(response.text);
    expect(events.map((event) => event.event)).toEqual(['meta', 'done']);
    expect(events[1]!.data).toMatchObject({ mode: 'refusal', refused: true, moderated: { category: 'test-banned' }, contentLabel: { kind: 'template', text: '' } });
  });
});

describe('moderation of the streamed answer', () => {
  it('a lexicon term the model writes, split across stream chunks, cuts the answer: nothing of it is sent, a person is offered', async () => {
    // The vLLM double's answers open with "根据资料，可以这样处理。", streamed four characters at a time.
    await writeFile(lexiconFile, '[test-banned]\n违禁测试词\n[test-stream]\n资料，可以这样\n');
    await moderation.reload(true);
    const openid = 'oStreamModUser000000000001';
    const post = WechatPlatformDouble.officialAccountPost(replicas[1]!.base, { token: TOKEN, appId: APP_ID, openid, msgId: '6100000000000000006', content: QUESTION });
    const [outcome] = await WechatPlatformDouble.deliverLikeWechat(post.url, post.body);
    const content = parseWechatXml(outcome!.text).Content!;
    expect(content).toMatch(/无法回答.*人工客服/);
    expect(content).not.toMatch(/根据资料/);
    expect(await metric(1, /^kefu_moderation_hits_total\{category="test-stream",where="answer"\}/)).toBe(1);
  });

  it('on /v1/ask the stream stops showing tokens at the term, done carries the refusal, and the session keeps the refusal', async () => {
    const sessionId = 'moderated-stream-session-1';
    const response = await request(replicas[0]!.service.app).post('/v1/ask').send({ question: QUESTION, stream: true, sessionId });
    const events = parseSse(response.text);
    const streamed = events
      .filter((event) => event.event === 'token')
      .map((event) => event.data.text)
      .join('');
    expect(streamed).not.toMatch(/可以这样/);
    expect(streamed.length).toBeLessThan('根据资料，可以这样'.length);
    const done = events.find((event) => event.event === 'done')!.data;
    expect(done).toMatchObject({ mode: 'refusal', refused: true, moderated: { category: 'test-stream' } });
    expect(done.answer).toMatch(/人工客服/);
    const history = await request(replicas[1]!.service.app).get(`/v1/sessions/${sessionId}`);
    expect(JSON.stringify(history.body)).not.toMatch(/可以这样/);
    expect(history.body.turns[0].mode).toBe('refusal');
  });
});
