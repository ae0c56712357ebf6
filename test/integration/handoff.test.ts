import { createServer, type Server } from 'node:http';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import { hashKey } from '../../src/http/access.js';
import { createLogger } from '../../src/log.js';
import { buildService, type Service } from '../../src/service.js';
import { configToEnv, ingestSampleKnowledge, realEmbedders, tempDir } from '../support/real-stack.js';
import { until } from '../support/until.js';
import { listenLocal } from '../support/listen.js';

/** POST /v1/handoff: validated, kept complete for the support team and masked for analytics, posted to a helpdesk webhook with retries. */
const widgetKey = 'kefu_pub_handoff0123456789abcdefghijk';
const adminKey = 'kefu_admin_handoff0123456789abcdefghi';
let service: Service;
let webhook: Server;
const received: { attempt: number; body: string }[] = [];
let failFirst = 0;
let cleanup: () => Promise<void>;

beforeAll(async () => {
  const temp = await tempDir('handoff');
  cleanup = temp.remove;
  webhook = createServer((incoming, response) => {
    let body = '';
    incoming.on('data', (chunk) => (body += chunk));
    incoming.on('end', () => {
      received.push({ attempt: received.length + 1, body });
      // The helpdesk is down for the first deliveries: the service retries.
      if (failFirst > 0) {
        failFirst--;
        return void response.writeHead(503).end();
      }
      response.writeHead(200).end('{}');
    });
  });
  const webhookBase = (await listenLocal(webhook)).base;
  const base = await ingestSampleKnowledge(temp.dir, { CALIBRATION_ENABLED: 'false', STATE_LOG_DIR: `${temp.dir}/state` });
  service = await buildService(
    loadConfig({
      ...configToEnv(base),
      API_KEYS: JSON.stringify([
        { id: 'site', sha256: hashKey(widgetKey), scopes: ['widget'], origins: [] },
        { id: 'ops', sha256: hashKey(adminKey), scopes: ['admin'], origins: [] },
      ]),
      HANDOFF_WEBHOOK_URL: `${webhookBase}/hook`,
      HANDOFF_WEBHOOK_ATTEMPTS: '3',
    }),
    createLogger('silent'),
    { embedders: await realEmbedders(), chatModel: null },
  );
}, 240_000);

afterAll(async () => {
  webhook?.close();
  await service?.close();
  await cleanup?.();
});

const handoff = (body: Record<string, unknown>) => request(service.app).post('/v1/handoff').set('x-api-key', widgetKey).set('content-type', 'application/json').send(body);
const valid = { name: 'Li Lei', email: 'lilei@example.cn', question: '我的手环坏了，请打电话到 13812345678 联系我', consent: true, lang: 'zh', productLine: 'B' };

describe('requests for a person', () => {
  it('keeps the request complete for the support team and masked for analytics, and delivers it to the webhook after retries', async () => {
    failFirst = 2;
    const created = await handoff(valid);
    expect(created.status).toBe(201);
    const id = created.body.id as string;
    const support = await request(service.app).get('/v1/admin/handoffs').set('x-api-key', adminKey);
    expect(support.body.handoffs.find((entry: { id: string }) => entry.id === id)).toMatchObject({ name: 'Li Lei', email: 'lilei@example.cn', question: valid.question, consent: true });
    const analytics = await request(service.app).get('/v1/admin/handoffs?view=analytics').set('x-api-key', adminKey);
    const masked = analytics.body.handoffs.find((entry: { id: string }) => entry.id === id);
    expect(masked.productLine).toBe('B');
    expect(JSON.stringify(masked)).not.toMatch(/13812345678|lilei@example\.cn|Li Lei/);
    // Two 503s, then delivered on the third attempt.
    await until('the webhook delivery', async () => (received.length >= 3 ? true : undefined), 15_000);
    expect(JSON.parse(received[2]!.body).handoff).toMatchObject({ id, email: 'lilei@example.cn' });
    const metrics = await request(service.app).get('/metrics');
    expect(metrics.text).toMatch(/kefu_handoff_webhook_total\{result="delivered"\} 1/);
    expect(metrics.text).toMatch(/kefu_handoffs_total 1/);
  });

  it('refuses a request without consent, with a bad e-mail or without a key, and hides the list from non-admins', async () => {
    expect((await handoff({ ...valid, consent: false })).body.error.details[0].path).toBe('consent');
    expect((await handoff({ ...valid, email: 'nope' })).status).toBe(400);
    expect((await handoff({ ...valid, extra: 1 })).status).toBe(400);
    // A product line that does not exist is not stored for the support team's filters and the analytics.
    for (const productLine of ['Z', '<img src=x>', '__proto__'])
      expect((await handoff({ ...valid, productLine })).body.error).toMatchObject({ code: 'bad_request', message: expect.stringContaining('Unknown productLine') });
    expect((await handoff({ ...valid, productLine: 'unknown' })).status).toBe(201);
    expect((await request(service.app).post('/v1/handoff').set('content-type', 'application/json').send(valid)).status).toBe(401);
    expect((await request(service.app).get('/v1/admin/handoffs').set('x-api-key', widgetKey)).status).toBe(403);
  });
});

describe('suggested questions and conversation ratings', () => {
  it('serves the suggestions of a product line per language, the general ones without a line, and 400 for an unknown line', async () => {
    const get = (query: string) => request(service.app).get(`/v1/suggestions?${query}`).set('x-api-key', widgetKey);
    expect((await get('lang=zh&productLine=B')).body).toMatchObject({ productLine: 'B', suggestions: expect.arrayContaining(['手环可以戴着游泳吗？']) });
    expect((await get('lang=en')).body).toMatchObject({ productLine: 'general', suggestions: expect.arrayContaining(['What is your return policy?']) });
    expect((await get('lang=en&productLine=Z')).status).toBe(400);
  });

  it('records a 1–5 star rating of a conversation with its size and lines, PII masked, listed with the average for admins', async () => {
    const sessionId = `rating-${Date.now()}`;
    await request(service.app).post('/v1/ask').set('x-api-key', widgetKey).set('content-type', 'application/json').send({ question: 'Can I swim with the Pulse Band 3?', sessionId });
    const rate = (body: Record<string, unknown>) => request(service.app).post(`/v1/sessions/${sessionId}/rating`).set('x-api-key', widgetKey).set('content-type', 'application/json').send(body);
    expect((await rate({ stars: 5, comment: 'great, call me on 13812345678' })).status).toBe(201);
    expect((await rate({ stars: 6 })).status).toBe(400);
    // One rating per conversation, and only of one that exists.
    expect((await rate({ stars: 1 })).status).toBe(409);
    expect((await request(service.app).post(`/v1/sessions/never-${sessionId}/rating`).set('x-api-key', widgetKey).set('content-type', 'application/json').send({ stars: 1 })).status).toBe(404);
    const listed = await request(service.app).get('/v1/admin/ratings').set('x-api-key', adminKey);
    const entry = listed.body.ratings.find((rating: { sessionId: string }) => rating.sessionId === sessionId);
    expect(entry).toMatchObject({ stars: 5, turns: 1, productLines: ['B'], langs: ['en'] });
    expect(entry.comment).not.toContain('13812345678');
    expect(listed.body.averageStars).toBe(5);
  });
});
