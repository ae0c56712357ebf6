import path from 'node:path';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import { loadEmbeddingSpaces } from '../../src/embed/load-embedder.js';
import { OpenAiEmbedder } from '../../src/embed/openai-embedder.js';
import { ingestKnowledgeBase } from '../../src/ingest-knowledge-base.js';
import { createLogger } from '../../src/log.js';
import { buildService } from '../../src/service.js';
import { FakeEmbeddingsServer } from '../support/fake-embeddings-server.js';
import { tempDir } from '../support/real-stack.js';

const server = new FakeEmbeddingsServer();
let temp: { dir: string; remove: () => Promise<void> };
const settings = (overrides: Partial<Parameters<typeof OpenAiEmbedder.load>[0]> = {}) => ({ baseURL: server.baseURL, model: 'test-embed', batchSize: 8, concurrency: 3, timeoutMs: 5000, maxRetries: 3, ...overrides });

beforeAll(async () => {
  await server.start();
  temp = await tempDir('remote-embed');
});
afterAll(async () => {
  await server.stop();
  await temp?.remove();
});

describe('OpenAI-compatible embeddings adapter (/v1/embeddings)', () => {
  it('batches, keeps order, bounds concurrency, normalises, and measures the dimension', async () => {
    server.delayMs = 20;
    const embedder = await OpenAiEmbedder.load(settings());
    expect(embedder.dimension).toBe(64);
    server.requests.length = 0;
    server.maxInFlight = 0;
    const texts = Array.from({ length: 50 }, (_, index) => `question ${index} about word${index}`);
    const vectors = await embedder.embedPassages(texts);
    expect(vectors).toHaveLength(50);
    expect(server.requests.map((entry) => entry.inputs)).toEqual([8, 8, 8, 8, 8, 8, 2]);
    expect(server.maxInFlight).toBeLessThanOrEqual(3);
    // Order: each vector is its own text's (the double answers each batch reversed).
    const expected = FakeEmbeddingsServer.vector(texts[17], 64);
    const norm = Math.hypot(...expected);
    expect(vectors[17][0]).toBeCloseTo(expected[0] / norm, 5);
    expect(Math.hypot(...vectors[3])).toBeCloseTo(1, 5);
    expect(server.encodings.at(-1)).toBe('base64');
    // A server without base64 support: plain JSON floats give the same vectors.
    const floats = await OpenAiEmbedder.load(settings({ encoding: 'float' }));
    expect(Array.from(await floats.embedQuery(texts[17]))).toEqual(Array.from(await embedder.embedQuery(texts[17])));
    expect(server.encodings).toContain('float');
    server.delayMs = 0;
  });

  it('retries 429 and 503 with backoff, and fails clearly when retries run out', async () => {
    const embedder = await OpenAiEmbedder.load(settings({ maxRetries: 2 }));
    server.failNext = [503, 429];
    expect((await embedder.embedQuery('hello')).length).toBe(64);
    server.failNext = [503, 503, 503];
    await expect(embedder.embedQuery('hello')).rejects.toThrow(/embedding request to .* failed/);
    server.failNext = [];
  });

  it('ingests through the endpoint and answers from it; a table of another dimension is refused with a clear message', async () => {
    const env = { DB_DIR: path.join(temp.dir, 'db'), EMBEDDING_API_URL: server.baseURL, EMBEDDING_API_MODEL: 'test-embed', EMBEDDING_MODEL_EN: 'none', EMBEDDING_MODEL_MULTI: 'none', CALIBRATION_ENABLED: 'false', LOG_LEVEL: 'silent', LANCEDB_READ_CONSISTENCY_SECONDS: '0' };
    const config = loadConfig(env);
    const embedders = await loadEmbeddingSpaces(config);
    const summary = await ingestKnowledgeBase(config, embedders);
    expect(summary.documents.failed).toBe(0);
    expect(summary.chunksTotal).toBeGreaterThan(100);
    const service = await buildService(config, createLogger('silent'), { chatModel: null });
    const answer = await request(service.app).post('/v1/ask').send({ question: 'Can I swim with the Pulse Band 3?' });
    expect(answer.status).toBe(200);
    expect(answer.body.sources[0].title).toMatch(/Pulse Band 3|swim/i);
    await service.close();

    server.dimension = 32;
    await expect(ingestKnowledgeBase(config, await loadEmbeddingSpaces(config))).rejects.toThrow(/vectors of shape \{vector: 64\} but the embedding models give \{vector: 32\}/);
    await expect(buildService(config, createLogger('silent'), { chatModel: null })).rejects.toThrow(/64 dimensions but the model gives 32/);
    server.dimension = 64;
  });
});
