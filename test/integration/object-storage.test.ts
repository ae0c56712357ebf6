import { type ChildProcess, spawn } from 'node:child_process';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import { ingestKnowledgeBase } from '../../src/ingest-knowledge-base.js';
import { createLogger } from '../../src/log.js';
import { buildService, type Service } from '../../src/service.js';
import { realEmbedders } from '../support/real-stack.js';

// LanceDB on S3-compatible object storage: moto in server mode (PyPI `moto[server]`, installed by .ci/run)
// stands in for S3 or MinIO. The ingestion lock lives in the real Redis, since a file lease cannot.
const port = 5100 + (process.pid % 100);
const endpoint = `http://127.0.0.1:${port}`;
const bucket = `kefu-${process.pid}`;
let moto: ChildProcess;
let service: Service | undefined;

const settings = () =>
  loadConfig({
    DB_DIR: `s3://${bucket}/lancedb`,
    LANCEDB_STORAGE_OPTIONS: JSON.stringify({ aws_endpoint: endpoint, aws_access_key_id: 'test', aws_secret_access_key: 'test', aws_region: 'us-east-1', allow_http: 'true', aws_virtual_hosted_style_request: 'false' }),
    LANCEDB_READ_CONSISTENCY_SECONDS: '0',
    REDIS_URL: 'redis://127.0.0.1:6379',
    REDIS_KEY_PREFIX: `kefu-s3-${process.pid}:`,
    LOG_LEVEL: 'silent',
    // No regression gate: over S3 it writes and reads three more tables, and this file is about where the knowledge
    // lives, not what the gate decides (regression-gate.test.ts, admin-held-versions.test.ts).
    REGRESSION_GATE: 'false',
  });

beforeAll(async () => {
  moto = spawn('moto_server', ['-H', '127.0.0.1', '-p', String(port)], { stdio: 'ignore' });
  moto.on('error', () => undefined);
  for (let attempt = 0; attempt < 100; attempt++) {
    const ready = await fetch(endpoint).then(() => true, () => false);
    if (ready) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const created = await fetch(`${endpoint}/${bucket}`, { method: 'PUT' });
  expect(created.status, 'moto_server is needed for this test (pip install "moto[server]")').toBe(200);
});

afterAll(async () => {
  await service?.close();
  moto?.kill();
});

describe('knowledge on S3-compatible object storage', () => {
  it('ingests, serves answers with the calibrated threshold, and re-ingests incrementally, all from the bucket', async () => {
    const config = settings();
    const embedders = await realEmbedders();
    const first = await ingestKnowledgeBase(config, embedders);
    expect(first.documents.failed).toBe(0);
    expect(first.chunksTotal).toBeGreaterThan(100);
    expect(first.calibration?.languages.en?.threshold).toBeGreaterThan(0);

    service = await buildService(config, createLogger('silent'), { embedders, chatModel: null });
    const answer = await request(service.app).post('/v1/ask').send({ question: 'Can I swim with the Pulse Band 3?' });
    expect(answer.body).toMatchObject({ refused: false, knowledgeVersion: first.version });
    // The threshold in force is the one ingestion measured and stored in the bucket.
    expect(answer.body.threshold).toBeCloseTo(first.calibration!.languages.en!.threshold, 3);
    expect((await request(service.app).get('/readyz')).status).toBe(200);

    const again = await ingestKnowledgeBase(config, embedders);
    expect(again).toMatchObject({ committed: false, documents: { unchanged: first.documents.added } });
    const objects = await (await fetch(`${endpoint}/${bucket}?list-type=2&prefix=lancedb/`)).text();
    expect(objects).toMatch(/lancedb\/knowledge\.lance\/_versions\//);
    expect(objects).toMatch(/lancedb\/knowledge__calibration\.lance\//);
    // Two calibrated ingestions over S3 round trips: 60 s on a quiet CI machine, past 120 s on a loaded one.
  }, 300_000);

  it('refuses to ingest into object storage without Redis for the lock', async () => {
    const config = { ...settings(), REDIS_URL: undefined };
    await expect(ingestKnowledgeBase(config, await realEmbedders())).rejects.toThrow(/needs Redis/);
  });
});
