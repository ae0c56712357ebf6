import express, { type Express, type RequestHandler } from 'express';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { Conversations } from '../../src/chat/conversation.js';
import { SessionStore, type Turn } from '../../src/chat/session-store.js';
import type { ProductLineClassifier } from '../../src/classify/product-lines.js';
import { AccessControl, hashKey, publicOrigins } from '../../src/http/access.js';
import { conversationRoutes } from '../../src/http/conversation-routes.js';
import { errorHandler } from '../../src/http/error-handler.js';
import { rateLimit } from '../../src/http/rate-limit.js';
import { createLogger } from '../../src/log.js';
import { MemoryState } from '../../src/state/shared-state.js';

/**
 * What one caller of the public endpoints may do to another's data and budget: sessions belong to the key that
 * started them, a conversation is rated once, the admin has a rate-limit bucket of its own, and a key's allowed
 * origins cannot be side-stepped with a Host header (DNS rebinding). The real route and guard code on a small app.
 */
const keyA = 'kefu_pub_siteA0123456789abcdefghijklmn';
const keyB = 'kefu_pub_siteB0123456789abcdefghijklmn';
const adminKey = 'kefu_admin_0123456789abcdefghijklmnop';
const keys = new AccessControl([
  { id: 'site-a', sha256: hashKey(keyA), scopes: ['widget'], origins: ['https://shop.example'] },
  { id: 'site-b', sha256: hashKey(keyB), scopes: ['widget'], origins: ['*'] },
  { id: 'ops', sha256: hashKey(adminKey), scopes: ['admin'], origins: [] },
]);

function app(build: (app: Express) => void): Express {
  const instance = express();
  build(instance);
  instance.use(errorHandler(createLogger('silent')));
  return instance;
}

const turn = (answerId: string): Turn => ({
  answerId,
  question: 'How long does the battery last?',
  answer: 'Seven days [1].',
  lang: 'en',
  productLine: 'B',
  mode: 'generated',
  citations: [],
  at: new Date().toISOString(),
});

function conversationApp() {
  const state = new MemoryState();
  const sessions = new SessionStore(state, 10, 3600);
  const conversations = new Conversations(sessions, state, {} as ProductLineClassifier);
  const guards: RequestHandler[] = [keys.require('widget'), express.json()];
  return { sessions, conversations, state, app: app((instance) => instance.use(conversationRoutes({ sessions, conversations, guards, classifier: {} as ProductLineClassifier }))) };
}

describe('sessions belong to the key that started them', () => {
  it('another widget key can neither read, delete, rate nor continue a session whose id it knows: 404, as if there were none', async () => {
    const { app: server, sessions, conversations } = conversationApp();
    await sessions.append('session-of-a-1', turn('a1'), 'site-a');
    const as = (key: string) => ({ 'x-api-key': key });
    expect((await request(server).get('/v1/sessions/session-of-a-1').set(as(keyA))).body.turns).toHaveLength(1);
    const read = await request(server).get('/v1/sessions/session-of-a-1').set(as(keyB));
    expect(read.status).toBe(404);
    expect(read.body.error.code).toBe('session_not_found');
    expect(JSON.stringify(read.body)).not.toContain('battery');
    expect((await request(server).delete('/v1/sessions/session-of-a-1').set(as(keyB))).status).toBe(404);
    expect((await request(server).post('/v1/sessions/session-of-a-1/rating').set(as(keyB)).send({ stars: 1 })).status).toBe(404);
    // Asking in it would put A's conversation into B's answer.
    await expect(conversations.prepare({ question: 'and the charger?', sessionId: 'session-of-a-1', owner: 'site-b' })).rejects.toMatchObject({ kind: 'not_found', code: 'session_not_found' });
    // The owner still has it all.
    expect((await request(server).get('/v1/sessions/session-of-a-1').set(as(keyA))).body.turns).toHaveLength(1);
    expect((await request(server).delete('/v1/sessions/session-of-a-1').set(as(keyA))).status).toBe(204);
  });

  it('rates a conversation once; a session that never existed is 404', async () => {
    const { app: server, sessions, state } = conversationApp();
    await sessions.append('session-rated-1', turn('r1'), 'site-a');
    const rate = (id: string, stars: number) => request(server).post(`/v1/sessions/${id}/rating`).set('x-api-key', keyA).send({ stars });
    expect((await rate('session-rated-1', 5)).status).toBe(201);
    for (const stars of [1, 1, 1, 1]) {
      const again = await rate('session-rated-1', stars);
      expect(again.status).toBe(409);
      expect(again.body.error.code).toBe('already_rated');
    }
    const invented = await rate('never-existed-123', 1);
    expect(invented.status).toBe(404);
    expect((await state.readLog('conversation_ratings', 100)).map((entry) => entry.entry.stars)).toEqual([5]);
  });
});

describe('admin calls have a rate-limit bucket of their own', () => {
  it('a burst of anonymous and wrong-scope calls from the same address does not lock the admin out; wrong keys stay limited', async () => {
    const limiter = rateLimit(new MemoryState(), { ipPerMinute: 1, ipBurst: 5, keyPerMinute: 1, keyBurst: 5, keyCeilingPerMinute: 1, keyCeilingBurst: 5 });
    const server = app((instance) => {
      instance.get(
        '/v1/admin/stats',
        limiter.admin((req) => keys.identify(req)),
        keys.require('admin'),
        (_req, res) => void res.json({ ok: true }),
      );
      instance.get('/v1/ask', limiter.perIp, keys.require('widget'), (_req, res) => void res.json({ ok: true }));
    });
    // The office NAT: public traffic, wrong keys and a widget key on an admin route use up the address's bucket.
    const statuses: number[] = [];
    for (let index = 0; index < 4; index++) statuses.push((await request(server).get('/v1/ask')).status);
    statuses.push((await request(server).get('/v1/admin/stats').set('x-api-key', 'kefu_wrong_0123456789abcdefghijklmnopq')).status);
    statuses.push((await request(server).get('/v1/admin/stats').set('x-api-key', keyA)).status);
    statuses.push((await request(server).get('/v1/admin/stats')).status);
    expect(statuses).toEqual([401, 401, 401, 401, 401, 429, 429]);
    // The admin, from the same address, is not the one who pays.
    const adminCalls = await Promise.all([0, 1, 2].map(() => request(server).get('/v1/admin/stats').set('x-api-key', adminKey)));
    expect(adminCalls.map((response) => response.status)).toEqual([200, 200, 200]);
  });
});

describe("a key's allowed origins", () => {
  const guarded = (access: AccessControl) => app((instance) => instance.get('/v1/ask', access.require('widget'), (_req, res) => void res.json({ ok: true })));

  it('cannot be side-stepped by a Host header that matches the Origin (DNS rebinding)', async () => {
    for (const access of [keys, new AccessControl([...keys.keys], publicOrigins('https://support.example.com'))]) {
      const response = await request(guarded(access)).get('/v1/ask').set('x-api-key', keyA).set('host', 'evil.example').set('origin', 'https://evil.example');
      expect(response.status).toBe(403);
      expect(response.body.error.code).toBe('origin_not_allowed');
    }
  });

  it("lets this service's own pages through: the origins of PUBLIC_URL, else a loopback origin on a loopback host", async () => {
    const published = new AccessControl([...keys.keys], publicOrigins('https://support.example.com/kefu, http://10.0.0.5:3000'));
    for (const origin of ['https://support.example.com', 'http://10.0.0.5:3000'])
      expect((await request(guarded(published)).get('/v1/ask').set('x-api-key', keyA).set('host', 'internal:3000').set('origin', origin)).status).toBe(200);
    expect((await request(guarded(published)).get('/v1/ask').set('x-api-key', keyA).set('origin', 'http://support.example.com')).status).toBe(403);
    expect((await request(guarded(keys)).get('/v1/ask').set('x-api-key', keyA).set('host', '127.0.0.1:3000').set('origin', 'http://127.0.0.1:3000')).status).toBe(200);
    expect((await request(guarded(keys)).get('/v1/ask').set('x-api-key', keyA).set('host', 'localhost:3000').set('origin', 'http://localhost:3000')).status).toBe(200);
    // The key's own origin list still applies.
    expect((await request(guarded(keys)).get('/v1/ask').set('x-api-key', keyA).set('origin', 'https://shop.example')).status).toBe(200);
  });
});
