import { cp, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import { hashKey } from '../../src/http/access.js';
import type { Contradiction } from '../../src/ingest/contradictions.js';
import type { IngestJobRecord } from '../../src/ingest/jobs.js';
import { ingestKnowledgeBase } from '../../src/ingest-knowledge-base.js';
import { createLogger } from '../../src/log.js';
import { buildService, type Service } from '../../src/service.js';
import { configToEnv, ingestSampleKnowledge, realEmbedders, tempDir } from '../support/real-stack.js';

// Real Redis at 127.0.0.1:6379, real models, real LanceDB, real ingestion child processes (as ingestion-jobs.test.ts).
const REDIS_URL = 'redis://127.0.0.1:6379';
const prefix = `kefu-gate-${process.pid}-${Date.now()}:`;
const adminKey = 'kefu_admin_gate_0123456789abcdefghijklmn';
const GIFT_CARDS = 'policies/gift-cards.md';
const GIFT_QUESTION = 'Do Lumora gift cards expire?';
let service: Service;
let knowledge: string;
let cleanup: () => Promise<void>;

const admin = () => ({ 'x-api-key': adminKey });
const ask = async (question: string) =>
  (await request(service.app).post('/v1/ask').set(admin()).send({ question })).body as { refused: boolean; knowledgeVersion: number; sources: { docId: string }[] };
const versions = async () =>
  (await request(service.app).get('/v1/admin/versions').set(admin())).body as {
    current: number;
    published: number;
    latest: number;
    versions: { version: number; regression?: { score: number; held: boolean } }[];
  };

async function ingestJob(): Promise<IngestJobRecord> {
  const started = await request(service.app).post('/v1/admin/ingest').set(admin());
  expect(started.status).toBe(202);
  for (let attempt = 0; attempt < 1500; attempt++) {
    const job = (await request(service.app).get(`/v1/admin/jobs/${started.body.job.id}`).set(admin())).body as IngestJobRecord;
    if (job.state !== 'running') return job;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error('the ingestion job did not finish');
}

// A planted contradiction (the same plan, 12 months against 24, in English and in Chinese) and a consistent duplicate.
const carePlan = (months: number) =>
  `# Care Plus protection plan\n\nCare Plus covers accidental damage of any Lumora device bought in the online store.\n\nWarranty: ${months} months from the date of purchase, with free repairs or a replacement device.\n`;
const carePlanZh = (months: number) => `# Care Plus 保障计划\n\nCare Plus 保障在朗曜官方商城购买的所有设备的意外损坏。\n\n保修${months}个月，自购买之日起计算，期间免费维修或更换设备。\n`;
const giftCards = '# Gift cards\n\nLumora gift cards never expire and can be used on every product in the online store, including accessories.\n';

beforeAll(async () => {
  const temp = await tempDir('gate');
  cleanup = temp.remove;
  knowledge = path.join(temp.dir, 'knowledge');
  await cp('knowledge', knowledge, { recursive: true });
  const settings = { KNOWLEDGE_DIR: knowledge, PRODUCT_LINES_FILE: path.join(knowledge, 'product-lines.yaml'), STATE_LOG_DIR: path.join(temp.dir, 'logs'), REDIS_URL, REDIS_KEY_PREFIX: prefix };
  // The sample table as every file ingests it (a copy from the run's table cache), then the planted documents
  // ingested on top of it: only they are embedded, instead of the whole knowledge base again for six small files.
  const config = await ingestSampleKnowledge(path.join(temp.dir, 'db'), settings);
  await writeFile(path.join(knowledge, 'policies', 'care-plus.en.md'), carePlan(12));
  await writeFile(path.join(knowledge, 'policies', 'care-plus-summary.en.md'), carePlan(24));
  await writeFile(path.join(knowledge, 'policies', 'care-plus.zh.md'), carePlanZh(12));
  await writeFile(path.join(knowledge, 'policies', 'care-plus-summary.zh.md'), carePlanZh(24));
  await writeFile(path.join(knowledge, GIFT_CARDS), giftCards);
  await writeFile(path.join(knowledge, 'policies', 'gift-cards-again.md'), giftCards);
  const planted = await ingestKnowledgeBase(config, await realEmbedders());
  expect(planted).toMatchObject({ committed: true, published: true, documents: { added: 6 } });
  service = await buildService(
    loadConfig({
      ...configToEnv(config),
      API_KEYS: JSON.stringify([{ id: 'ops', sha256: hashKey(adminKey), scopes: ['admin'], origins: [] }]),
      RATE_LIMIT_IP_BURST: '100000',
      RATE_LIMIT_KEY_BURST: '100000',
      RATE_LIMIT_KEY_CEILING_BURST: '100000',
    }),
    createLogger('silent'),
    { embedders: await realEmbedders(), chatModel: null },
  );
}, 600_000);

afterAll(async () => {
  await service?.close();
  await cleanup?.();
});

describe('contradictions in the knowledge base', () => {
  it('flags the planted contradiction in English and Chinese with both sources, and not the consistent duplicate', async () => {
    const response = await request(service.app).get('/v1/admin/contradictions').set(admin());
    expect(response.status).toBe(200);
    const found = response.body.contradictions as Contradiction[];
    const between = (a: string, b: string) => found.filter((entry) => [entry.a.docId, entry.b.docId].sort().join('|') === [a, b].sort().join('|'));
    expect(between('policies/care-plus.en.md', 'policies/care-plus-summary.en.md')).toEqual([
      expect.objectContaining({
        kind: 'duration',
        a: expect.objectContaining({ clause: expect.stringMatching(/months/), title: 'Care Plus protection plan' }),
        b: expect.objectContaining({ clause: expect.stringMatching(/months/) }),
      }),
    ]);
    expect(between('policies/care-plus.zh.md', 'policies/care-plus-summary.zh.md').map((entry) => entry.kind)).toEqual(['duration']);
    const clauses = between('policies/care-plus.en.md', 'policies/care-plus-summary.en.md').flatMap((entry) => [entry.a.clause, entry.b.clause]);
    expect(clauses.some((clause) => clause.includes('12 months')) && clauses.some((clause) => clause.includes('24 months'))).toBe(true);
    expect(found.filter((entry) => [entry.a.docId, entry.b.docId].includes(GIFT_CARDS))).toEqual([]);
  });
});

describe('the regression gate', () => {
  let pinned: string;

  it("keeps regression cases: the seeded file, cases added by API (audited), reviewers' corrections", async () => {
    const added = await request(service.app)
      .post('/v1/admin/regression-cases')
      .set(admin())
      .send({ question: GIFT_QUESTION, lang: 'en', docIds: [GIFT_CARDS] });
    expect(added.status).toBe(201);
    expect(added.body).toMatchObject({ origin: 'api', pinned: true, docIds: [GIFT_CARDS], addedBy: 'ops' });
    pinned = added.body.id;
    const throwaway = await request(service.app)
      .post('/v1/admin/regression-cases')
      .set(admin())
      .send({ question: 'How do I reset the Glow bulb?', docIds: ['faq-a-002'] });
    expect((await request(service.app).delete(`/v1/admin/regression-cases/${throwaway.body.id}`).set(admin())).status).toBe(204);
    expect((await request(service.app).delete(`/v1/admin/regression-cases/${throwaway.body.id}`).set(admin())).status).toBe(404);
    expect((await request(service.app).post('/v1/admin/regression-cases').set(admin()).send({ question: 'no document named' })).status).toBe(400);
    await service.state.appendLog(
      'corrections',
      {
        id: 'c1',
        at: new Date().toISOString(),
        by: 'reviewer',
        question: 'Can I wear the Pulse Band 3 in the shower?',
        lang: 'en',
        productLine: 'wearables',
        expected: { docId: 'faq-b-001' },
        wrong: { outcome: 'refused', sources: [] },
      },
      1000,
    );

    const cases = (await request(service.app).get('/v1/admin/regression-cases').set(admin())).body.cases as { id: string; origin: string; pinned: boolean }[];
    expect(cases.filter((entry) => entry.origin === 'file').length).toBe(104);
    expect(cases.filter((entry) => entry.origin === 'api').map((entry) => entry.id)).toEqual([pinned]);
    expect(cases.filter((entry) => entry.origin === 'correction')).toEqual([expect.objectContaining({ pinned: true })]);
    const audit = (await request(service.app).get('/v1/admin/audit').set(admin())).body.audit as { action: string }[];
    expect(audit.map((entry) => entry.action)).toEqual(expect.arrayContaining(['regression-case.create', 'regression-case.delete']));
  });

  it('records the score of a passing ingestion with its version, and lists the standing contradictions in the job summary', async () => {
    await writeFile(path.join(knowledge, 'policies', 'store-hours.md'), '# Store hours\n\nThe Lumora flagship store in Shenzhen opens from 10:00 to 21:00 every day, public holidays included.\n');
    const job = await ingestJob();
    expect(job.state).toBe('succeeded');
    expect(job.summary?.published).toBe(true);
    expect(job.summary?.gate).toMatchObject({ held: false, broken: { pinned: 0 } });
    expect(job.summary!.gate!.cases).toBeGreaterThan(100);
    expect(job.summary!.contradictions!.total).toBeGreaterThanOrEqual(2);
    const listed = await versions();
    expect(listed.current).toBe(job.summary!.version);
    expect(listed.versions.find((entry) => entry.version === job.summary!.version)?.regression).toMatchObject({ score: job.summary!.gate!.score, held: false });
  }, 600_000);

  it('holds an ingestion that deletes the document a pinned case needs: the old version keeps answering; discard keeps it', async () => {
    const before = await ask(GIFT_QUESTION);
    expect(before.refused).toBe(false);
    expect(before.sources.map((source) => source.docId)).toContain(GIFT_CARDS);
    await rm(path.join(knowledge, GIFT_CARDS));
    await rm(path.join(knowledge, 'policies', 'gift-cards-again.md'));

    const job = await ingestJob();
    expect(job.state).toBe('held');
    expect(job.summary?.published).toBe(false);
    expect(job.summary?.gate?.reason).toMatch(/pinned/);
    const broke = job.summary!.gate!.changed.find((entry) => entry.caseId === pinned);
    // Before: answered, the gift-card document among the sources (its duplicate may rank first); now it cannot be.
    expect(broke).toMatchObject({
      question: GIFT_QUESTION,
      change: 'broke',
      pinned: true,
      expected: [GIFT_CARDS],
      old: { outcome: 'answered', docId: expect.stringMatching(/^policies\/gift-cards/), right: true },
      new: { right: false },
    });
    const held = job.summary!.version;

    const during = await ask(GIFT_QUESTION);
    expect(during.knowledgeVersion).toBe(before.knowledgeVersion);
    expect(during.sources.map((source) => source.docId)).toContain(GIFT_CARDS);
    expect(await versions()).toMatchObject({ current: before.knowledgeVersion, published: before.knowledgeVersion, latest: held });

    const discarded = await request(service.app).post(`/v1/admin/jobs/${job.id}/discard`).set(admin());
    expect(discarded.status).toBe(200);
    expect(discarded.body).toMatchObject({ state: 'discarded', decision: { action: 'discarded', by: 'ops' } });
    expect((await request(service.app).post(`/v1/admin/jobs/${job.id}/approve`).set(admin())).status).toBe(409);
    const after = await ask(GIFT_QUESTION);
    expect(after.sources.map((source) => source.docId)).toContain(GIFT_CARDS);
    const listed = await versions();
    expect(listed.published).toBe(listed.latest);
    expect(listed.published).toBeGreaterThan(held);
  }, 600_000);

  it('holds it again at the next ingestion, and approval switches to the version without the document', async () => {
    const before = await ask(GIFT_QUESTION);
    const job = await ingestJob();
    expect(job.state).toBe('held');
    const approved = await request(service.app).post(`/v1/admin/jobs/${job.id}/approve`).set(admin());
    expect(approved.status).toBe(200);
    expect(approved.body).toMatchObject({ state: 'succeeded', decision: { action: 'approved', by: 'ops', version: job.summary!.version } });
    const after = await ask(GIFT_QUESTION);
    expect(after.knowledgeVersion).toBe(job.summary!.version);
    expect(after.knowledgeVersion).not.toBe(before.knowledgeVersion);
    expect(after.sources.map((source) => source.docId)).not.toContain(GIFT_CARDS);
    const audit = (await request(service.app).get('/v1/admin/audit').set(admin())).body.audit as { action: string }[];
    expect(audit.map((entry) => entry.action)).toEqual(expect.arrayContaining(['job.discard', 'job.approve']));
  }, 600_000);
});
