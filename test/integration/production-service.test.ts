import type { ResilientState } from '../../src/state/resilient-state.js';
import { readdir } from 'node:fs/promises';
import { type ChildProcess, spawn } from 'node:child_process';
import { cp, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OpenAiChatModel } from '../../src/answer/chat-model.js';
import type { Config } from '../../src/config/config.js';
import { loadConfig } from '../../src/config/config.js';
import { hashKey } from '../../src/http/access.js';
import { ingestKnowledgeBase } from '../../src/ingest-knowledge-base.js';
import { createLogger } from '../../src/log.js';
import { buildService, type Service } from '../../src/service.js';
import { FakeVllmServer } from '../support/fake-vllm-server.js';
import { type OwnRedis, startOwnRedis } from '../support/own-redis.js';
import { ingestSampleKnowledge, realEmbedders, tempDir, configToEnv } from '../support/real-stack.js';

// Real Redis at 127.0.0.1:6379 (.ci/run starts it). Each run uses its own key prefix.
const REDIS_URL = 'redis://127.0.0.1:6379';
const prefix = `kefu-test-${process.pid}-${Date.now()}:`;
const services: Service[] = [];
/** The fault tests' own Redis servers, killed at the end also when a test failed half-way. */
const redises: OwnRedis[] = [];
let base: Config;
let knowledgeCopy: string;
let cleanup: () => Promise<void>;

async function instance(overrides: Record<string, string> = {}, extra: Parameters<typeof buildService>[2] = {}, logs?: NodeJS.WritableStream) {
  const config = loadConfig({ ...configToEnv(base), REDIS_URL, REDIS_KEY_PREFIX: prefix, RATE_LIMIT_IP_BURST: '100000', ...overrides });
  const service = await buildService(config, createLogger(logs ? 'info' : 'silent', logs), { embedders: await realEmbedders(), chatModel: null, ...extra });
  services.push(service);
  return service;
}

const ask = (service: Service, body: Record<string, unknown>, headers: Record<string, string> = {}) =>
  request(service.app).post('/v1/ask').set({ 'content-type': 'application/json', ...headers }).send(body);
const sessionId = () => `s-${Math.random().toString(36).slice(2, 12)}`;

beforeAll(async () => {
  const temp = await tempDir('prod');
  cleanup = temp.remove;
  knowledgeCopy = path.join(temp.dir, 'knowledge');
  await cp('knowledge', knowledgeCopy, { recursive: true });
  base = await ingestSampleKnowledge(path.join(temp.dir, 'db'), { KNOWLEDGE_DIR: knowledgeCopy, STATE_LOG_DIR: path.join(temp.dir, 'logs') });
});

afterAll(async () => {
  for (const redis of redises) await redis.kill();
  for (const service of services) await service.close();
  await cleanup?.();
});

describe('two API processes sharing one Redis behave as one service', () => {
  it('share sessions: a turn asked on one instance is history on the other; delete clears both', async () => {
    const [a, b] = [await instance(), await instance()];
    const id = sessionId();
    const first = await ask(a, { question: 'Pulse Band 3 手环续航多久？', sessionId: id });
    expect(first.body.productLine).toBe('B');
    const history = await request(b.app).get(`/v1/sessions/${id}`);
    expect(history.body.turns).toHaveLength(1);
    expect(history.body.turns[0]).toMatchObject({ question: 'Pulse Band 3 手环续航多久？', answerId: first.body.answerId, productLine: 'B' });
    // The follow-up names no product: the session's line and key terms carry it.
    const followUp = await ask(b, { question: '那它可以戴着游泳吗？', sessionId: id });
    expect(followUp.body.productLine).toBe('B');
    expect(followUp.body.refused).toBe(false);
    expect(followUp.body.sources[0].docId).toMatch(/faq-b-022|pulse-band-3/);
    expect((await request(a.app).get(`/v1/sessions/${id}`)).body.turns).toHaveLength(2);
    expect((await request(a.app).delete(`/v1/sessions/${id}`)).status).toBe(204);
    expect((await request(b.app).get(`/v1/sessions/${id}`)).body.turns).toEqual([]);
  });

  it('resolve English follow-ups against the conversation', async () => {
    const service = await instance();
    const id = sessionId();
    const first = await ask(service, { question: 'Which phones work with Drive Link?', sessionId: id });
    expect(first.body.productLine).toBe('C');
    const followUp = await ask(service, { question: 'does it also work with Android?', sessionId: id });
    expect(followUp.body.productLine).toBe('C');
    expect(followUp.body.sources.some((source: { docId: string }) => /faq-c-002|drive-link/.test(source.docId))).toBe(true);
    const warranty = await ask(service, { question: 'How long is the warranty on the Pulse Watch Pro?', sessionId: id });
    expect(warranty.body.refused).toBe(false);
    const returns = await ask(service, { question: 'what about the return window?', sessionId: id });
    expect(returns.body.sources.some((source: { docId: string }) => /faq-g-005|returns/.test(source.docId))).toBe(true);
  });

  it('share rate limits: the bucket empties across both instances and answers 429 with Retry-After', async () => {
    const limits = { RATE_LIMIT_IP_BURST: '5', RATE_LIMIT_IP_PER_MINUTE: '1', REDIS_KEY_PREFIX: `${prefix}rl-${Date.now()}:` };
    const [a, b] = [await instance(limits), await instance(limits)];
    const id = sessionId();
    const statuses = [];
    // History loads have their own buckets, three times the question burst: 15 pass, whichever instance takes them.
    for (let index = 0; index < 15; index++) statuses.push((await request((index % 2 ? b : a).app).get(`/v1/sessions/${id}`)).status);
    expect(statuses).toEqual(Array(15).fill(200));
    const limited = await request(b.app).get(`/v1/sessions/${id}`);
    expect(limited.status).toBe(429);
    expect(Number(limited.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(limited.body.error.code).toBe('rate_limited');
    expect((await request(a.app).get(`/v1/sessions/${id}`)).status).toBe(429);
    expect((await request(a.app).get('/metrics')).text).toMatch(/kefu_rate_limited_total\{limit="ip"\} [1-9]/);
    // Issue 12, defect 16: page views that load history leave the question budget of the same address intact.
    expect((await request(a.app).post('/v1/ask').set('content-type', 'application/json').send({ question: '手环可以戴着游泳吗？' })).status).toBe(200);
  });

  it('share the answer cache, and a new knowledge version makes old entries unreachable', async () => {
    const [a, b] = [await instance(), await instance()];
    const question = 'How many devices can the Hub H1 connect?';
    const first = await ask(a, { question });
    expect(first.body).toMatchObject({ cached: false, mode: 'extractive' });
    const second = await ask(b, { question: '  how many devices can the HUB H1 connect ' });
    expect(second.body).toMatchObject({ cached: true, answer: first.body.answer });
    expect(second.body.answerId).not.toBe(first.body.answerId);
    expect((await request(b.app).get('/metrics')).text).toMatch(/kefu_answer_cache_total\{result="hit"\} 1/);

    await writeFile(path.join(knowledgeCopy, 'smart-home/new-note.md'), '# Hub note\nThe Hub H1 firmware 2.0 adds Matter support.');
    // A new version is what clears the cache; the regression gate has its own tests (regression-gate.test.ts).
    await ingestKnowledgeBase({ ...base, REGRESSION_GATE: false }, await realEmbedders());
    const afterIngest = await ask(a, { question });
    expect(afterIngest.body.cached).toBe(false);
  });

  it('never caches refusals', async () => {
    const service = await instance();
    await ask(service, { question: 'How do I cook pasta al dente?' });
    const again = await ask(service, { question: 'How do I cook pasta al dente?' });
    expect(again.body).toMatchObject({ refused: true, cached: false });
  });
});

describe('two separate server processes on one Redis', () => {
  it('continue each other’s sessions, share one rate limit and one answer cache', async () => {
    const processPrefix = `${prefix}proc-${Date.now()}:`;
    const children: ChildProcess[] = [];
    const bases: string[] = [];
    for (const port of [3950 + (process.pid % 20), 3975 + (process.pid % 20)]) {
      const env = { ...process.env, ...configToEnv(base), REDIS_URL, REDIS_KEY_PREFIX: processPrefix, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'silent', RATE_LIMIT_IP_BURST: '8', RATE_LIMIT_IP_PER_MINUTE: '1' };
      children.push(spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], { env, stdio: 'ignore' }));
      bases.push(`http://127.0.0.1:${port}`);
    }
    try {
      for (const url of bases) await expect.poll(() => fetch(`${url}/readyz`).then((response) => response.status, () => 0), { timeout: 60_000, interval: 200 }).toBe(200);
      const [a, b] = bases;
      const post = (url: string, body: unknown) => fetch(`${url}/v1/ask`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      const id = sessionId();
      const first = await (await post(a, { question: 'Drive Link 支持哪些手机？', sessionId: id })).json();
      expect(first.productLine).toBe('C');
      const followUp = await (await post(b, { question: '那它支持安卓吗？', sessionId: id })).json();
      expect(followUp.productLine).toBe('C');
      const turns = (await (await fetch(`${a}/v1/sessions/${id}`)).json()).turns;
      expect(turns.map((turn: { question: string }) => turn.question)).toEqual(['Drive Link 支持哪些手机？', '那它支持安卓吗？']);
      const cached = await (await post(b, { question: 'Drive Link 支持哪些手机？' })).json();
      expect(cached.cached).toBe(true);
      // 3 questions so far against a shared burst of 8: 5 more pass, whichever process takes them, then 429.
      const statuses: number[] = [];
      for (const url of [a, b, a, b, a, b]) statuses.push((await post(url, { question: 'Drive Link 支持哪些手机？' })).status);
      expect(statuses).toEqual([200, 200, 200, 200, 200, 429]);
      // History has a budget of its own.
      expect((await fetch(`${a}/v1/sessions/${id}`)).status).toBe(200);
    } finally {
      for (const child of children) child.kill('SIGTERM');
      await Promise.all(children.map((child) => new Promise((resolve) => (child.exitCode !== null ? resolve(null) : child.once('exit', resolve)))));
    }
  });
});

describe('access control', () => {
  const widgetKey = 'kefu_widget_0123456789abcdefghijklmnop';
  const adminKey = 'kefu_admin_zyxwvutsrqponmlkjihgfedcba98';
  let service: Service;
  const logs = new PassThrough();
  let logText = '';
  logs.on('data', (chunk) => (logText += chunk.toString()));

  beforeAll(async () => {
    const keys = [
      { id: 'shop-widget', sha256: hashKey(widgetKey), scopes: ['widget'], origins: ['https://shop.example'] },
      { id: 'ops', sha256: hashKey(adminKey), scopes: ['admin'], origins: [] },
    ];
    service = await instance({ API_KEYS: JSON.stringify(keys) }, {}, logs);
  });

  it('rejects a missing or wrong key with 401 JSON', async () => {
    expect((await ask(service, { question: 'hi there' })).body.error.code).toBe('missing_api_key');
    const wrong = await ask(service, { question: 'hi there' }, { 'x-api-key': 'nope' });
    expect(wrong.status).toBe(401);
    expect(wrong.body.error.code).toBe('invalid_api_key');
  });

  it('checks the key before reading the body: bad JSON or an oversized body without a key is 401, not 400 or 413', async () => {
    const badJson = await request(service.app).post('/v1/ask').set('content-type', 'application/json').send('{"question": ');
    expect(badJson.status).toBe(401);
    const huge = await request(service.app).post('/v1/ask').set('content-type', 'application/json').send(JSON.stringify({ question: 'x'.repeat(300_000) }));
    expect(huge.status).toBe(401);
    const withKey = await request(service.app).post('/v1/ask').set({ 'content-type': 'application/json', 'x-api-key': widgetKey }).send('{"question": ');
    expect(withKey.status).toBe(400);
  });

  it('rate-limits wrong keys by client IP', async () => {
    const limited = await instance({ API_KEYS: JSON.stringify([{ id: 'k', sha256: hashKey(widgetKey), scopes: ['widget'], origins: [] }]), RATE_LIMIT_IP_BURST: '5', RATE_LIMIT_IP_PER_MINUTE: '1', REDIS_KEY_PREFIX: `${prefix}wrong-keys:`, REDIS_COMMAND_TIMEOUT_MS: '5000' });
    const statuses: number[] = [];
    for (let attempt = 0; attempt < 8; attempt++) statuses.push((await ask(limited, { question: 'hi there' }, { 'x-api-key': `wrong-${attempt}` })).status);
    expect(statuses.slice(0, 5)).toEqual([401, 401, 401, 401, 401]);
    expect(statuses.slice(5)).toEqual([429, 429, 429]);
  });

  it('limits a shared widget key per visitor, so one visitor cannot exhaust it for everyone; X-Forwarded-For counts only from a trusted proxy', async () => {
    const keys = JSON.stringify([{ id: 'public-widget', sha256: hashKey(widgetKey), scopes: ['widget'], origins: [] }]);
    const limits = { API_KEYS: keys, RATE_LIMIT_KEY_BURST: '2', RATE_LIMIT_KEY_PER_MINUTE: '1', TRUST_PROXY: 'loopback', REDIS_KEY_PREFIX: `${prefix}per-visitor:`, REDIS_COMMAND_TIMEOUT_MS: '5000' };
    // A slow Redis on a loaded machine would degrade to per-process buckets (with fresh tokens): not what this test is about.
    const proxied = await instance(limits);
    const from = (client: string) => ask(proxied, { question: 'hi there' }, { 'x-api-key': widgetKey, 'x-forwarded-for': client });
    expect([(await from('203.0.113.1')).status, (await from('203.0.113.1')).status, (await from('203.0.113.1')).status]).toEqual([200, 200, 429]);
    expect((await from('203.0.113.2')).status).toBe(200);
    // Without a trusted proxy (the default) the header is ignored: every request is the same client.
    const direct = await instance({ ...limits, TRUST_PROXY: '', REDIS_KEY_PREFIX: `${prefix}direct:` });
    const fromDirect = (client: string) => ask(direct, { question: 'hi there' }, { 'x-api-key': widgetKey, 'x-forwarded-for': client });
    expect([(await fromDirect('garbage-1')).status, (await fromDirect('garbage-2')).status, (await fromDirect('garbage-3')).status]).toEqual([200, 200, 429]);
  });

  it('keeps metric labels bounded: paths an outsider invents are not route labels', async () => {
    for (let index = 0; index < 50; index++) await request(service.app).get(`/v1/admin/probe-${index}`);
    const metrics = (await request(service.app).get('/metrics')).text;
    expect(metrics).not.toMatch(/probe-\d+/);
    expect(metrics).toMatch(/kefu_http_requests_total\{route="unmatched",method="GET",status="401"\} \d+/);
  });

  it('lets the widget key ask from its allowed origin, with CORS headers, and refuses other origins', async () => {
    const allowed = await ask(service, { question: 'Can I swim with the Pulse Band 3?' }, { 'x-api-key': widgetKey, origin: 'https://shop.example' });
    expect(allowed.status).toBe(200);
    expect(allowed.headers['access-control-allow-origin']).toBe('https://shop.example');
    const bearer = await ask(service, { question: 'Can I swim with the Pulse Band 3?' }, { authorization: `Bearer ${widgetKey}` });
    expect(bearer.status).toBe(200);
    const otherOrigin = await ask(service, { question: 'hi there' }, { 'x-api-key': widgetKey, origin: 'https://evil.example' });
    expect(otherOrigin.status).toBe(403);
    expect(otherOrigin.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('answers CORS preflights by origin', async () => {
    const ok = await request(service.app).options('/v1/ask').set({ origin: 'https://shop.example', 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type,x-api-key' });
    expect(ok.status).toBe(204);
    expect(ok.headers['access-control-allow-headers']).toMatch(/X-Api-Key/);
    const denied = await request(service.app).options('/v1/ask').set({ origin: 'https://evil.example', 'access-control-request-method': 'POST' });
    expect(denied.status).toBe(403);
  });

  it('keeps admin endpoints for admin keys', async () => {
    expect((await request(service.app).get('/v1/admin/versions').set('x-api-key', widgetKey)).status).toBe(403);
    const versions = await request(service.app).get('/v1/admin/versions').set('x-api-key', adminKey);
    expect(versions.status).toBe(200);
    expect(versions.body.current).toBeGreaterThan(0);
  });

  it('never writes a key into the logs', () => {
    expect(logText.length).toBeGreaterThan(0);
    expect(logText).not.toContain(widgetKey);
    expect(logText).not.toContain(adminKey);
  });

  it('with no keys configured: public endpoints open, admin endpoints disabled', async () => {
    const open = await instance();
    expect((await ask(open, { question: 'Can I swim with the Pulse Band 3?' })).status).toBe(200);
    const admin = await request(open.app).get('/v1/admin/versions');
    expect(admin.status).toBe(403);
    expect(admin.body.error.code).toBe('admin_disabled');
  });

  it('records feedback on an answer and exports it, with refusals as unanswered questions', async () => {
    const answer = await ask(service, { question: 'Can I swim with the Pulse Band 3?' }, { 'x-api-key': widgetKey });
    const feedback = await request(service.app).post('/v1/feedback').set('x-api-key', widgetKey).send({ answerId: answer.body.answerId, rating: 'down', comment: 'Too short' });
    expect(feedback.status).toBe(201);
    const unknown = await request(service.app).post('/v1/feedback').set('x-api-key', widgetKey).send({ answerId: '00000000-0000-4000-8000-000000000000', rating: 'up' });
    expect(unknown.status).toBe(404);
    expect((await request(service.app).post('/v1/feedback').set('x-api-key', widgetKey).send({ answerId: 'x', rating: 'meh' })).status).toBe(400);
    await ask(service, { question: '红烧肉怎么做才好吃' }, { 'x-api-key': widgetKey });

    const exported = await request(service.app).get('/v1/admin/feedback?rating=down').set('x-api-key', adminKey);
    expect(exported.body.feedback.at(-1)).toMatchObject({ answerId: answer.body.answerId, rating: 'down', comment: 'Too short', question: 'Can I swim with the Pulse Band 3?' });
    const unanswered = await request(service.app).get('/v1/admin/unanswered').set('x-api-key', adminKey);
    expect(unanswered.body.unanswered.at(-1)).toMatchObject({ question: '红烧肉怎么做才好吃', refused: true, lang: 'zh' });
  });

  it('re-ingests through the admin API as a job and counts the run', async () => {
    const response = await request(service.app).post('/v1/admin/ingest').set('x-api-key', adminKey);
    expect(response.status).toBe(202);
    await service.jobs.settled();
    const job = (await request(service.app).get(`/v1/admin/jobs/${response.body.job.id}`).set('x-api-key', adminKey)).body;
    expect(job.state).toBe('succeeded');
    expect(job.summary.documents.failed).toBe(0);
    // No server paths in API responses.
    expect(job.summary.db).not.toMatch(/\//);
    expect(job.summary.source).not.toMatch(/\//);
    expect((await request(service.app).get('/metrics')).text).toMatch(/kefu_ingestion_runs_total\{result="success"\} 1/);
  });

  it('refuses a rollback to a version that does not exist (404) or to the empty table (409) unless forced', async () => {
    const rollback = (body: Record<string, unknown>) => request(service.app).post('/v1/admin/rollback').set('x-api-key', adminKey).send(body);
    const missing = await rollback({ version: 99_999 });
    expect(missing.status).toBe(404);
    expect(missing.body.error.code).toBe('version_not_found');
    const before = await service.store.version();
    const empty = await rollback({ version: 1 });
    expect(empty.status).toBe(409);
    expect(empty.body.error.code).toBe('empty_version');
    expect(await service.store.version()).toBe(before);
    expect((await request(service.app).get('/readyz')).status).toBe(200);
  });
});

describe('API keys without restarts', () => {
  it('a key created through the admin API works on every replica within seconds; revoked, every replica refuses it', async () => {
    const adminKey = 'kefu_admin_keys_test_0123456789abcdefgh';
    const settings = { API_KEYS: JSON.stringify([{ id: 'ops', sha256: hashKey(adminKey), scopes: ['admin'], origins: [] }]), API_KEYS_REFRESH_SECONDS: '0.2', REDIS_KEY_PREFIX: `${prefix}keys:`, RATE_LIMIT_KEY_BURST: '1000' };
    const [a, b] = [await instance(settings), await instance(settings)];
    const created = await request(a.app).post('/v1/admin/keys').set('x-api-key', adminKey).send({ id: 'shop-widget', scopes: ['widget'], origins: ['https://shop.example'] });
    expect(created.status).toBe(201);
    expect(created.body.key).toMatch(/^kefu_pub_/);
    const widgetKey = created.body.key as string;
    await expect.poll(async () => (await ask(b, { question: 'Can I swim with the Pulse Band 3?' }, { 'x-api-key': widgetKey })).status, { timeout: 5000, interval: 100 }).toBe(200);
    expect((await request(b.app).post('/v1/admin/keys').set('x-api-key', adminKey).send({ id: 'shop-widget', scopes: ['widget'], origins: [] })).status).toBe(409);
    expect((await request(b.app).post('/v1/admin/keys').set('x-api-key', adminKey).send({ id: 'bad id!', scopes: ['root'] })).status).toBe(400);
    // Only the hash is stored.
    const listed = (await request(b.app).get('/v1/admin/keys').set('x-api-key', adminKey)).body.keys;
    expect(listed).toEqual(expect.arrayContaining([expect.objectContaining({ id: 'shop-widget', source: 'admin-api' }), expect.objectContaining({ id: 'ops', source: 'settings' })]));
    expect(JSON.stringify(listed)).not.toContain(widgetKey);

    expect((await request(b.app).delete('/v1/admin/keys/shop-widget').set('x-api-key', adminKey)).status).toBe(204);
    await expect.poll(async () => (await ask(a, { question: 'Can I swim with the Pulse Band 3?' }, { 'x-api-key': widgetKey })).status, { timeout: 5000, interval: 100 }).toBe(401);
    expect((await request(a.app).delete('/v1/admin/keys/nobody').set('x-api-key', adminKey)).status).toBe(404);
    const audit = (await request(a.app).get('/v1/admin/audit').set('x-api-key', adminKey)).body.audit.map((entry: { action: string; key: string }) => `${entry.action} ${entry.key}`);
    expect(audit).toEqual(expect.arrayContaining(['key.create shop-widget', 'key.revoke shop-widget']));
  });
});

describe('metrics', () => {
  it('exposes requests, stage latencies, outcomes, cache, knowledge version and Redis health', async () => {
    const service = await instance();
    await ask(service, { question: 'What does a solid orange light on the Hub H1 mean?' });
    await ask(service, { question: 'Who won the football world cup in 2022?' });
    const text = (await request(service.app).get('/metrics')).text;
    expect(text).toMatch(/kefu_http_requests_total\{route="\/v1\/ask",method="POST",status="200"\} 2/);
    for (const stage of ['classify', 'embed', 'retrieve', 'total']) expect(text).toMatch(new RegExp(`kefu_answer_stage_duration_seconds_count\\{stage="${stage}"\\} [1-9]`));
    expect(text).toMatch(/kefu_answers_total\{mode="extractive",product_line="A"\} 1/);
    // Bounded labels: a rule-defined line, general, or unknown (the classifier could not tell).
    expect(text).toMatch(/kefu_refusals_total\{product_line="unknown"\} 1/);
    expect(text).toMatch(/kefu_knowledge_version [1-9]/);
    expect(text).toMatch(/^kefu_shared_state_up 1$/m);
  });
});

describe('faults', () => {
  it('keeps answering when Redis goes away (degraded, warned, counted) and recovers when it returns', async () => {
    const redis = await startOwnRedis();
    redises.push(redis);
    const logs = new PassThrough();
    let logText = '';
    logs.on('data', (chunk) => (logText += chunk.toString()));
    const service = await instance({ REDIS_URL: redis.url, REDIS_COMMAND_TIMEOUT_MS: '300' }, {}, logs);
    await expect.poll(async () => (await request(service.app).get('/readyz')).status, { timeout: 10_000 }).toBe(200);
    const id = sessionId();
    expect((await ask(service, { question: 'Can I swim with the Pulse Band 3?', sessionId: id })).status).toBe(200);

    await redis.kill();
    const degraded = await ask(service, { question: 'How long does the Pulse Band 3 battery last?', sessionId: id });
    expect(degraded.status).toBe(200);
    expect(degraded.body.answer).toMatch(/14 days/);
    expect((await request(service.app).get('/readyz')).status).toBe(503);
    const metrics = (await request(service.app).get('/metrics')).text;
    expect(metrics).toMatch(/^kefu_shared_state_up 0$/m);
    expect(metrics).toMatch(/kefu_shared_state_errors_total\{operation="[a-z_]+"\} [1-9]/);
    expect(logText).toMatch(/degrading to this process/);

    await redis.restart();
    await expect.poll(async () => (await ask(service, { question: 'Can I swim with the Pulse Band 3?' })).status, { timeout: 15_000 }).toBe(200);
    await expect.poll(async () => {
      await request(service.app).get(`/v1/sessions/${id}`);
      // Anchored: the metric's HELP line also contains "kefu_shared_state_up 1".
      return /^kefu_shared_state_up 1$/m.test((await request(service.app).get('/metrics')).text);
    }, { timeout: 15_000, interval: 300 }).toBe(true);
    expect(logText).toMatch(/shared state is back/);
    await redis.kill();
  });

  it('loses no feedback or unanswered question in a Redis outage: spooled to disk, replayed exactly once on recovery', async () => {
    const redis = await startOwnRedis();
    redises.push(redis);
    const spoolDir = await tempDir('spool');
    const service = await instance({ REDIS_URL: redis.url, REDIS_COMMAND_TIMEOUT_MS: '300', STATE_LOG_DIR: spoolDir.dir });
    await expect.poll(async () => (await request(service.app).get('/readyz')).status, { timeout: 10_000 }).toBe(200);
    const before = await ask(service, { question: 'Can I swim with the Pulse Band 3?' });
    expect(before.status).toBe(200);

    await redis.kill();
    const feedback = await request(service.app).post('/v1/feedback').send({ answerId: before.body.answerId, rating: 'down', comment: 'during the outage' });
    expect(feedback.status).toBe(201);
    expect((await ask(service, { question: 'Who won the football world cup in 2018?' })).body.refused).toBe(true);
    const spooled = (await readdir(path.join(spoolDir.dir, 'spool'))).filter((name) => name.startsWith('spool-'));
    expect(spooled).toHaveLength(1);

    await redis.restart();
    const logged = async (name: 'feedback' | 'unanswered') => (await service.state.readLog(name, 100).catch(() => [])).map(({ entry }) => entry);
    await expect.poll(async () => {
      await ask(service, { question: 'Can I swim with the Pulse Band 3?' });
      return (await logged('feedback')).length;
    }, { timeout: 15_000, interval: 300 }).toBe(1);
    expect((await logged('feedback'))[0]).toMatchObject({ answerId: before.body.answerId, comment: 'during the outage', answerRecordUnavailable: true });
    expect((await logged('unanswered')).map((entry) => entry.question)).toContain('Who won the football world cup in 2018?');
    // Once the recovery replay is over, another replay (after a crash mid-replay, by another replica) adds nothing.
    await (service.state as ResilientState).replaySpool();
    expect(await (service.state as ResilientState).replaySpool()).toBe(0);
    expect(await logged('feedback')).toHaveLength(1);
    await redis.kill();
    await spoolDir.remove();
  });

  it('falls back to quoted answers when the LLM server dies mid-run', async () => {
    const llm = await new FakeVllmServer().start();
    const chatModel = new OpenAiChatModel({ baseURL: llm.baseURL, apiKey: 'x', model: 'Qwen/Qwen3-4B-Instruct-2507', timeoutMs: 2000, firstTokenTimeoutMs: 1000 });
    const service = await instance({}, { chatModel });
    expect((await ask(service, { question: '停车监控需要什么配件？' })).body.mode).toBe('generated');
    await llm.stop();
    const after = await ask(service, { question: '行车记录仪用多大的存储卡？' });
    expect(after.body.mode, JSON.stringify(after.body)).toBe('fallback');
    expect(after.body.answer).toMatch(/\[1\]/);
    expect((await request(service.app).get('/metrics')).text).toMatch(/kefu_llm_fallbacks_total\{reason="connection",product_line="C"\} 1/);
  });
});
