import request from 'supertest';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { rerankStage, type Retrieved } from '../../src/answer/stages.js';
import type { Config } from '../../src/config/config.js';
import { createLogger } from '../../src/log.js';
import type { Candidate } from '../../src/retrieve/fusion.js';
import { HttpReranker, RerankerError } from '../../src/retrieve/reranker.js';
import { buildService, type Service } from '../../src/service.js';
import { FakeRerankerServer } from '../support/fake-reranker-server.js';
import { ingestSampleKnowledge, realEmbedders, tempDir } from '../support/real-stack.js';

let server: FakeRerankerServer;
beforeAll(async () => {
  server = await new FakeRerankerServer().start();
});
afterAll(() => server.stop());
beforeEach(() => {
  server.mode = 'ok';
  server.format = 'vllm';
  server.requests.length = 0;
});

const reranker = (timeoutMs = 1000) => new HttpReranker({ url: server.url, model: 'Qwen/Qwen3-Reranker-0.6B', timeoutMs });
const candidate = (id: string, text: string, fusedScore: number): Candidate =>
  ({ id, docId: id, text, title: '', headingPath: '', sourcePath: `${id}.md`, productLine: 'general', lang: 'en', kind: 'passage', searchText: text, contentHash: '', docHash: '', chunkIndex: 0, metadata: {}, scores: {}, ranks: {}, fusedScore }) as Candidate;
const retrieved = (): Retrieved => ({
  question: 'how long does the battery last',
  lists: [],
  ranked: [candidate('shipping', 'We ship within two days.', 3), candidate('warranty', 'Two year warranty.', 2), candidate('battery', 'The battery lasts fourteen days, charge it for two hours.', 1)],
  timings: { embedMs: 0, searchMs: 0, vectorMs: 0, fullTextMs: 0, fuseMs: 0 },
});

describe('HTTP reranker adapter against a /rerank test double', () => {
  it('sends the query and documents and returns scores in the documents’ order (vLLM format)', async () => {
    const scores = await reranker().rerank('battery last', ['shipping', 'the battery lasts', 'nothing']);
    expect(server.requests[0]).toMatchObject({ model: 'Qwen/Qwen3-Reranker-0.6B', query: 'battery last', documents: ['shipping', 'the battery lasts', 'nothing'] });
    expect(scores).toEqual([0, 1, 0]);
  });

  it('reads the TEI response shape and squashes raw logits into [0, 1]', async () => {
    server.format = 'tei';
    expect(await reranker().rerank('battery', ['battery', 'other'])).toEqual([1, 0]);
    server.mode = 'logits';
    const [high, low] = await reranker().rerank('battery', ['battery', 'other']);
    expect(high).toBeGreaterThan(0.99);
    expect(low).toBeLessThan(0.01);
  });

  it('turns HTTP errors, garbage and timeouts into RerankerError', async () => {
    server.mode = 'error-500';
    await expect(reranker().rerank('q', ['d'])).rejects.toThrow(/HTTP 500/);
    server.mode = 'garbage';
    await expect(reranker().rerank('q', ['d'])).rejects.toThrow(/unknown format/);
    server.mode = 'hang';
    await expect(reranker(150).rerank('q', ['d'])).rejects.toThrow(RerankerError);
    await expect(new HttpReranker({ url: 'http://127.0.0.1:9', model: 'm', timeoutMs: 500 }).rerank('q', ['d'])).rejects.toThrow(/unreachable/);
  });
});

describe('rerank stage', () => {
  it('reorders the fused candidates by the reranker’s scores and keeps the scores', async () => {
    const result = await rerankStage(reranker(), retrieved(), 20);
    expect(result.reranked).toBe(true);
    expect(result.ranked[0].id).toBe('battery');
    expect(result.ranked[0].rerankScore).toBeGreaterThan(result.ranked[1].rerankScore!);
  });

  it('falls back to the fused order when the reranker fails or times out', async () => {
    server.mode = 'hang';
    const result = await rerankStage(reranker(150), retrieved(), 20);
    expect(result).toMatchObject({ reranked: false });
    expect(result.error).toBeInstanceOf(RerankerError);
    expect(result.ranked.map((entry) => entry.id)).toEqual(['shipping', 'warranty', 'battery']);
  });
});

describe('the service with a reranker', () => {
  let service: Service;
  let config: Config;
  let cleanup: () => Promise<void>;
  beforeAll(async () => {
    const temp = await tempDir('rerank');
    cleanup = temp.remove;
    config = await ingestSampleKnowledge(temp.dir, { RERANKER_TIMEOUT_MS: '300', ANSWER_CACHE: 'false' });
    service = await buildService(config, createLogger('silent'), { embedders: await realEmbedders(), chatModel: null, reranker: reranker(300) });
  });
  afterAll(async () => {
    await service?.close();
    await cleanup?.();
  });

  it('reranks the candidates of a question, and still answers when the reranker is down', async () => {
    const ok = await request(service.app).post('/v1/ask').send({ question: 'Does parking mode drain my car battery?' });
    expect(ok.status).toBe(200);
    expect(server.requests.at(-1)?.query).toBe('Does parking mode drain my car battery?');
    // Answered, or in the middle band (the reranker's score is blended into answerability): never refused for it.
    expect(['extractive', 'suggest']).toContain(ok.body.mode);
    server.mode = 'error-500';
    const down = await request(service.app).post('/v1/ask').send({ question: 'Does parking mode drain my car battery?' });
    expect(down.status).toBe(200);
    expect(['extractive', 'suggest']).toContain(down.body.mode);
    expect(down.body.sources.length).toBeGreaterThan(0);
  });
});
