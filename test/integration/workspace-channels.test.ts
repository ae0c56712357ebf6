import { createHmac } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import path from 'node:path';
import { Redis } from 'ioredis';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { wechatSignature } from '../../src/channels/wechat-crypto.js';
import { parseWechatXml } from '../../src/channels/wechat-xml.js';
import { loadConfig } from '../../src/config/config.js';
import { ingestKnowledgeBase } from '../../src/ingest-knowledge-base.js';
import { createLogger } from '../../src/log.js';
import { buildService, type Service } from '../../src/service.js';
import { workspaceConfig } from '../../src/workspaces/workspace-config.js';
import { listenLocal } from '../support/listen.js';
import { configToEnv, ingestSampleKnowledge, realEmbedders, tempDir } from '../support/real-stack.js';
import { until } from '../support/until.js';
import { WechatPlatformDouble } from '../support/wechat-platform-double.js';
import { DingtalkStreamDouble } from '../support/dingtalk-stream-double.js';
import { FeishuPlatformDouble } from '../support/feishu-platform-double.js';
import { WechatMessageCrypto } from '../../src/channels/wechat-crypto.js';
import { ZendeskHelpdeskDouble, type ZendeskTicket } from '../support/zendesk-helpdesk-double.js';
import { testKey, writeWorkspaceKnowledge } from '../support/workspaces.js';

/**
 * A workspace's own messaging channel and hand-off webhook: its WeChat Official Account's callbacks come to
 * `/channels/wechat/<workspace>`, are checked with its own token (a secret of the deployment's WORKSPACE_SECRETS_FILE,
 * never sent through or shown by the admin API), answered from its knowledge base with its hand-off contact, and
 * recorded among its conversations and handoffs; its widget's handoffs go to its own webhook, signed with its own
 * secret. The deployment's `/channels/wechat` keeps answering from the deployment's knowledge base. Real Redis, models
 * and tables; the WeChat platform test double's callbacks (test/support/wechat-platform-double.ts).
 */
const prefix = `kefu-ws-channels-${process.pid}-${Date.now()}:`;
const keys = {
  operator: testKey('chan-ops', ['operator']),
  defaultAdmin: testKey('chan-default-admin', ['admin']),
  bAdmin: testKey('chan-b-admin', ['admin'], 'chb'),
  bWidget: testKey('chan-b-widget', ['widget'], 'chb'),
};
const as = (key: { secret: string }) => ({ 'x-api-key': key.secret });
const SECRET = 'CHANB7373';
const DEPLOYMENT = { appId: 'wx5823bf96d3bd56c7', token: 'DeploymentToken1' };
const BRAND_B = { appId: 'wx00000000000000b2', token: 'BrandBToken2', appSecret: 'brand-b-app-secret-0001', webhookSecret: 'brand-b-webhook-secret-0001' };
const CONTACT = 'Brand B hotline 400-800-0202';
// Brand B's (and Brand D's) WeCom, Feishu and DingTalk accounts: ids in the settings, secrets in the secrets file.
const WECOM = {
  b: {
    corpId: 'ww00000000000000b2',
    kfSecret: 'brand-b-kf-secret-0001',
    token: 'BrandBWecomToken',
    aesKey: 'BrandBWecomAesKey00000000000000000000000001',
    openKfId: 'wkBrandB000000000000000000000001',
  },
  d: { corpId: 'ww00000000000000d4', kfSecret: 'brand-d-kf-secret-0001', token: 'BrandDWecomToken', aesKey: 'BrandDWecomAesKey00000000000000000000000001' },
};
const FEISHU = {
  b: { appId: 'cli_b2b2b2b2b2b2b2b2', appSecret: 'brand-b-feishu-secret', token: 'brand-b-feishu-token', encryptKey: 'brand-b-feishu-encrypt-key', botOpenId: 'ou_brand_b_bot_00000000000000001' },
  d: { appId: 'cli_d4d4d4d4d4d4d4d4', appSecret: 'brand-d-feishu-secret', token: 'brand-d-feishu-token', encryptKey: 'brand-d-feishu-encrypt-key', botOpenId: 'ou_brand_d_bot_00000000000000001' },
};
const DINGTALK = { clientId: 'dingbrandb00000000001', clientSecret: 'brand-b-dingtalk-secret-0001' };
const HELPDESK = {
  deployment: { reply: 'deployment-helpdesk-reply-secret-01' },
  b: { zendesk: 'YnJhbmQtYi16ZW5kZXNrLXNpZ25pbmctc2VjcmV0', reply: 'brand-b-helpdesk-reply-secret-0001' },
  d: { reply: 'brand-d-helpdesk-reply-secret-0001' },
};
const hooks: Record<'deployment' | 'workspace', { body: string; signature?: string }[]> = { deployment: [], workspace: [] };
let service: Service;
let base: string;
let closeServer: () => void;
let cleanup: () => Promise<void>;
let platforms: { wecom: WechatPlatformDouble; feishu: FeishuPlatformDouble; dingtalk: DingtalkStreamDouble };
const closers: (() => void)[] = [];

async function webhook(into: { body: string; signature?: string }[]): Promise<string> {
  const server = createServer((incoming, response) => {
    let body = '';
    incoming.on('data', (chunk) => (body += chunk));
    incoming.on('end', () => {
      into.push({ body, signature: incoming.headers['x-kefu-signature'] as string | undefined });
      response.writeHead(200).end('{}');
    });
  });
  closers.push(() => server.close());
  return `${(await listenLocal(server)).base}/hook`;
}

beforeAll(async () => {
  platforms = {
    wecom: await new WechatPlatformDouble({ appId: BRAND_B.appId, appSecret: BRAND_B.appSecret, corpId: WECOM.b.corpId, kfSecret: WECOM.b.kfSecret }).start(),
    feishu: await new FeishuPlatformDouble({ appId: FEISHU.b.appId, appSecret: FEISHU.b.appSecret }).start(),
    dingtalk: await new DingtalkStreamDouble(DINGTALK).start(),
  };
  const temp = await tempDir('ws-channels');
  cleanup = temp.remove;
  const workspaces = path.join(temp.dir, 'workspaces');
  const ingested = await ingestSampleKnowledge(path.join(temp.dir, 'db'), { STATE_LOG_DIR: path.join(temp.dir, 'logs'), WORKSPACES_DIR: workspaces, ANSWER_CACHE: 'false' });
  // The workspace's secrets, as a mounted secret file would hold them.
  const secrets = path.join(temp.dir, 'workspace-secrets.json');
  await writeFile(
    secrets,
    JSON.stringify({
      chb: {
        WECHAT_APP_SECRET: BRAND_B.appSecret,
        WECHAT_TOKEN: BRAND_B.token,
        HANDOFF_WEBHOOK_SECRET: BRAND_B.webhookSecret,
        HELPDESK_ZENDESK_SIGNING_SECRET: HELPDESK.b.zendesk,
        HELPDESK_REPLY_SECRET: HELPDESK.b.reply,
        WECOM_KF_SECRET: WECOM.b.kfSecret,
        WECOM_KF_TOKEN: WECOM.b.token,
        WECOM_KF_ENCODING_AES_KEY: WECOM.b.aesKey,
        FEISHU_APP_SECRET: FEISHU.b.appSecret,
        FEISHU_VERIFICATION_TOKEN: FEISHU.b.token,
        FEISHU_ENCRYPT_KEY: FEISHU.b.encryptKey,
        DINGTALK_CLIENT_SECRET: DINGTALK.clientSecret,
      },
      chd: {
        HELPDESK_REPLY_SECRET: HELPDESK.d.reply,
        WECOM_KF_SECRET: WECOM.d.kfSecret,
        WECOM_KF_TOKEN: WECOM.d.token,
        WECOM_KF_ENCODING_AES_KEY: WECOM.d.aesKey,
        FEISHU_APP_SECRET: FEISHU.d.appSecret,
        FEISHU_VERIFICATION_TOKEN: FEISHU.d.token,
        FEISHU_ENCRYPT_KEY: FEISHU.d.encryptKey,
      },
    }),
  );
  const config = loadConfig({
    ...configToEnv(ingested),
    API_KEYS: JSON.stringify(Object.values(keys).map((key) => key.entry)),
    REDIS_URL: 'redis://127.0.0.1:6379',
    REDIS_KEY_PREFIX: prefix,
    WORKSPACE_SECRETS_FILE: secrets,
    HANDOFF_WEBHOOK_URL: await webhook(hooks.deployment),
    WECHAT_APP_ID: DEPLOYMENT.appId,
    WECHAT_APP_SECRET: 'deployment-app-secret-0001',
    WECHAT_TOKEN: DEPLOYMENT.token,
    WECHAT_ALLOW_PLAINTEXT: 'true',
    HELPDESK_REPLY_SECRET: HELPDESK.deployment.reply,
    // The platforms' API bases are the deployment's settings: every workspace's accounts call these doubles.
    WECOM_API_BASE: platforms.wecom.base,
    FEISHU_API_BASE: platforms.feishu.base,
    DINGTALK_GATEWAY_BASE: platforms.dingtalk.base,
    RATE_LIMIT_IP_BURST: '100000',
    RATE_LIMIT_KEY_BURST: '100000',
    // One service on a shared 2-core machine: a slow Redis reply is not an outage here.
    REDIS_COMMAND_TIMEOUT_MS: '5000',
  });
  service = await buildService(config, createLogger('silent'), { embedders: await realEmbedders(), chatModel: null });
  const listening = await listenLocal(service.app);
  base = listening.base;
  closeServer = () => listening.server.close();
  const created = await request(service.app).post('/v1/admin/workspaces').set(as(keys.operator)).send({ id: 'chb', name: 'Brand B' });
  expect(created.status, created.text).toBe(201);
  // Another workspace with a helpdesk of its own (its signed replies must not reach Brand B).
  expect((await request(service.app).post('/v1/admin/workspaces').set(as(keys.operator)).send({ id: 'chd', name: 'Brand D' })).status).toBe(201);
  const bConfig = workspaceConfig(config, { id: 'chb', settings: {} });
  await writeWorkspaceKnowledge(bConfig.KNOWLEDGE_DIR, SECRET);
  // Its own small knowledge base, ingested here (the gate has no regression set of the workspace to ask).
  await ingestKnowledgeBase({ ...bConfig, REGRESSION_GATE: false }, await realEmbedders());
  const configured = await request(service.app)
    .patch('/v1/admin/workspaces/chb')
    .set(as(keys.operator))
    .send({
      settings: {
        handoffContact: { zh: CONTACT, en: CONTACT },
        channels: {
          wechat: { appId: BRAND_B.appId, allowPlaintext: true },
          wecom: { corpId: WECOM.b.corpId },
          feishu: { appId: FEISHU.b.appId, botOpenId: FEISHU.b.botOpenId },
          dingtalk: { clientId: DINGTALK.clientId },
        },
        handoffWebhook: { url: await webhook(hooks.workspace) },
      },
    });
  expect(configured.status, configured.text).toBe(200);
  const other = await request(service.app)
    .patch('/v1/admin/workspaces/chd')
    .set(as(keys.operator))
    .send({ settings: { channels: { wecom: { corpId: WECOM.d.corpId }, feishu: { appId: FEISHU.d.appId, botOpenId: FEISHU.d.botOpenId } } } });
  expect(other.status, other.text).toBe(200);
}, 300_000);

afterAll(async () => {
  closeServer?.();
  for (const close of closers) close();
  await service?.close();
  await Promise.all(Object.values(platforms ?? {}).map((double) => double.stop()));
  await cleanup?.();
  // Its Redis keys (queues, drafts, logs) go with it.
  const redis = new Redis('redis://127.0.0.1:6379');
  const left = await redis.keys(`${prefix}*`);
  if (left.length) await redis.del(...left);
  redis.disconnect();
});

/** A customer's text to an Official Account, posted as WeChat posts it, to `path` (the callback URL's path). */
async function wechat(path: string, token: string, openid: string, msgId: string, content: string) {
  const post = WechatPlatformDouble.officialAccountPost(base, { token, appId: '', openid, msgId, content });
  const [outcome] = await WechatPlatformDouble.deliverLikeWechat(post.url.replace('/channels/wechat?', `${path}?`), post.body, 1);
  return outcome!;
}

describe('a workspace’s own messaging channel and hand-off webhook', () => {
  it('answers its WeChat callbacks at /channels/wechat/<workspace> from its own knowledge base, checked with its own token', async () => {
    const answered = await wechat('/channels/wechat/chb', BRAND_B.token, 'oBrandBUser000000000000001', '6200000000000000001', 'What is the Drive Link service PIN?');
    expect(answered.status).toBe(200);
    expect(parseWechatXml(answered.text).Content).toContain(SECRET);
    // Signed with the deployment's token, or sent to a workspace that does not exist: refused.
    expect((await wechat('/channels/wechat/chb', DEPLOYMENT.token, 'oBrandBUser000000000000001', '6200000000000000002', 'What is the Drive Link service PIN?')).status).toBe(401);
    expect((await wechat('/channels/wechat/nobody', BRAND_B.token, 'oBrandBUser000000000000001', '6200000000000000003', 'What is the Drive Link service PIN?')).status).toBe(404);
    // The URL check (GET) is its own too.
    const check = new URLSearchParams({ signature: wechatSignature(BRAND_B.token, '1409659589', '263014780'), timestamp: '1409659589', nonce: '263014780', echostr: '42' });
    expect(await (await fetch(`${base}/channels/wechat/chb?${check}`)).text()).toBe('42');

    // Its conversation is among its own, never the deployment's.
    const mine = await until('the WeChat conversation recorded in the workspace', async () => {
      const response = await request(service.app).get('/v1/admin/conversations?channel=wechat').set(as(keys.bAdmin));
      return response.body.total > 0 ? response.body : undefined;
    });
    expect(JSON.stringify(mine)).toContain('Drive Link service PIN');
    const theirs = await request(service.app).get('/v1/admin/conversations?channel=wechat').set(as(keys.defaultAdmin));
    expect(JSON.stringify(theirs.body)).not.toContain('Drive Link service PIN');
  });

  it('keeps the deployment’s own /channels/wechat answering from the deployment’s knowledge base', async () => {
    for (const path of ['/channels/wechat', '/channels/wechat/default']) {
      const answered = await wechat(path, DEPLOYMENT.token, 'oDeploymentUser00000000001', `63000000000000000${path.length}`, '手环可以戴着游泳吗？');
      expect(answered.status, path).toBe(200);
      const content = parseWechatXml(answered.text).Content!;
      expect(content).toMatch(/\[1\]/);
      expect(content).not.toContain(SECRET);
    }
  });

  it('records a WeChat customer’s request for a person in its own handoffs, with its own contact', async () => {
    const handoff = await wechat('/channels/wechat/chb', BRAND_B.token, 'oBrandBUser000000000000009', '6200000000000000009', '转人工');
    expect(parseWechatXml(handoff.text).Content).toContain(CONTACT);
    const listed = await until('the handoff in the workspace', async () => {
      const response = await request(service.app).get('/v1/admin/handoffs').set(as(keys.bAdmin));
      return (response.body.handoffs as { channel: string; platformUser?: string }[]).find((entry) => entry.channel === 'wechat');
    });
    expect(listed.platformUser).toBe('oBrandBUser000000000000009');
    const deployment = await request(service.app).get('/v1/admin/handoffs').set(as(keys.defaultAdmin));
    expect(JSON.stringify(deployment.body)).not.toContain('oBrandBUser000000000000009');
  });

  it('posts its widget’s handoffs to its own webhook, signed with its own secret, and none to the deployment’s', async () => {
    const sent = await request(service.app)
      .post('/v1/handoff')
      .set(as(keys.bWidget))
      .send({ name: 'Chen Jing', email: 'chen@customer.example', question: 'Please call me about the Drive Link PIN', consent: true, lang: 'en' });
    expect(sent.status, sent.text).toBe(201);
    const [delivery] = await until('the workspace webhook delivery', async () => (hooks.workspace.length ? hooks.workspace : undefined), 15_000);
    expect(JSON.parse(delivery!.body).handoff.email).toBe('chen@customer.example');
    expect(delivery!.signature).toBe(`sha256=${createHmac('sha256', BRAND_B.webhookSecret).update(delivery!.body).digest('hex')}`);
    expect(hooks.deployment).toEqual([]);
  });

  it('takes channel secrets only from the deployment’s settings, and never shows them', async () => {
    const listed = await request(service.app).get('/v1/admin/workspaces').set(as(keys.operator));
    expect(listed.status).toBe(200);
    expect(JSON.stringify(listed.body)).toContain(BRAND_B.appId);
    for (const secret of [BRAND_B.appSecret, BRAND_B.token, BRAND_B.webhookSecret]) expect(JSON.stringify(listed.body)).not.toContain(secret);
    // A secret in the settings is refused; so is a channel whose secrets the deployment does not have.
    const withSecret = await request(service.app)
      .patch('/v1/admin/workspaces/chb')
      .set(as(keys.operator))
      .send({ settings: { channels: { wechat: { appId: BRAND_B.appId, appSecret: 'sent-through-the-api' } } } });
    expect(withSecret.status).toBe(400);
    await request(service.app).post('/v1/admin/workspaces').set(as(keys.operator)).send({ id: 'chc', name: 'Brand C' });
    const unconfigured = await request(service.app)
      .patch('/v1/admin/workspaces/chc')
      .set(as(keys.operator))
      .send({ settings: { channels: { wechat: { appId: 'wx00000000000000c3' } } } });
    expect(unconfigured.status, unconfigured.text).toBe(400);
    expect(unconfigured.body.error.code).toBe('channel_secrets_missing');
    expect(unconfigured.body.error.message).toContain('WECHAT_APP_SECRET');
    const onDefault = await request(service.app)
      .patch('/v1/admin/workspaces/default')
      .set(as(keys.operator))
      .send({ settings: { handoffWebhook: { url: 'https://elsewhere.example/hook' } } });
    expect(onDefault.status).toBe(400);
  });
});

describe('a workspace’s own WeCom, Feishu and DingTalk accounts', () => {
  const PIN_QUESTION = 'What is the Drive Link service PIN?';

  it('answers a WeCom customer at /channels/wecom/<workspace> from its knowledge base, the callback checked with its own token and key', async () => {
    const customer = 'wmBrandBCustomer0000000000001';
    platforms.wecom.customerWrites(WECOM.b.openKfId, customer, PIN_QUESTION);
    const callback = (wecom: { token: string; aesKey: string; corpId: string }) => {
      const notice = platforms.wecom.wecomCallback('', {
        token: wecom.token,
        crypto: new WechatMessageCrypto(wecom.token, wecom.aesKey, wecom.corpId),
        corpId: wecom.corpId,
        openKfId: WECOM.b.openKfId,
      });
      return fetch(`${base}${notice.url.replace('/channels/wecom?', '/channels/wecom/chb?')}`, { method: 'POST', body: notice.body });
    };
    // Signed and encrypted with the other workspace's token and key: refused at Brand B's address, nothing pulled.
    expect((await callback(WECOM.d)).status).toBe(401);
    expect(platforms.wecom.calls.filter((call) => call.path === '/cgi-bin/kf/sync_msg')).toEqual([]);
    expect(await (await callback(WECOM.b)).text()).toBe('success');
    const sent = await until('the WeCom answer', async () => platforms.wecom.kfSent.find((item) => item.touser === customer), 30_000);
    expect(sent.open_kfid).toBe(WECOM.b.openKfId);
    expect(sent.content).toContain(SECRET);
  });

  it('answers a Feishu message at /channels/feishu/<workspace> from its knowledge base, the event checked with its own keys', async () => {
    const post = (feishu: (typeof FEISHU)['b'], messageId: string) => {
      const event = FeishuPlatformDouble.messageEvent({ token: feishu.token, appId: feishu.appId, messageId, chatType: 'p2p', text: PIN_QUESTION, senderOpenId: 'ou_brand_b_customer_1' });
      const signed = FeishuPlatformDouble.eventPost(event, feishu.encryptKey);
      return fetch(`${base}/channels/feishu/chb`, { method: 'POST', headers: signed.headers, body: signed.body });
    };
    // The other workspace's encrypt key and token: refused, and never answered.
    expect((await post(FEISHU.d, 'om_brand_d_0001')).status).toBe(401);
    expect((await post(FEISHU.b, 'om_brand_b_0001')).status).toBe(200);
    const reply = await until('the Feishu reply', async () => platforms.feishu.replies.find((item) => item.messageId === 'om_brand_b_0001'), 30_000);
    expect(reply.text).toContain(SECRET);
    expect(platforms.feishu.replies.find((item) => item.messageId === 'om_brand_d_0001')).toBeUndefined();
  });

  it('connects its DingTalk robot with its own client id and secret and answers from its knowledge base', async () => {
    // The workspace connects out (DingTalk Stream) once configured; the double opens a connection for Brand B's
    // client id and secret only.
    await until('Brand B connected to DingTalk', async () => platforms.dingtalk.subscribers('/v1.0/im/bot/messages/get')[0], 30_000);
    expect(platforms.dingtalk.openRequests.map((open) => open.clientId)).toEqual([DINGTALK.clientId]);
    const message = platforms.dingtalk.robotMessage({ msgId: 'msgBrandB0001', text: PIN_QUESTION, conversationType: '1' });
    platforms.dingtalk.pushRobotMessage(message);
    const session = new URL(message.sessionWebhook).searchParams.get('session');
    const reply = await until('the DingTalk reply', async () => platforms.dingtalk.webhookReplies.find((item) => item.session === session), 30_000);
    expect(reply.content).toContain(SECRET);
  });
});

/** Our signed JSON form of a helpdesk reply (docs/suggestions.md), signed with `secret`, posted to `path`. */
function signedReply(path: string, secret: string, body: Record<string, unknown>) {
  const text = JSON.stringify(body);
  const timestamp = String(Math.floor(Date.now() / 1000));
  const signature = `sha256=${createHmac('sha256', secret).update(`${timestamp}.${text}`).digest('hex')}`;
  return request(base).post(path).set('content-type', 'application/json').set('x-kefu-timestamp', timestamp).set('x-kefu-signature', signature).send(text);
}

describe('a workspace’s own helpdesk replies', () => {
  /** A handoff from Brand B's widget: recorded in Brand B, its id what the helpdesk's reply names. */
  async function brandBHandoff(question: string): Promise<string> {
    const sent = await request(service.app).post('/v1/handoff').set(as(keys.bWidget)).send({ name: 'Zhao Min', email: 'zhao@customer.example', question, consent: true, lang: 'en' });
    expect(sent.status, sent.text).toBe(201);
    return sent.body.id as string;
  }
  const resolutions = async (id: string, key: { secret: string }) => request(service.app).get(`/v1/admin/handoffs/${id}`).set(as(key));

  it('records a reply signed with the workspace’s own secret at /v1/helpdesk/replies/<workspace>, in that workspace only', async () => {
    const id = await brandBHandoff('Can the Drive Link PIN be reset at home?');
    const reply = { handoffId: id, replyId: 'b-reply-1', answer: 'No: the service centre resets it with the PIN.', author: 'agent-b' };
    // Signed with another workspace's secret, or the deployment's: refused at Brand B's address, and nothing recorded.
    expect((await signedReply('/v1/helpdesk/replies/chb', HELPDESK.d.reply, reply)).status).toBe(401);
    expect((await signedReply('/v1/helpdesk/replies/chb', HELPDESK.deployment.reply, reply)).status).toBe(401);
    // Brand B's own signature at another address: the deployment's, or another workspace's, refuses it too.
    expect((await signedReply('/v1/helpdesk/replies', HELPDESK.b.reply, reply)).status).toBe(401);
    expect((await signedReply('/v1/helpdesk/replies/chd', HELPDESK.b.reply, reply)).status).toBe(401);
    expect((await resolutions(id, keys.bAdmin)).body.resolutions).toEqual([]);

    const recorded = await signedReply('/v1/helpdesk/replies/chb', HELPDESK.b.reply, reply);
    expect(recorded.status, recorded.text).toBe(201);
    expect((await resolutions(id, keys.bAdmin)).body.resolutions).toMatchObject([{ answer: reply.answer, by: 'helpdesk:agent-b' }]);
    // The deployment's admin does not see Brand B's handoff at all.
    expect((await resolutions(id, keys.defaultAdmin)).status).toBe(404);
  });

  it('records Zendesk’s signed comment event at /v1/helpdesk/zendesk/<workspace>, checked with the workspace’s signing secret', async () => {
    const id = await brandBHandoff('Which adapters does Drive Link support?');
    // The ticket Brand B's helpdesk opened for the handoff (its webhook sent the id), as Zendesk's event carries it.
    const ticket: ZendeskTicket = {
      id: 7301,
      subject: 'Drive Link adapters',
      description: 'Which adapters?',
      external_id: id,
      tags: ['kefu', `kefu_${id}`],
      requester: { name: 'Zhao Min', email: 'zhao@customer.example' },
      status: 'open',
    };
    const zendesk = new ZendeskHelpdeskDouble({ agentEmail: 'agent@b.example', apiToken: 'unused', signingSecret: HELPDESK.b.zendesk });
    const forged = await ZendeskHelpdeskDouble.deliver(`${base}/v1/helpdesk/zendesk/chb`, zendesk.commentEvent(ticket, 'Any USB-C adapter.', { secret: 'bm90LWJyYW5kLWItc2VjcmV0' }));
    expect(forged.status).toBe(401);
    const delivered = await ZendeskHelpdeskDouble.deliver(`${base}/v1/helpdesk/zendesk/chb`, zendesk.commentEvent(ticket, 'The Drive Link works with the two adapters in its box.'));
    expect(delivered.status).toBe(201);
    expect(delivered.body).toMatchObject({ result: 'recorded', handoffId: id });
    expect(JSON.stringify((await resolutions(id, keys.bAdmin)).body.resolutions)).toContain('two adapters in its box');
  });

  it('answers one 404 for a workspace that does not exist and one without that helpdesk’s secret', async () => {
    const reply = { handoffId: '00000000-0000-4000-8000-000000000000', replyId: 'r', answer: 'x' };
    const unknown = await signedReply('/v1/helpdesk/replies/nobody', HELPDESK.b.reply, reply);
    // chd exists, with a reply secret but no Zendesk signing secret.
    const withoutSecret = await ZendeskHelpdeskDouble.deliver(
      `${base}/v1/helpdesk/zendesk/chd`,
      new ZendeskHelpdeskDouble({ agentEmail: 'a@d.example', apiToken: 'unused', signingSecret: 'ZC1zZWNyZXQ=' }).commentEvent(
        { id: 1, subject: '', description: '', external_id: null, tags: [], requester: { name: '', email: '' }, status: 'open' },
        'x',
      ),
    );
    const unknownZendesk = await ZendeskHelpdeskDouble.deliver(
      `${base}/v1/helpdesk/zendesk/nobody`,
      new ZendeskHelpdeskDouble({ agentEmail: 'a@d.example', apiToken: 'unused', signingSecret: 'ZC1zZWNyZXQ=' }).commentEvent(
        { id: 1, subject: '', description: '', external_id: null, tags: [], requester: { name: '', email: '' }, status: 'open' },
        'x',
      ),
    );
    expect(unknown.status).toBe(404);
    expect([withoutSecret.status, unknownZendesk.status]).toEqual([404, 404]);
    expect(withoutSecret.body.error).toMatchObject({ code: (unknownZendesk.body.error as { code: string }).code, message: (unknownZendesk.body.error as { message: string }).message });
    expect(unknown.body.error.code).toBe((withoutSecret.body.error as { code: string }).code);
  });
});
