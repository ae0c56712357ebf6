import request from 'supertest';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { CuratedAnswers, loadCuratedFiles } from '../../src/answer/curated.js';
import type { Config } from '../../src/config/config.js';
import { loadConfig } from '../../src/config/config.js';
import { hashKey } from '../../src/http/access.js';
import { createLogger } from '../../src/log.js';
import { buildService, type Service } from '../../src/service.js';
import { MemoryState } from '../../src/state/shared-state.js';
import { type AnswerStack, chatModelFor, startAnswerStack } from '../support/answer-stack.js';
import type { FakeVllmServer } from '../support/fake-vllm-server.js';
import { realEmbedders } from '../support/real-stack.js';
import { parseSse } from '../support/sse.js';
import { readFile } from 'node:fs/promises';

/**
 * What the customer-service design asks of every answer (issue 14), through /v1/ask with the real models,
 * real LanceDB and the vLLM test double: curated answers and their fallback role, asking for missing
 * details, prompt context and sampling settings, full-width punctuation in streamed Chinese, the
 * curated-answer admin API and the fine-tuning export.
 */
const widgetKey = 'kefu_pub_design0123456789abcdefghijkl';
const adminKey = 'kefu_admin_design0123456789abcdefghij';
const keys = JSON.stringify([
  { id: 'site', sha256: hashKey(widgetKey), scopes: ['widget'], origins: [] },
  { id: 'ops', sha256: hashKey(adminKey), scopes: ['admin'], origins: [] },
]);

let config: Config;
let llm: FakeVllmServer;
let generated: Service;
let extractive: Service;
let stack: AnswerStack | undefined;

beforeAll(async () => {
  // Its own log folder: the fine-tuning export reads the feedback log, which must hold this run's ratings alone.
  stack = await startAnswerStack('design', (dir) => ({ CALIBRATION_ENABLED: 'false', API_KEYS: keys, STATE_LOG_DIR: `${dir}/state`, LLM_TIMEOUT_MS: '2000', LLM_FIRST_TOKEN_TIMEOUT_MS: '1000' }));
  ({ config, llm, generated, extractive } = stack);
}, 240_000);

afterAll(async () => {
  await stack?.close();
});

beforeEach(() => {
  llm.mode = 'answer';
  llm.requests.length = 0;
});

const ask = (service: Service, body: Record<string, unknown>) => request(service.app).post('/v1/ask').set('x-api-key', widgetKey).set('content-type', 'application/json').send(body);
const admin = (service: Service) => ({
  get: (path: string) => request(service.app).get(path).set('x-api-key', adminKey),
  post: (path: string, body: unknown) => request(service.app).post(path).set('x-api-key', adminKey).set('content-type', 'application/json').send(body as object),
  patch: (path: string, body: unknown) => request(service.app).patch(path).set('x-api-key', adminKey).set('content-type', 'application/json').send(body as object),
  delete: (path: string) => request(service.app).delete(path).set('x-api-key', adminKey),
});

describe('curated answers', () => {
  it('matches held-out paraphrases of the curated questions and none of the near-misses (eval/curated-paraphrases.jsonl)', async () => {
    const curated = await new CuratedAnswers(new MemoryState(), await realEmbedders(), await loadCuratedFiles('knowledge/curated'), {
      similarity: { zh: config.CURATED_SIMILARITY_ZH, en: config.CURATED_SIMILARITY_EN },
      fallbackSimilarity: { zh: config.CURATED_FALLBACK_SIMILARITY_ZH, en: config.CURATED_FALLBACK_SIMILARITY_EN },
      refreshSeconds: 3600,
    }).start();
    curated.stop();
    const cases = (await readFile('eval/curated-paraphrases.jsonl', 'utf8')).split('\n').filter(Boolean).map((line) => JSON.parse(line) as { text: string; lang: 'zh' | 'en'; expected: string | null });
    let matched = 0;
    let paraphrases = 0;
    for (const item of cases) {
      const match = await curated.match(item.text, item.lang);
      if (item.expected === null) expect(match, item.text).toBeUndefined();
      else {
        paraphrases++;
        if (match) {
          expect(match.entry.id, item.text).toBe(item.expected);
          matched++;
        }
      }
    }
    // Measured: 16 of 20 at the default thresholds (npm run eval:curated); the rest go to retrieval.
    expect(matched / paraphrases).toBeGreaterThanOrEqual(0.75);
  });

  it('answers a curated question with its pinned answer, not with retrieval or the LLM, in both languages', async () => {
    for (const [question, id] of [
      ['人工客服电话是多少？', 'contact-human-zh'],
      ['How do I reach customer support?', 'contact-human-en'],
    ]) {
      const response = await ask(generated, { question });
      expect(response.status, question).toBe(200);
      expect(response.body, JSON.stringify({ mode: response.body.mode, answer: response.body.answer, curated: response.body.curated })).toMatchObject({ mode: 'curated', refused: false, curated: { id } });
      expect(response.body.answer).toMatch(/400-820-1234|\+1-800-555-0142/);
      expect(response.body.timings.retrieveMs).toBeUndefined();
    }
    expect(llm.requests).toHaveLength(0);
    expect((await ask(generated, { question: 'How do I contact the delivery driver?' })).body.mode).not.toBe('curated');
  });

  it('an answer cached before ops pin a curated answer to its question is not served after', async () => {
    const question = 'How long does the Pulse Band battery last?';
    expect((await ask(extractive, { question })).body).toMatchObject({ mode: 'extractive', cached: false });
    expect((await ask(extractive, { question })).body).toMatchObject({ mode: 'extractive', cached: true });
    const api = admin(extractive);
    const created = await api.post('/v1/admin/curated', { question, answer: 'About seven days on one charge.', lang: 'en' });
    expect(created.status).toBe(201);
    expect((await ask(extractive, { question })).body).toMatchObject({ mode: 'curated', answer: 'About seven days on one charge.', cached: false });
    expect((await api.delete(`/v1/admin/curated/${created.body.id}`)).status).toBe(204);
    expect((await ask(extractive, { question })).body).toMatchObject({ mode: 'extractive' });
  });

  it('is added, changed and deleted through the admin API; file entries are read-only there', async () => {
    const api = admin(generated);
    expect((await api.get('/v1/admin/curated')).body.curated.map((entry: { id: string }) => entry.id)).toContain('invoice-zh');
    const created = await api.post('/v1/admin/curated', { question: 'Do you ship to Canada?', answer: 'Yes, we ship to Canada in 5 to 8 business days.', lang: 'en', paraphrases: ['Can I order from Canada?'] });
    expect(created.status).toBe(201);
    expect(created.headers.location).toBe(`/v1/admin/curated/${created.body.id}`);
    expect((await ask(generated, { question: 'Can I order from Canada?' })).body).toMatchObject({ mode: 'curated', answer: 'Yes, we ship to Canada in 5 to 8 business days.' });
    const changed = await api.patch(`/v1/admin/curated/${created.body.id}`, { answer: 'Yes: 5 to 8 business days to Canada.' });
    expect(changed.body).toMatchObject({ answer: 'Yes: 5 to 8 business days to Canada.', updatedBy: 'ops' });
    expect((await ask(generated, { question: 'Do you ship to Canada?' })).body.answer).toBe('Yes: 5 to 8 business days to Canada.');
    expect((await api.post('/v1/admin/curated', { question: '', answer: 'x', lang: 'fr' })).status).toBe(400);
    expect((await api.patch('/v1/admin/curated/invoice-zh', { answer: 'x' })).status).toBe(409);
    expect((await api.delete('/v1/admin/curated/no-such-entry')).status).toBe(404);
    expect((await api.delete(`/v1/admin/curated/${created.body.id}`)).status).toBe(204);
    expect((await ask(generated, { question: 'Do you ship to Canada?' })).body.mode).not.toBe('curated');
    const audit = (await api.get('/v1/admin/audit')).body.audit.map((entry: { action: string }) => entry.action);
    expect(audit).toEqual(expect.arrayContaining(['curated.create', 'curated.update', 'curated.delete']));
  });

  it('is the first fallback when the LLM times out, before a quoted passage', async () => {
    // A service whose curated entries answer at once only when all but identical, so the question below
    // reaches retrieval and the LLM; it is close enough to be the fallback.
    const strict = await buildService(loadConfig({ ...process.env, DB_DIR: config.DB_DIR, STATE_LOG_DIR: `${config.STATE_LOG_DIR}-strict`, LOG_LEVEL: 'silent', API_KEYS: keys, CURATED_SIMILARITY_EN: '0.99', CURATED_FALLBACK_SIMILARITY_EN: '0.6', LLM_FIRST_TOKEN_TIMEOUT_MS: '800' }), createLogger('silent'), {
      embedders: await realEmbedders(),
      chatModel: chatModelFor(llm, 2000, 800),
    });
    try {
      const entry = await admin(strict).post('/v1/admin/curated', { question: 'Is the Pulse Band 3 waterproof?', answer: 'Yes: the Pulse Band 3 is rated 5 ATM, fine for swimming.', lang: 'en' });
      expect(entry.status).toBe(201);
      llm.mode = 'hang';
      const response = await ask(strict, { question: 'Can I swim with the Pulse Band 3?' });
      expect(llm.requests.length, JSON.stringify(response.body)).toBeGreaterThan(0);
      expect(response.body, JSON.stringify({ mode: response.body.mode, answer: response.body.answer, curated: response.body.curated })).toMatchObject({ mode: 'curated', answer: 'Yes: the Pulse Band 3 is rated 5 ATM, fine for swimming.', curated: { id: entry.body.id } });
      expect(response.body.notice).toMatch(/prepared answer/);
      // Without a close curated entry the quoted passage stays the fallback.
      const other = await ask(strict, { question: '手环可以戴着游泳吗？' });
      expect(other.body.mode).toBe('fallback');
      await admin(strict).delete(`/v1/admin/curated/${entry.body.id}`);
    } finally {
      await strict.close();
    }
  });
});

describe('asking for missing details', () => {
  it('asks for the order number when a customer asks where their order is, in extractive and generated mode, zh and en', async () => {
    for (const service of [extractive, generated]) {
      const zh = await ask(service, { question: '我的订单到哪了？怎么还没收到' });
      expect(zh.status).toBe(200);
      expect(zh.body.needs).toEqual({ intent: 'order_status', missing: ['order_number'] });
      expect(zh.body.answer).toContain('请提供：订单号。');
      expect(zh.body.refused).toBe(false);
      const en = await ask(service, { question: 'Where is my order? It has not arrived.' });
      expect(en.body.needs).toEqual({ intent: 'order_status', missing: ['order_number'] });
      expect(en.body.answer).toContain('please send us your order number');
    }
    const withNumber = await ask(extractive, { question: '我的订单 202611301234567 到哪了？' });
    expect(withNumber.body.needs).toBeUndefined();
  });

  it('asks for serial number and purchase date for a warranty claim, and keeps the answer the sources give', async () => {
    const response = await ask(extractive, { question: 'My Pulse Watch Pro is broken, I want to make a warranty claim' });
    expect(response.body.needs).toEqual({ intent: 'warranty_claim', missing: ['device_serial', 'purchase_date'] });
    expect(response.body.answer).toMatch(/device serial number and purchase date\.$/);
  });
});

describe('prompt context and output rules', () => {
  it('fills time zone, region, channel and length into the system prompt and sends the sampling settings', async () => {
    const response = await ask(generated, { question: '手环可以戴着游泳吗？', channel: 'widget', timeZone: 'Asia/Shanghai', region: 'CN' });
    expect(response.body.mode).toBe('generated');
    const sent = llm.requests[0];
    const system = sent.messages[0].content;
    expect(system).toContain('Asia/Shanghai');
    expect(system).toContain('中国（CN）');
    expect(system).toContain('网站在线客服窗口');
    expect(system).toContain('150 字');
    expect(system).toContain('B 健康穿戴');
    expect(sent).toMatchObject({ temperature: 0.3, top_p: 0.8, frequency_penalty: 0.3 });
    expect((await ask(generated, { question: 'Is it waterproof?', timeZone: 'Mars/Olympus' })).status).toBe(400);
    expect((await ask(generated, { question: 'Is it waterproof?', region: 'China' })).status).toBe(400);
  });

  it('normalises a Chinese answer to full-width punctuation as it streams, leaving URLs and numbers', async () => {
    llm.mode = 'ascii-punctuation';
    // A question not asked before in this file: a cached answer would not reach the model.
    const response = await ask(generated, { question: 'Pulse Band 3 能戴着洗澡吗？', stream: true }).buffer(true).parse((res, done) => {
      let text = '';
      res.on('data', (chunk: Buffer) => (text += chunk.toString()));
      res.on('end', () => done(null, text));
    });
    const events = parseSse(response.body as string);
    const streamed = events.filter((event) => event.event === 'token').map((event) => event.data.text).join('');
    const done = events.at(-1)!.data;
    expect(done.mode).toBe('generated');
    expect(streamed).toBe(done.answer);
    expect(done.answer).toContain('https://help.lumora.example/a?b=1，');
    expect(done.answer).toContain('版本2.5。');
    expect(done.answer).not.toMatch(/[\u4e00-\u9fff][.,]/u);
  });
});

describe('feedback as training data', () => {
  it('exports rated answers as chat fine-tuning JSON Lines, PII masked, filtered by rating and date', async () => {
    const first = await ask(extractive, { question: '手环可以戴着游泳吗？', sessionId: 'design-session-1' });
    const second = await ask(extractive, { question: '那充电要多久？我的电话是13812345678', sessionId: 'design-session-1' });
    for (const [answer, rating] of [
      [first, 'up'],
      [second, 'down'],
    ] as const) {
      const feedback = await request(extractive.app).post('/v1/feedback').set('x-api-key', widgetKey).set('content-type', 'application/json').send({ answerId: answer.body.answerId, rating, comment: rating === 'down' ? 'call me at 13812345678' : undefined });
      expect(feedback.status).toBe(201);
    }
    const exported = await admin(extractive).get('/v1/admin/export/finetune?rating=down');
    expect(exported.status).toBe(200);
    expect(exported.headers['content-type']).toMatch(/application\/x-ndjson/);
    const lines = exported.text.trim().split('\n').map((line) => JSON.parse(line));
    expect(lines).toHaveLength(1);
    const [example] = lines;
    expect(example.rating).toBe('down');
    expect(example.messages.map((message: { role: string }) => message.role)).toEqual(['user', 'assistant', 'user', 'assistant']);
    expect(example.messages[0].content).toBe('手环可以戴着游泳吗？');
    expect(exported.text).not.toContain('13812345678');
    expect(example.metadata).toMatchObject({ mode: second.body.mode, lang: 'zh', channel: 'api' });
    const all = (await admin(extractive).get('/v1/admin/export/finetune')).text.trim().split('\n');
    expect(all.length).toBeGreaterThanOrEqual(2);
    const future = await admin(extractive).get(`/v1/admin/export/finetune?since=${encodeURIComponent(new Date(Date.now() + 60_000).toISOString())}`);
    expect(future.text).toBe('');
    expect((await admin(extractive).get('/v1/admin/export/finetune?rating=meh')).status).toBe(400);
  });
});
