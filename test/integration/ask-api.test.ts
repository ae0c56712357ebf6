import { request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { OpenAiChatModel } from '../../src/answer/chat-model.js';
import type { Config } from '../../src/config/config.js';
import { createLogger } from '../../src/log.js';
import { buildService, type Service } from '../../src/service.js';
import { type AnswerStack, chatModelFor, startAnswerStack } from '../support/answer-stack.js';
import type { FakeVllmServer } from '../support/fake-vllm-server.js';
import { realEmbedders, } from '../support/real-stack.js';
import { parseSse } from '../support/sse.js';
import { listenLocal } from '../support/listen.js';

let config: Config;
let llm: FakeVllmServer;
let generated: Service;
let extractive: Service;
let stack: AnswerStack | undefined;

beforeAll(async () => {
  stack = await startAnswerStack('ask', { LLM_TIMEOUT_MS: '2000', LLM_FIRST_TOKEN_TIMEOUT_MS: '1500' });
  ({ config, llm, generated, extractive } = stack);
});

afterAll(async () => {
  await stack?.close();
});

beforeEach(() => {
  llm.mode = 'answer';
  llm.requests.length = 0;
});

const ask = (service: Service, body: Record<string, unknown>) => request(service.app).post('/v1/ask').set('content-type', 'application/json').send(body);

describe('grounded answers', () => {
  it('streams meta, tokens and done with citations that map to the sources given to the model (zh)', async () => {
    const response = await ask(generated, { question: '手环可以戴着游泳吗？', stream: true }).buffer(true).parse((res, done) => {
      let text = '';
      res.on('data', (chunk: Buffer) => (text += chunk.toString()));
      res.on('end', () => done(null, text));
    });
    expect(response.status).toBe(200);
    expect(response.headers['content-type']).toMatch(/text\/event-stream/);
    const events = parseSse(response.body as string);
    expect(events[0].event).toBe('meta');
    expect(events.at(-1)!.event).toBe('done');
    const meta = events[0].data;
    const done = events.at(-1)!.data;
    expect(meta).toMatchObject({ lang: 'zh', productLine: 'B', productLineName: '健康穿戴' });
    expect(meta.sources[0]).toMatchObject({ n: 1, docId: 'faq-b-022' });
    const tokens = events.filter((event) => event.event === 'token').map((event) => event.data.text);
    expect(tokens.length).toBeGreaterThan(3);
    expect(tokens.join('')).toMatch(/^根据资料，可以这样处理。.+\[1\].+\[2\]$/);
    expect(done).toMatchObject({ mode: 'generated', refused: false, answer: tokens.join('') });
    expect(done.citations.map((citation: { n: number }) => citation.n)).toEqual([1, 2]);
    expect(done.citations[0].docId).toBe(meta.sources[0].docId);
    expect(done.timings.llmFirstTokenMs).toBeGreaterThan(0);
    expect(done.usage).toEqual({ promptTokens: 1234, completionTokens: tokens.length });

    // The prompt the model saw: rules, product-line rules, numbered sources, the question, in Chinese.
    const [sent] = llm.requests;
    expect(sent.model).toBe('Qwen/Qwen3-4B-Instruct-2507');
    expect(sent.messages[0].role).toBe('system');
    expect(sent.messages[0].content).toMatch(/只依据下面编号的资料回答/);
    expect(sent.messages[0].content).toMatch(/全角标点/);
    expect(sent.messages[0].content).toMatch(/不得承诺退款/);
    expect(sent.messages[0].content).toMatch(/产品线分类规则/);
    expect(sent.messages.at(-1)!.content).toMatch(/<source n="1" title="手环可以戴着游泳吗？/);
    expect(sent.messages.at(-1)!.content).toMatch(/顾客的问题：\n<question>\n手环可以戴着游泳吗？\n<\/question>$/);
  });

  it('answers in one JSON body without streaming (en), with an English system prompt', async () => {
    const response = await ask(generated, { question: 'Does the Drive Cam D1 need a special memory card?' });
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ lang: 'en', productLine: 'C', mode: 'generated', refused: false });
    expect(response.body.sources.some((source: { docId: string }) => source.docId === 'faq-c-006')).toBe(true);
    expect(response.body.citations.length).toBeGreaterThan(0);
    expect(llm.requests[0].messages[0].content).toMatch(/Answer only from the numbered sources/);
  });

  it('replaces an answer that cites nothing with a quoted, cited extractive answer', async () => {
    llm.mode = 'no-citation';
    const response = await ask(generated, { question: 'How long does the Pulse Band 3 battery last?' });
    expect(response.body).toMatchObject({ mode: 'extractive', replacedUngrounded: true });
    expect(response.body.answer).toMatch(/14 days.*\[1\]/);
    expect(response.body.citations).toHaveLength(1);
  });

  it('drops citations of sources that were never given, and replaces the answer when none remain', async () => {
    llm.mode = 'bad-citation';
    const response = await ask(generated, { question: 'How long does the Pulse Band 3 battery last?' });
    expect(response.body.answer).not.toContain('[9]');
    expect(response.body.replacedUngrounded).toBe(true);
  });
});

describe('refusal', () => {
  it.each([
    ['How do I cook pasta al dente?', 'en', /Sorry, I couldn't find/],
    ['红烧肉怎么做才好吃', 'zh', /抱歉/],
  ])('refuses "%s" in its language with the human contact, without calling the model', async (question, lang, message) => {
    const response = await ask(generated, { question });
    expect(response.body).toMatchObject({ refused: true, mode: 'refusal', lang, citations: [] });
    expect(response.body.answer).toMatch(message);
    expect(response.body.answer).toContain(lang === 'zh' ? config.HANDOFF_CONTACT_ZH : config.HANDOFF_CONTACT_EN);
    expect(response.body.confidence).toBeLessThan(response.body.threshold);
    expect(llm.requests).toHaveLength(0);
  });
});

describe('falling back when the model fails', () => {
  it.each([
    ['error-500' as const, 'a 500'],
    ['hang' as const, 'a hang past the timeout'],
    ['drop' as const, 'a dropped connection mid-stream'],
  ])('answers from the knowledge base after %s (%s)', async (mode, _description) => {
    llm.mode = mode;
    const response = await ask(generated, { question: '停车监控需要什么配件？' });
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ mode: 'fallback', refused: false });
    expect(response.body.notice).toMatch(/生成回答暂时不可用/);
    expect(response.body.answer).toMatch(/HK-2.*\[1\]/s);
    expect(response.body.citations).toHaveLength(1);
    // The SDK retries a 500 once; a hang is not retried past the first-token timeout of the attempt.
    if (mode === 'error-500') expect(llm.requests).toHaveLength(2);
  });

  it('does not pass off an answer cut off by the timeout mid-stream as complete', async () => {
    llm.mode = 'slow';
    llm.tokenDelayMs = 20; // 400 ms per token: the first arrives, the 300 ms limit after it fires before the second
    const chatModel = chatModelFor(llm, 300, 5000);
    const service = await buildService(config, createLogger('silent'), { embedders: await realEmbedders(), chatModel });
    const response = await ask(service, { question: '停车监控要接什么配件？' });
    expect(response.body.mode).toBe('fallback');
    expect(response.body.answer).toMatch(/HK-2/);
    llm.tokenDelayMs = 2;
    await service.close();
  });

  it('answers when the model server is not there at all', async () => {
    const unreachable = new OpenAiChatModel({ baseURL: 'http://127.0.0.1:9/v1', apiKey: 'x', model: 'm', timeoutMs: 1000, firstTokenTimeoutMs: 1000 });
    const service = await buildService(config, createLogger('silent'), { embedders: await realEmbedders(), chatModel: unreachable });
    const response = await ask(service, { question: 'Can I swim with the Pulse Band 3?' });
    expect(response.body.mode).toBe('fallback');
    expect(response.body.answer).toMatch(/5 ATM/);
    await service.close();
  });
});

describe('extractive mode (no LLM configured)', () => {
  it('answers from the best FAQ entry, cited, and says so', async () => {
    const response = await ask(extractive, { question: 'Can I take the band into the pool?' });
    expect(response.body).toMatchObject({ mode: 'extractive', refused: false, productLine: 'B' });
    expect(response.body.notice).toMatch(/quoted directly/);
    expect(response.body.answer).toMatch(/5 ATM.*\[1\]/);
    expect(response.body.citations[0].docId).toBe('faq-b-002');
  });
  it('restricts retrieval to a product line the caller states', async () => {
    const response = await ask(extractive, { question: 'How do I reset it?', productLine: 'C' });
    expect(response.body.productLine).toBe('C');
    expect(response.body.sources.every((source: { productLine: string }) => ['C', 'general'].includes(source.productLine))).toBe(true);
  });
});

describe('request timeout', () => {
  it('answers 504 with a JSON error when a non-streamed answer takes too long, and cancels the model', async () => {
    llm.mode = 'slow';
    llm.tokenDelayMs = 40;
    const slowConfig = { ...config, REQUEST_TIMEOUT_MS: 1500 };
    const chatModel = chatModelFor(llm, 10_000, 5000);
    const service = await buildService(slowConfig, createLogger('silent'), { embedders: await realEmbedders(), chatModel });
    const cancelledBefore = llm.cancelled;
    const requestsBefore = llm.requests.length;
    const response = await ask(service, { question: '手环充满电要多久呀？' });
    expect(llm.requests.length).toBe(requestsBefore + 1);
    expect(response.status).toBe(504);
    expect(response.body.error.code).toBe('timeout');
    await expect.poll(() => llm.cancelled, { timeout: 5000 }).toBeGreaterThan(cancelledBefore);
    llm.tokenDelayMs = 2;
    await service.close();
  });
});

describe('LLM concurrency cap', () => {
  it('answers 503 llm_busy with Retry-After at once when every generation slot is taken, and serves again after', async () => {
    llm.mode = 'slow';
    llm.tokenDelayMs = 30;
    const chatModel = chatModelFor(llm, 10_000, 5000);
    const service = await buildService({ ...config, LLM_MAX_CONCURRENT: 1 }, createLogger('silent'), { embedders: await realEmbedders(), chatModel });
    const requestsBefore = llm.requests.length;
    const first = ask(service, { question: '手环充满电要多久？' }).then((response) => response);
    await expect.poll(() => llm.requests.length, { timeout: 10_000 }).toBeGreaterThan(requestsBefore);
    const busy = await ask(service, { question: 'Does parking mode drain my car battery?' });
    expect(busy.status).toBe(503);
    expect(busy.body.error.code).toBe('llm_busy');
    expect(busy.headers['retry-after']).toBe('2');
    expect((await first).status).toBe(200);
    llm.mode = 'answer';
    llm.tokenDelayMs = 2;
    expect((await ask(service, { question: 'Does parking mode drain my car battery?' })).status).toBe(200);
    expect((await request(service.app).get('/metrics')).text).toMatch(/kefu_shed_total\{reason="llm_busy"\} 1/);
    await service.close();
  });
});

describe('client disconnects', () => {
  it('cancels the model generation when the client goes away mid-stream', async () => {
    llm.mode = 'slow';
    llm.tokenDelayMs = 20;
    const { server } = await listenLocal(generated.app);
    const { port } = server.address() as AddressInfo;
    const cancelledBefore = llm.cancelled;
    await new Promise<void>((resolve, reject) => {
      const outgoing = httpRequest({ host: '127.0.0.1', port, path: '/v1/ask', method: 'POST', headers: { 'content-type': 'application/json' } }, (response) => {
        response.on('data', (chunk: Buffer) => {
          if (chunk.toString().includes('event: token')) {
            outgoing.destroy();
            resolve();
          }
        });
        response.on('error', () => undefined);
      });
      outgoing.on('error', () => undefined);
      outgoing.end(JSON.stringify({ question: '手环充满电要多久？', stream: true }));
      setTimeout(() => reject(new Error('no token arrived')), 10_000);
    });
    await expect.poll(() => llm.cancelled, { timeout: 5000 }).toBeGreaterThan(cancelledBefore);
    llm.tokenDelayMs = 2;
    server.close();
  });
});

describe('malformed requests get 4xx with a JSON error', () => {
  it.each([
    ['a missing question', { stream: false }, 'invalid_request'],
    ['an empty question', { question: '   ' }, 'invalid_request'],
    ['a 100 KB question', { question: '问'.repeat(100 * 1024 / 3) }, 'invalid_request'],
    ['a question of the wrong type', { question: 42 }, 'invalid_request'],
    ['stream of the wrong type', { question: 'hi', stream: 'yes' }, 'invalid_request'],
    ['an unknown field', { question: 'hi', foo: 1 }, 'invalid_request'],
    ['an unknown product line', { question: 'hi', productLine: 'Z' }, 'bad_request'],
    ['a bad session id', { question: 'hi', sessionId: 'a b' }, 'invalid_request'],
  ])('%s → 400', async (_name, body, code) => {
    const response = await ask(extractive, body);
    expect(response.status).toBe(400);
    expect(response.body.error).toMatchObject({ code });
    expect(response.body.error.requestId).toBe(response.headers['x-request-id']);
  });

  it('bad JSON → 400 invalid_json', async () => {
    const response = await request(extractive.app).post('/v1/ask').set('content-type', 'application/json').send('{"question": "hi"');
    expect(response.status).toBe(400);
    expect(response.body.error.code).toBe('invalid_json');
  });

  it('a body that is not JSON → 400', async () => {
    const response = await request(extractive.app).post('/v1/ask').set('content-type', 'text/plain').send('question=hi');
    expect(response.status).toBe(400);
  });

  it('a body over the size limit → 413', async () => {
    const response = await ask(extractive, { question: 'x'.repeat(config.BODY_LIMIT_BYTES + 10) });
    expect(response.status).toBe(413);
    expect(response.body.error.code).toBe('payload_too_large');
  });

  it('an unknown route → 404 JSON', async () => {
    const response = await request(extractive.app).get('/v1/nothing');
    expect(response.status).toBe(404);
    expect(response.body.error.code).toBe('not_found');
  });

  it('a known route with another method → 405 JSON naming the allowed ones', async () => {
    const response = await request(extractive.app).get('/v1/ask');
    expect(response.status).toBe(405);
    expect(response.headers.allow).toBe('POST');
    expect(response.body.error.code).toBe('method_not_allowed');
    // A templated path: its id is one segment.
    const put = await request(extractive.app).put('/v1/sessions/some-session');
    expect(put.status).toBe(405);
    expect(put.headers.allow).toContain('GET');
  });
});

describe('service endpoints', () => {
  it('serves health, readiness and the OpenAPI document', async () => {
    expect((await request(extractive.app).get('/healthz')).body).toEqual({ status: 'ok' });
    expect((await request(generated.app).get('/readyz')).body).toMatchObject({ status: 'ready', checks: { knowledge: true, embedder: true, llm: true } });
    const openapi = await request(extractive.app).get('/openapi.json');
    expect(openapi.body.paths['/v1/ask'].post).toBeDefined();
    expect((await request(extractive.app).get('/openapi.yaml')).text).toMatch(/^openapi: 3\.1\.0/);
  });
  it('echoes a well-formed request id and replaces a malformed one', async () => {
    expect((await request(extractive.app).get('/healthz').set('x-request-id', 'abc-123-def')).headers['x-request-id']).toBe('abc-123-def');
    expect((await request(extractive.app).get('/healthz').set('x-request-id', 'bad id <script>')).headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });
});

