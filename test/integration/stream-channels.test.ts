import axios from 'axios';
import { DWClient, TOPIC_ROBOT } from 'dingtalk-stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OpenAiChatModel } from '../../src/answer/chat-model.js';
import { loadConfig } from '../../src/config/config.js';
import { createLogger } from '../../src/log.js';
import { buildService, type Service } from '../../src/service.js';
import { DingtalkStreamDouble } from '../support/dingtalk-stream-double.js';
import { type ChannelGround, channelGround } from '../support/channel-ground.js';
import { FeishuPlatformDouble } from '../support/feishu-platform-double.js';
import { metricTotal } from '../support/metric-value.js';
import { realEmbedders } from '../support/real-stack.js';
import { until } from '../support/until.js';

/**
 * The channels that dial out instead of taking callbacks: DingTalk's Stream-mode robot and Feishu's long
 * connection. Two service replicas on one real Redis, each holding its own connection to the platform test doubles
 * (test/support/dingtalk-stream-double.ts, the long-connection side of test/support/feishu-platform-double.ts), the
 * real models and LanceDB, and the vLLM test double.
 */

const DINGTALK = { clientId: 'dingtestclient0000001', clientSecret: 'dingtalk-secret-0123456789' };
const FEISHU = { appId: 'cli_a1b2c3d4e5f60718', appSecret: 'feishu-secret-0123', botOpenId: 'ou_bot_000000000000000000000001' };
const QUESTION = '手环可以戴着游泳吗？';

let replicas: Service[] = [];
let dingtalk: DingtalkStreamDouble;
let feishu: FeishuPlatformDouble;
let ground: ChannelGround;

beforeAll(async () => {
  dingtalk = await new DingtalkStreamDouble(DINGTALK).start();
  feishu = await new FeishuPlatformDouble({ appId: FEISHU.appId, appSecret: FEISHU.appSecret }).start();
  ground = await channelGround('stream-channels');
  const config = loadConfig({
    ...ground.env,
    DINGTALK_CLIENT_ID: DINGTALK.clientId,
    DINGTALK_CLIENT_SECRET: DINGTALK.clientSecret,
    DINGTALK_GATEWAY_BASE: dingtalk.base,
    FEISHU_APP_ID: FEISHU.appId,
    FEISHU_APP_SECRET: FEISHU.appSecret,
    FEISHU_EVENT_MODE: 'long-connection',
    FEISHU_BOT_OPEN_ID: FEISHU.botOpenId,
    FEISHU_API_BASE: feishu.base,
  });
  const embedders = await realEmbedders();
  const chatModel = new OpenAiChatModel({ baseURL: ground.vllm.baseURL, apiKey: 'x', model: 'Qwen/Qwen3-4B-Instruct-2507', timeoutMs: 30_000, firstTokenTimeoutMs: 15_000 });
  for (let index = 0; index < 2; index++) replicas.push(await buildService(config, createLogger(process.env.CHANNEL_TEST_LOG ?? 'silent'), { embedders, chatModel }));
  await until('both replicas connected to DingTalk', async () => (dingtalk.subscribers(TOPIC_ROBOT).length === 2 ? true : undefined), 20_000);
  await until('both replicas connected to Feishu', async () => (feishu.longConnections === 2 ? true : undefined), 20_000);
  // Each replica says it holds its connections.
  await until(
    'the connection gauges',
    async () => ((await metric(/^kefu_channel_connections\{channel="dingtalk"\}/)) === 2 && (await metric(/^kefu_channel_connections\{channel="feishu"\}/)) === 2 ? true : undefined),
    10_000,
  );
}, 240_000);

afterAll(async () => {
  for (const replica of replicas) await replica.close();
  replicas = [];
  await dingtalk?.stop();
  await feishu?.stop();
  await ground?.close();
});

const metric = (line: RegExp) => metricTotal(replicas, line);
const sessionOf = (message: { sessionWebhook: string }) => new URL(message.sessionWebhook).searchParams.get('session')!;
const settle = () => new Promise((resolve) => setTimeout(resolve, 800));

describe('the DingTalk Stream test double', () => {
  it('speaks what the official dingtalk-stream SDK speaks: its gateway request, its ticket, its ACK and ping reply', async () => {
    // The SDK's gateway URL is a constant (https://api.dingtalk.com/...): only the URL is redirected to the double.
    const redirect = axios.interceptors.request.use((request) => {
      if (request.url === 'https://api.dingtalk.com/v1.0/gateway/connections/open') request.url = `${dingtalk.base}/v1.0/gateway/connections/open`;
      return request;
    });
    const client = new DWClient({ clientId: DINGTALK.clientId, clientSecret: DINGTALK.clientSecret });
    const received: string[] = [];
    client.registerCallbackListener(TOPIC_ROBOT, (frame) => {
      received.push(JSON.parse(frame.data).msgId);
      client.socketCallBackResponse(frame.headers.messageId, { ok: true });
    });
    try {
      const before = dingtalk.subscribers(TOPIC_ROBOT).length;
      await client.connect();
      await until('the SDK connected', async () => (dingtalk.subscribers(TOPIC_ROBOT).length === before + 1 ? true : undefined), 10_000);
      expect(dingtalk.openRequests.at(-1)!.subscriptions).toContainEqual({ type: 'CALLBACK', topic: TOPIC_ROBOT });
      // Only the SDK's connection gets this one (it is the last to open).
      const sdkConnection = dingtalk.subscribers(TOPIC_ROBOT).at(-1)!;
      const frameId = dingtalk.pushRobotMessage(dingtalk.robotMessage({ msgId: 'msgSdkProbe01', text: 'hello', conversationType: '1' }), { to: 'all' });
      await until('the SDK received it', async () => (received.includes('msgSdkProbe01') ? true : undefined), 10_000);
      const acks = await until('the SDK acknowledged', async () => {
        const found = dingtalk.acks.filter((ack) => ack.messageId === frameId && ack.connectionId === sdkConnection.id);
        return found.length ? found : undefined;
      });
      expect(acks[0]).toMatchObject({ code: 200, message: 'OK', data: JSON.stringify({ response: { ok: true } }) });
      const pings = dingtalk.ping();
      await until('every connection answered the ping', async () => (pings.every((id) => dingtalk.pingReplies.some((reply) => reply.messageId === id)) ? true : undefined), 10_000);
    } finally {
      client.disconnect();
      axios.interceptors.request.eject(redirect);
    }
    await until('the SDK connection closed', async () => (dingtalk.subscribers(TOPIC_ROBOT).length === 2 ? true : undefined), 10_000);
  });

  it('refuses a wrong client secret at the gateway', async () => {
    const response = await fetch(`${dingtalk.base}/v1.0/gateway/connections/open`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({ clientId: DINGTALK.clientId, clientSecret: 'wrong', subscriptions: [{ type: 'CALLBACK', topic: TOPIC_ROBOT }] }),
    });
    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({ code: 'InvalidAuthentication' });
  });
});

describe('DingTalk Stream-mode robot', () => {
  it('answers a one-to-one message through its sessionWebhook: plain text, the AI label; every frame acknowledged', async () => {
    const message = dingtalk.robotMessage({ msgId: 'msgP2p0001', text: QUESTION, conversationType: '1' });
    const frameId = dingtalk.pushRobotMessage(message);
    const reply = await until('the webhook reply', async () => dingtalk.webhookReplies.find((item) => item.session === sessionOf(message)), 20_000);
    expect(reply.content).toMatch(/本回答由 AI 生成/);
    expect(reply.content).not.toMatch(/\*\*/);
    expect(dingtalk.acks.find((ack) => ack.messageId === frameId)).toMatchObject({ code: 200, message: 'OK' });
    await settle();
    // Acknowledged at once, so never pushed again.
    expect(dingtalk.deliveries.filter((delivery) => delivery.messageId === frameId)).toHaveLength(1);
  });

  it('a message delivered to both replicas is answered once', async () => {
    const duplicatesBefore = await metric(/^kefu_channel_duplicates_total\{channel="dingtalk"\}/);
    const message = dingtalk.robotMessage({ msgId: 'msgTwice0001', text: QUESTION, conversationType: '1', senderStaffId: 'staff0002' });
    dingtalk.pushRobotMessage(message, { to: 'all' });
    await until('the webhook reply', async () => dingtalk.webhookReplies.find((item) => item.session === sessionOf(message)), 20_000);
    await settle();
    expect(dingtalk.webhookReplies.filter((item) => item.session === sessionOf(message))).toHaveLength(1);
    expect((await metric(/^kefu_channel_duplicates_total\{channel="dingtalk"\}/)) - duplicatesBefore).toBe(1);
  });

  it('in a group, a message that does not @-mention the robot is ignored; one that does is answered', async () => {
    const ignoredBefore = await metric(/^kefu_channel_messages_total\{channel="dingtalk",outcome="not_mentioned"\}/);
    const plain = dingtalk.robotMessage({ msgId: 'msgGroup0001', text: QUESTION, conversationType: '2', isInAtList: false });
    const mentioned = dingtalk.robotMessage({ msgId: 'msgGroup0002', text: ` ${QUESTION}`, conversationType: '2', isInAtList: true });
    dingtalk.pushRobotMessage(plain);
    dingtalk.pushRobotMessage(mentioned);
    await until('the group reply', async () => dingtalk.webhookReplies.find((item) => item.session === sessionOf(mentioned)), 20_000);
    await settle();
    expect(dingtalk.webhookReplies.find((item) => item.session === sessionOf(plain))).toBeUndefined();
    expect((await metric(/^kefu_channel_messages_total\{channel="dingtalk",outcome="not_mentioned"\}/)) - ignoredBefore).toBe(1);
  });

  it("an answer ready after the session webhook expired goes through the robot's send API, its token renewed once when refused", async () => {
    const message = dingtalk.robotMessage({ msgId: 'msgExpired01', text: QUESTION, conversationType: '1', senderStaffId: 'staffLate01', webhookTtlMs: -1000 });
    dingtalk.pushRobotMessage(message);
    const sent = await until('the robot API send', async () => dingtalk.robotSends.find((item) => item.userIds?.includes('staffLate01')), 20_000);
    expect(sent).toMatchObject({ path: '/v1.0/robot/oToMessages/batchSend', robotCode: DINGTALK.clientId, msgKey: 'sampleText' });
    expect(sent.content).toMatch(/本回答由 AI 生成/);
    // The token expires between the two sends: the second is refused once, renews it and goes out.
    dingtalk.expireAccessTokens();
    const group = dingtalk.robotMessage({ msgId: 'msgExpired02', text: QUESTION, conversationType: '2', isInAtList: true, webhookTtlMs: -1000 });
    dingtalk.pushRobotMessage(group);
    await until('the group send', async () => dingtalk.robotSends.find((item) => item.openConversationId === group.conversationId), 20_000);
    expect(dingtalk.webhookRefusals.filter((item) => item.session === sessionOf(message) || item.session === sessionOf(group))).toEqual([]);
    expect(await metric(/^kefu_channel_messages_total\{channel="dingtalk",outcome="webhook_expired"\}/)).toBe(2);
    expect(await metric(/^kefu_channel_token_refreshes_total\{channel="dingtalk"\}/)).toBe(2);
    expect(dingtalk.tokenRequests.count).toBe(2);
  });

  it('a frame that is not the protocol is ignored and the connection keeps working', async () => {
    const opensBefore = dingtalk.openRequests.length;
    dingtalk.sendRaw('not json {');
    dingtalk.sendRaw(JSON.stringify({ type: 'CALLBACK', headers: {} }));
    const message = dingtalk.robotMessage({ msgId: 'msgAfterGarbage', text: QUESTION, conversationType: '1', senderStaffId: 'staff0004' });
    dingtalk.pushRobotMessage(message);
    await until('the webhook reply', async () => dingtalk.webhookReplies.find((item) => item.session === sessionOf(message)), 20_000);
    expect(dingtalk.openRequests.length).toBe(opensBefore);
  });

  it('"转人工" gets the contact and is recorded for the support team with the DingTalk user', async () => {
    const message = dingtalk.robotMessage({ msgId: 'msgHandoff01', text: '转人工', conversationType: '1', senderStaffId: 'staffHandoff1' });
    dingtalk.pushRobotMessage(message);
    const reply = await until('the webhook reply', async () => dingtalk.webhookReplies.find((item) => item.session === sessionOf(message)), 20_000);
    expect(reply.content).toMatch(/转接人工客服/);
    const handoffs = await until('the handoff record', async () => {
      const entries = (await replicas[0]!.state.readLog('handoffs', 50)).map((item) => item.entry);
      return entries.find((entry) => entry.messageId === 'msgHandoff01');
    });
    expect(handoffs).toMatchObject({ channel: 'dingtalk', platformUser: 'staffHandoff1', reason: 'requested', question: '转人工' });
  });

  it('after a SYSTEM disconnect each replica opens a new connection with a new ticket and keeps answering', async () => {
    const opensBefore = dingtalk.openRequests.length;
    dingtalk.disconnectAll();
    await until('both replicas reconnected', async () => (dingtalk.openRequests.length >= opensBefore + 2 && dingtalk.subscribers(TOPIC_ROBOT).length === 2 ? true : undefined), 20_000);
    await until('the connection gauge back at two', async () => ((await metric(/^kefu_channel_connections\{channel="dingtalk"\}/)) === 2 ? true : undefined), 10_000);
    const message = dingtalk.robotMessage({ msgId: 'msgAfterReconnect', text: QUESTION, conversationType: '1', senderStaffId: 'staff0003' });
    dingtalk.pushRobotMessage(message);
    await until('the webhook reply', async () => dingtalk.webhookReplies.find((item) => item.session === sessionOf(message)), 20_000);
  });
});

describe('Feishu long connection (the official SDK against the protocol double)', () => {
  const event = (messageId: string, chatType: 'p2p' | 'group', text: string, mentions?: { key: string; openId: string; name: string }[]) =>
    FeishuPlatformDouble.messageEvent({ token: '', appId: FEISHU.appId, messageId, chatType, text, senderOpenId: 'ou_customer_ws', mentions });

  it('answers a direct message that came down both replicas’ connections once, through the reply API; each event frame acknowledged', async () => {
    const frameId = feishu.pushEvent(event('om_ws_direct_0001', 'p2p', QUESTION));
    const sent = await until('the Feishu reply', async () => feishu.replies.find((reply) => reply.messageId === 'om_ws_direct_0001'), 20_000);
    expect(sent.text).toMatch(/本回答由 AI 生成/);
    await settle();
    expect(feishu.replies.filter((reply) => reply.messageId === 'om_ws_direct_0001')).toHaveLength(1);
    const acks = feishu.eventAcks.filter((ack) => ack.messageId === frameId);
    expect(acks).toHaveLength(2);
    expect(acks.every((ack) => ack.code === 200 && ack.bizRt !== undefined)).toBe(true);
  });

  it('in a group only a message mentioning the bot is answered; an event split into fragments is put back together', async () => {
    feishu.pushEvent(event('om_ws_group_0001', 'group', QUESTION, [{ key: '@_user_1', openId: 'ou_someone_else', name: 'Li Lei' }]));
    feishu.pushEvent(event('om_ws_group_0002', 'group', `@_user_1 ${QUESTION}`, [{ key: '@_user_1', openId: FEISHU.botOpenId, name: 'Kefu' }]), { fragments: 3 });
    await until('the group reply', async () => feishu.replies.find((reply) => reply.messageId === 'om_ws_group_0002'), 20_000);
    await settle();
    expect(feishu.replies.find((reply) => reply.messageId === 'om_ws_group_0001')).toBeUndefined();
  });
});
