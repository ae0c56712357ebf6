import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { Redis } from 'ioredis';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import { hashKey } from '../../src/http/access.js';
import type { Interaction } from '../../src/insights/interactions.js';
import { createLogger } from '../../src/log.js';
import { buildService, type Service } from '../../src/service.js';
import { configToEnv, ingestSampleKnowledge, realEmbedders, tempDir } from '../support/real-stack.js';
import { SmtpCapture } from '../support/smtp-capture.js';
import { until } from '../support/until.js';
import { WechatPlatformDouble } from '../support/wechat-platform-double.js';

/**
 * Every channel's turn is recorded once in the `interactions` log on the real Redis: /v1/ask (a widget
 * conversation of two turns and a refusal followed by a request for a person), /v1/chat/completions, a WeChat
 * message, and an e-mail drafted by the BullMQ worker; the admin views join them with thumbs and handoffs.
 */
const adminKey = 'kefu_admin_interactions0123456789abcdef';
const TOKEN = 'QDG6eK';
const APP_ID = 'wx5823bf96d3bd56c7';
const prefix = `kefu-test-interactions-${randomBytes(4).toString('hex')}:`;
let service: Service;
let platform: WechatPlatformDouble;
let smtp: SmtpCapture;
let redis: Redis;
let cleanup: () => Promise<void>;

beforeAll(async () => {
  const temp = await tempDir('interactions');
  cleanup = temp.remove;
  platform = await new WechatPlatformDouble({ appId: APP_ID, appSecret: 'mp-secret-0123456789', corpId: APP_ID, kfSecret: 'kf-secret-0123456789' }).start();
  smtp = await new SmtpCapture().start();
  const base = await ingestSampleKnowledge(temp.dir, { CALIBRATION_ENABLED: 'false', ANSWER_CACHE: 'false', STATE_LOG_DIR: `${temp.dir}/state` });
  const config = loadConfig({
    ...configToEnv(base),
    REDIS_URL: 'redis://127.0.0.1:6379',
    REDIS_KEY_PREFIX: prefix,
    API_KEYS: JSON.stringify([{ id: 'lead', sha256: hashKey(adminKey), scopes: ['admin'], origins: [] }]),
    // A confident answer is quoted (no model here) rather than offered as suggestions: one turn of each outcome.
    ANSWER_THRESHOLD: '0.5',
    RATE_LIMIT_IP_BURST: '100000',
    RATE_LIMIT_KEY_BURST: '100000',
    WECHAT_APP_ID: APP_ID,
    WECHAT_APP_SECRET: 'mp-secret-0123456789',
    WECHAT_TOKEN: TOKEN,
    WECHAT_ALLOW_PLAINTEXT: 'true',
    WECHAT_API_BASE: platform.base,
    EMAIL_ENABLED: 'true',
    SMTP_URL: smtp.url,
  });
  service = await buildService(config, createLogger('silent'), { embedders: await realEmbedders(), chatModel: null });
  redis = new Redis('redis://127.0.0.1:6379');
}, 240_000);

afterAll(async () => {
  await service?.close();
  const keys = await redis?.keys(`${prefix}*`);
  if (keys?.length) await redis.del(...keys);
  redis?.disconnect();
  await platform?.stop();
  await smtp?.stop();
  await cleanup?.();
});

const api = () => request(service.app);
const ask = (body: Record<string, unknown>) => api().post('/v1/ask').set('x-api-key', adminKey).send(body);
const admin = (path: string) => api().get(path).set('x-api-key', adminKey);
/** Read from Redis itself, not through the service: the entries are in the shared stream. */
async function interactions(): Promise<Interaction[]> {
  const entries = await redis.xrange(`${prefix}interactions`, '-', '+');
  return entries.map(([, fields]) => JSON.parse(fields[1]!) as Interaction);
}

describe('the interactions log', () => {
  const sessionId = `widget-session-${randomBytes(6).toString('hex')}`;

  it('records each widget turn with its number, outcome, mode, confidence and sources, the question masked', async () => {
    const first = await ask({ question: 'Does parking mode drain my car battery?', sessionId, channel: 'widget' });
    expect(first.body).toMatchObject({ refused: false, mode: 'extractive' });
    expect(first.status).toBe(200);
    const second = await ask({ question: 'How do I cook pasta al dente? Write to jane.doe@example.com', sessionId, channel: 'widget' });
    expect(second.body).toMatchObject({ refused: true, mode: 'refusal' });
    const recorded = (await interactions()).filter((entry) => entry.sessionId === sessionId);
    expect(recorded.map((entry) => [entry.turn, entry.channel, entry.answerId, entry.mode])).toEqual([
      [1, 'widget', first.body.answerId, first.body.mode],
      [2, 'widget', second.body.answerId, 'refusal'],
    ]);
    expect(recorded[0]).toMatchObject({ outcome: 'answered', productLine: first.body.productLine, lang: 'en', confidence: first.body.confidence, answer: first.body.answer });
    expect(recorded[0]!.sources.map((source) => source.docId)).toEqual(first.body.citations.map((citation: { docId: string }) => citation.docId));
    expect(recorded[1]).toMatchObject({ outcome: 'refused' });
    expect(recorded[1]!.question).toMatch(/^How do I cook pasta al dente\? Write to /);
    expect(recorded[1]!.question).not.toContain('jane.doe@example.com');
  });

  it('joins a thumbs-down and a request for a person to the turn they follow', async () => {
    const [first, second] = (await interactions()).filter((entry) => entry.sessionId === sessionId);
    expect((await api().post('/v1/feedback').set('x-api-key', adminKey).send({ answerId: first!.answerId, rating: 'down' })).status).toBe(201);
    const handoff = await api()
      .post('/v1/handoff')
      .set('x-api-key', adminKey)
      .send({ name: 'Jane', email: 'jane@example.com', question: second!.question, consent: true, sessionId, answerId: second!.answerId });
    expect(handoff.status).toBe(201);
    const transcript = await admin(`/v1/admin/conversations/${sessionId}`);
    expect(transcript.status).toBe(200);
    expect(transcript.body.turns.map((turn: { turn: number; final: string; rating?: string }) => [turn.turn, turn.final, turn.rating ?? null])).toEqual([
      [1, first!.outcome, 'down'],
      [2, 'handed_off', null],
    ]);
  });

  it('records /v1/chat/completions as an api turn of its own conversation', async () => {
    const response = await api()
      .post('/v1/chat/completions')
      .set('x-api-key', adminKey)
      .send({ model: 'kefu', messages: [{ role: 'user', content: 'How long is the warranty of the dash cam?' }] });
    expect(response.status).toBe(200);
    const answerId = response.body.kefu.answerId;
    const recorded = (await interactions()).find((entry) => entry.answerId === answerId);
    expect(recorded).toMatchObject({ channel: 'api', sessionId: answerId, turn: 1, question: 'How long is the warranty of the dash cam?' });
  });

  it('records a WeChat message under the wechat channel, its session the hashed platform user', async () => {
    const post = WechatPlatformDouble.officialAccountPost('', { token: TOKEN, appId: APP_ID, openid: 'oInteractionUser000000001', msgId: '6200000000000000001', content: '手环可以戴着游泳吗？' });
    const response = await api().post(post.url).set('content-type', 'text/xml').send(post.body);
    expect(response.status).toBe(200);
    const recorded = await until('the WeChat turn', async () => (await interactions()).find((entry) => entry.channel === 'wechat'));
    expect(recorded).toMatchObject({ turn: 1, question: '手环可以戴着游泳吗？', lang: 'zh' });
    expect(recorded.sessionId).toMatch(/^wechat-[0-9a-f]{40}$/);
  });

  it('records an e-mail the worker drafted, under the email channel', async () => {
    const raw = await readFile('test/fixtures/email/en-multipart-qp.eml');
    const intake = await api().post('/v1/email').set('authorization', `Bearer ${adminKey}`).set('content-type', 'message/rfc822').send(raw);
    expect(intake.status).toBe(202);
    expect(intake.body.status).toBe('queued');
    const recorded = await until('the e-mail turn', async () => (await interactions()).find((entry) => entry.channel === 'email'), 60_000);
    // The thread is the conversation, named by a hash of its key (no Message-ID, which names a domain, in it).
    expect(recorded).toMatchObject({ turn: 1 });
    expect(recorded.sessionId).toMatch(/^email-[0-9a-f]{40}$/);
    expect(recorded.question.length).toBeGreaterThan(0);
  });

  it('lists every recorded conversation by channel, and counts them per day', async () => {
    const listed = await admin('/v1/admin/conversations');
    const channels = new Set(listed.body.conversations.map((conversation: { channel: string }) => conversation.channel));
    expect([...channels].sort()).toEqual(['api', 'email', 'wechat', 'widget']);
    expect((await admin('/v1/admin/conversations?channel=wechat')).body.conversations).toHaveLength(1);
    const outcomes = await admin('/v1/admin/analytics/outcomes');
    const today = outcomes.body.rows.at(-1);
    expect(today.questions).toBe((await interactions()).length);
    expect(today.handed_off).toBe(1);
    expect(today.thumbs_down).toBe(1);
  });
});
