import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { Redis } from 'ioredis';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, type Config } from '../../src/config/config.js';
import { createLogger } from '../../src/log.js';
import { buildService, type Service } from '../../src/service.js';
import { RedisState } from '../../src/state/redis-state.js';
import { ingestSampleKnowledge, realEmbedders, tempDir, configToEnv } from '../support/real-stack.js';

// Real Redis at 127.0.0.1:6379 (.ci/run starts it); what the stores hold is read back raw.
const REDIS_URL = 'redis://127.0.0.1:6379';
const prefix = `kefu-pii-${process.pid}-${Date.now()}:`;
const secrets = ['li.wei@example.cn', '13800138000', 'LM20231101884', '4111 1111 1111 1111', '110101199003071234', '+1 415 555 0142'];
let base: Config;
let temp: { dir: string; remove: () => Promise<void> };
const services: Service[] = [];


async function talk(service: Service) {
  const sessionId = `pii-${Math.random().toString(36).slice(2, 12)}`;
  // Refused (an unanswered-question record), answered (an answer record), both in a session.
  // An off-topic question, so it is refused ("my order has not shipped" would be answered from the shipping FAQ).
  const refused = await request(service.app).post('/v1/ask').send({ question: `手机 13800138000，邮箱 li.wei@example.cn，订单 LM20231101884：今天上海天气怎么样？`, sessionId });
  expect(refused.body.refused).toBe(true);
  const answered = await request(service.app).post('/v1/ask').send({ question: 'Can I swim with the Pulse Band 3? My card 4111 1111 1111 1111 was charged, call +1 415 555 0142', sessionId });
  expect(answered.status).toBe(200);
  const feedback = await request(service.app).post('/v1/feedback').send({ answerId: answered.body.answerId, rating: 'down', comment: 'ID 110101199003071234, email li.wei@example.cn' });
  expect(feedback.status).toBe(201);
  return { sessionId, answerId: answered.body.answerId as string };
}

beforeAll(async () => {
  temp = await tempDir('pii');
  base = await ingestSampleKnowledge(path.join(temp.dir, 'db'), { STATE_LOG_DIR: path.join(temp.dir, 'logs') });
});

afterAll(async () => {
  for (const service of services) await service.close();
  await temp?.remove();
});

describe('personal data is masked before anything is stored', () => {
  it('in Redis: sessions, answer records, unanswered questions, feedback; and in the logs', async () => {
    const logs = new PassThrough();
    let logText = '';
    logs.on('data', (chunk) => (logText += chunk.toString()));
    const service = await buildService(loadConfig({ ...configToEnv(base), REDIS_URL, REDIS_KEY_PREFIX: prefix }), createLogger('debug', logs), { embedders: await realEmbedders(), chatModel: null });
    services.push(service);
    const { sessionId } = await talk(service);
    // Everything under this run's prefix, read raw whatever its type.
    const redis = new Redis(REDIS_URL);
    const dump: string[] = [];
    for (const key of await redis.keys(`${prefix}*`)) {
      const type = await redis.type(key);
      if (type === 'string') dump.push((await redis.get(key)) ?? '');
      else if (type === 'list') dump.push(...(await redis.lrange(key, 0, -1)));
      else if (type === 'stream') dump.push(...(await redis.xrange(key, '-', '+')).flatMap(([, fields]) => fields));
      else if (type === 'hash') dump.push(JSON.stringify(await redis.hgetall(key)));
    }
    const stored = dump.join('\n');
    expect(stored).toContain('[order]');
    expect(stored).toContain('[email]');
    expect(stored).toContain('Pulse Band 3');
    for (const secret of secrets) {
      expect(stored, secret).not.toContain(secret);
      expect(logText, secret).not.toContain(secret);
    }
    const history = await request(service.app).get(`/v1/sessions/${sessionId}`);
    expect(history.body.turns[0].question).toBe('手机 [phone]，邮箱 [email]，订单 [order]：今天上海天气怎么样？');
    const unanswered = (await request(service.app).get('/v1/admin/unanswered')).status;
    expect(unanswered).toBe(403);
    redis.disconnect();
  });

  it('in the single-process files (STATE_LOG_DIR)', async () => {
    const service = await buildService(loadConfig({ ...configToEnv(base), STATE_LOG_DIR: path.join(temp.dir, 'files') }), createLogger('silent'), { embedders: await realEmbedders(), chatModel: null });
    services.push(service);
    await talk(service);
    const files = await readdir(path.join(temp.dir, 'files'));
    expect(files).toEqual(expect.arrayContaining(['feedback.jsonl', 'unanswered.jsonl']));
    const text = (await Promise.all(files.filter((name) => name.endsWith('.jsonl')).map((name) => readFile(path.join(temp.dir, 'files', name), 'utf8')))).join('\n');
    expect(text).toContain('[phone]');
    for (const secret of secrets) expect(text, secret).not.toContain(secret);
  });
});

describe('retention', () => {
  it('every log stream has a TTL and hides entries past its retention', async () => {
    const state = RedisState.connect(REDIS_URL, { prefix: `${prefix}retention:`, logRetention: { unanswered: 1 } });
    await state.ready(5000);
    await state.appendLog('unanswered', { question: 'old' }, 1000);
    await new Promise((resolve) => setTimeout(resolve, 1100));
    await state.appendLog('unanswered', { question: 'new' }, 1000);
    expect((await state.readLog('unanswered', 10)).map(({ entry }) => entry.question)).toEqual(['new']);
    await state.appendLog('feedback', { rating: 'up' }, 1000);
    const redis = new Redis(REDIS_URL);
    expect(await redis.ttl(`${prefix}retention:unanswered`)).toBeGreaterThan(0);
    expect(await redis.ttl(`${prefix}retention:unanswered`)).toBeLessThanOrEqual(1);
    // Logs without their own setting keep 90 days.
    expect(await redis.ttl(`${prefix}retention:feedback`)).toBeGreaterThan(89 * 86_400);
    redis.disconnect();
    await state.close();
  });
});
