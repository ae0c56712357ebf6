/**
 * The three outcomes through the HTTP API: confident → answer; clearly unsupported → refusal with the handoff; in
 * between, the middle band: suggestions without a model (`mode: "suggest"`), the model's verdict with one (the vLLM
 * test double returns a decline or an answer, as the request's JSON schema allows). The band is forced with
 * REFUSAL_THRESHOLD / ANSWER_THRESHOLD where the mechanism is under test, and left to calibration where the
 * behaviour customers see is (follow-ups, the README's examples).
 */
import request from 'supertest';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { OpenAiChatModel } from '../../src/answer/chat-model.js';
import type { Config } from '../../src/config/config.js';
import { createLogger } from '../../src/log.js';
import { buildService, type Service } from '../../src/service.js';
import { FakeVllmServer } from '../support/fake-vllm-server.js';
import { ingestSampleKnowledge, realEmbedders, tempDir } from '../support/real-stack.js';
import { parseSse } from '../support/sse.js';
import { hashKey } from '../../src/http/access.js';

let config: Config;
let llm: FakeVllmServer;
let suggesting: Service;
let judging: Service;
let confident: Service;
let calibrated: Service;
let cleanup: () => Promise<void>;

/** Everything on topic falls in the middle band: the refusal cut near 0, the confident cut near 1. */
const middle = { REFUSAL_THRESHOLD_ZH: 0.02, REFUSAL_THRESHOLD_EN: 0.02, ANSWER_THRESHOLD_ZH: 0.999, ANSWER_THRESHOLD_EN: 0.999 };

beforeAll(async () => {
  const temp = await tempDir('middle-band');
  cleanup = temp.remove;
  config = await ingestSampleKnowledge(temp.dir, { ANSWER_CACHE: 'false', LLM_TIMEOUT_MS: '3000', LLM_FIRST_TOKEN_TIMEOUT_MS: '2000', STATE_LOG_DIR: `${temp.dir}/state` });
  llm = await new FakeVllmServer().start();
  const embedders = await realEmbedders();
  const logger = createLogger('silent');
  const chatModel = new OpenAiChatModel({ baseURL: llm.baseURL, apiKey: 'test', model: config.LLM_MODEL, timeoutMs: 3000, firstTokenTimeoutMs: 2000 });
  suggesting = await buildService({ ...config, ...middle }, logger, { embedders, chatModel: null });
  judging = await buildService({ ...config, ...middle }, logger, { embedders, chatModel });
  confident = await buildService({ ...config, REFUSAL_THRESHOLD_ZH: 0.02, REFUSAL_THRESHOLD_EN: 0.02, ANSWER_THRESHOLD_ZH: 0.02, ANSWER_THRESHOLD_EN: 0.02 }, logger, { embedders, chatModel: null });
  calibrated = await buildService(config, logger, { embedders, chatModel: null });
});

afterAll(async () => {
  await llm?.stop();
  for (const service of [suggesting, judging, confident, calibrated]) await service?.close();
  await cleanup?.();
});

beforeEach(() => {
  llm.mode = 'answer';
  llm.verdict = 'answer';
  llm.requests.length = 0;
});

const ask = (service: Service, body: Record<string, unknown>) => request(service.app).post('/v1/ask').set('content-type', 'application/json').send(body);
const askStream = (service: Service, body: Record<string, unknown>) =>
  ask(service, { ...body, stream: true })
    .buffer(true)
    .parse((res, done) => {
      let text = '';
      res.on('data', (chunk: Buffer) => (text += chunk.toString()));
      res.on('end', () => done(null, text));
    });

describe('the middle band without a model: suggestions', () => {
  it('answers with the best matching FAQ questions to pick and the handoff contact, never a quote (JSON)', async () => {
    const response = await ask(suggesting, { question: 'Can I swim with the Pulse Band 3?' });
    expect(response.status).toBe(200);
    const body = response.body;
    expect(body).toMatchObject({ mode: 'suggest', refused: false, notice: null, citations: [] });
    expect(body.suggestions.length).toBeGreaterThanOrEqual(2);
    expect(body.suggestions.length).toBeLessThanOrEqual(3);
    // The swimming FAQ entry's own question is among them, and every suggestion is in the answer text.
    expect(body.suggestions.map((suggestion: { text: string }) => suggestion.text).join('\n')).toMatch(/swim/i);
    for (const suggestion of body.suggestions) {
      expect(suggestion).toMatchObject({ text: expect.any(String), docId: expect.any(String), kind: expect.stringMatching(/faq|passage/) });
      expect(body.answer).toContain(suggestion.text);
    }
    expect(body.answer).toContain(config.HANDOFF_CONTACT_EN);
    expect(body.answer).not.toMatch(/\[\d\]/);
    expect(body.threshold).toBe(0.02);
    expect(body.answerThreshold).toBe(0.999);
  });

  it('sends the same in the SSE done event', async () => {
    const response = await askStream(suggesting, { question: '手环可以戴着游泳吗？' });
    const events = parseSse(response.body as string);
    const done = events.at(-1)!.data;
    expect(events.at(-1)!.event).toBe('done');
    expect(done).toMatchObject({ mode: 'suggest', refused: false });
    expect(done.suggestions[0].text).toMatch(/[\u4e00-\u9fff]/);
    expect(
      events
        .filter((event) => event.event === 'token')
        .map((event) => event.data.text)
        .join(''),
    ).toBe(done.answer);
    expect(done.answer).toContain(config.HANDOFF_CONTACT_ZH);
  });

  it('gives the suggestions through the OpenAI-compatible endpoint, in the text and the kefu field', async () => {
    const response = await request(suggesting.app)
      .post('/v1/chat/completions')
      .set('content-type', 'application/json')
      .send({ model: 'kefu', messages: [{ role: 'user', content: 'Can I swim with the Pulse Band 3?' }] });
    expect(response.status).toBe(200);
    const { content } = response.body.choices[0].message;
    expect(response.body.kefu).toMatchObject({ mode: 'suggest', refused: false });
    for (const suggestion of response.body.kefu.suggestions) expect(content).toContain(suggestion.text);
  });

  it('asking a suggestion gets its answer once the band allows it', async () => {
    const suggested = (await ask(suggesting, { question: 'Can I swim with the Pulse Band 3?' })).body.suggestions[0];
    const picked = await ask(confident, { question: suggested.text });
    expect(picked.body.mode).toBe('extractive');
    expect(picked.body.citations[0].docId).toBe(suggested.docId);
  });
});

describe('the middle band with a model: its verdict', () => {
  it('a decline verdict is a refusal with the handoff offer, counted', async () => {
    llm.verdict = 'decline';
    const response = await ask(judging, { question: 'Can I swim with the Pulse Band 3?' });
    expect(response.body).toMatchObject({ mode: 'refusal', refused: true, verdict: 'decline', citations: [] });
    expect(response.body.answer).toContain(config.HANDOFF_CONTACT_EN);
    // Structured output: one non-streamed call with the verdict's JSON schema, the sources and the instruction.
    expect(llm.requests).toHaveLength(1);
    const sent = llm.requests[0];
    expect(sent.stream).toBe(false);
    expect(sent.response_format?.type).toBe('json_schema');
    expect(sent.response_format?.json_schema?.schema.properties?.verdict?.enum).toEqual(['answer', 'decline']);
    expect(sent.messages.at(-1)!.content).toMatch(/<source n="1"/);
    expect(sent.messages.at(-1)!.content).toMatch(/set verdict to "decline"/);
    const metrics = await judging.metrics.registry.getSingleMetricAsString('kefu_answer_verdicts_total');
    expect(metrics).toMatch(/kefu_answer_verdicts_total\{verdict="decline",product_line="B"\} 1/);
  });

  it('an answer verdict is a generated answer with verified citations (SSE)', async () => {
    const response = await askStream(judging, { question: '手环可以戴着游泳吗？' });
    const done = parseSse(response.body as string).at(-1)!.data;
    expect(done).toMatchObject({ mode: 'generated', refused: false, verdict: 'answer' });
    expect(done.answer).toMatch(/^根据资料，可以这样处理。.+\[1\]/);
    expect(done.citations[0].n).toBe(1);
    const metrics = await judging.metrics.registry.getSingleMetricAsString('kefu_answer_verdicts_total');
    expect(metrics).toMatch(/verdict="answer"/);
  });

  it('no verdict to read (a server without guided decoding) falls back to suggestions', async () => {
    llm.verdict = 'prose';
    const response = await ask(judging, { question: 'Can I swim with the Pulse Band 3?' });
    expect(response.body.mode).toBe('suggest');
    expect(response.body.suggestions.length).toBeGreaterThan(0);
  });

  it('a confident question is not judged: it streams as before', async () => {
    const service = await buildService({ ...config, REFUSAL_THRESHOLD_EN: 0.02, ANSWER_THRESHOLD_EN: 0.02 }, createLogger('silent'), {
      embedders: await realEmbedders(),
      chatModel: new OpenAiChatModel({ baseURL: llm.baseURL, apiKey: 'test', model: config.LLM_MODEL, timeoutMs: 3000, firstTokenTimeoutMs: 2000 }),
    });
    try {
      const response = await ask(service, { question: 'Can I swim with the Pulse Band 3?' });
      expect(response.body.mode).toBe('generated');
      expect(response.body.verdict).toBeUndefined();
      expect(llm.requests[0].stream).toBe(true);
      expect(llm.requests[0].response_format).toBeUndefined();
    } finally {
      await service.close();
    }
  });
});

describe('with the band calibrated on the sample knowledge base', () => {
  it('the admin API shows the calibrated band and the trade-off curve', async () => {
    const key = 'kefu_admin_middle_band_test_key';
    const admin = await buildService({ ...config, API_KEYS: JSON.stringify([{ id: 'ops', sha256: hashKey(key), scopes: ['admin'], origins: [] }]) }, createLogger('silent'), {
      embedders: await realEmbedders(),
      chatModel: null,
    });
    try {
      const response = await request(admin.app).get('/v1/admin/calibration').set('x-api-key', key);
      expect(response.status).toBe(200);
      for (const lang of ['zh', 'en']) {
        const entry = response.body.calibration.languages[lang];
        expect(entry.answerThreshold).toBeGreaterThanOrEqual(entry.threshold);
        expect(entry.inDomainNegatives).toBe(80);
        expect(entry.curve).toHaveLength(18);
      }
    } finally {
      await admin.close();
    }
  });

  it('a follow-up that finds nothing new ("它多少钱？", no price in the knowledge base) never repeats the previous answer', async () => {
    const sessionId = `price-${Date.now()}`;
    const first = await ask(calibrated, { question: '手环可以戴着游泳吗？', sessionId });
    expect(first.body.refused).toBe(false);
    const followUp = await ask(calibrated, { question: '它多少钱？', sessionId });
    expect(followUp.body.answer).not.toBe(first.body.answer);
    expect(['suggest', 'refusal']).toContain(followUp.body.mode);
  });

  it('an answerable follow-up is still answered from its conversation', async () => {
    const sessionId = `charge-${Date.now()}`;
    await ask(confident, { question: 'Can I swim with the Pulse Band 3?', sessionId });
    const followUp = await ask(confident, { question: 'How long does it take to charge?', sessionId });
    expect(followUp.body.mode).toBe('extractive');
  });

  it('quotes the battery sentence for the README’s parking-mode question', async () => {
    const response = await ask(confident, { question: 'Does parking mode drain my car battery?' });
    expect(response.body.mode).toBe('extractive');
    expect(response.body.answer).toMatch(/battery falls below 11\.8 V/);
  });

  it('the issue’s off-topic questions get no confident quote', async () => {
    for (const question of ['你们的手环可以用来炒股吗？', 'Can I pay with PayPal?']) {
      const response = await ask(calibrated, { question });
      expect(['suggest', 'refusal'], question).toContain(response.body.mode);
    }
  });
});
