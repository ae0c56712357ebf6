import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import { hashKey } from '../../src/http/access.js';
import { createLogger } from '../../src/log.js';
import { buildService, type Service } from '../../src/service.js';
import { configToEnv, ingestSampleKnowledge, realEmbedders, tempDir } from '../support/real-stack.js';

// Real models and the sample knowledge base: off-topic questions are set apart from the knowledge gaps (issue 26, item 16).
const adminKey = 'kefu_admin_offtopic_0123456789abcdefghij';
let service: Service;
let cleanup: () => Promise<void>;

beforeAll(async () => {
  const temp = await tempDir('off-topic');
  cleanup = temp.remove;
  const config = await ingestSampleKnowledge(`${temp.dir}/db`, { STATE_LOG_DIR: `${temp.dir}/logs`, ANSWER_CACHE: 'false' });
  service = await buildService(loadConfig({ ...configToEnv(config), API_KEYS: JSON.stringify([{ id: 'ops', sha256: hashKey(adminKey), scopes: ['admin'], origins: [] }]) }), createLogger('silent'), {
    embedders: await realEmbedders(),
    chatModel: null,
  });
}, 300_000);

afterAll(async () => {
  await service?.close();
  await cleanup?.();
});

const admin = { 'x-api-key': adminKey };
const offTopic = ['What is the capital of France?', 'Who wrote Hamlet?', 'How do I cook a perfect risotto?', 'Recommend a movie for tonight', '谁写了红楼梦？', '今天北京天气怎么样？'];
// Near the knowledge base (payments, discounts) or naming a product: what support should write.
// "cryptocurrency" sits just above the cut: the rule errs towards keeping gaps.
const gaps = [
  'Can I pay for my order in Bitcoin?',
  'Is paying with cryptocurrency like Bitcoin possible?',
  'Is there a student discount on Lumora products?',
  'Can the Guard Cam 2 record in 8K?',
  '可以用支付宝分期付款吗？',
];

describe('off-topic questions in the gaps report', () => {
  it('are their own bucket, not a product line’s gaps, while questions near the knowledge base stay gaps', async () => {
    const version = (await request(service.app).get('/v1/admin/calibration').set(admin)).body;
    // Calibrated on this knowledge base at ingest: where its out-of-domain and in-domain probes part.
    expect(version.calibration.languages.en.offTopicSimilarity).toBeGreaterThan(0.3);
    expect(version.calibration.languages.zh.offTopicSimilarity).toBeGreaterThan(0.3);
    for (const question of [...offTopic, ...gaps]) {
      const answer = (await request(service.app).post('/v1/ask').set(admin).send({ question })).body;
      if (!answer.refused && answer.mode !== 'suggest') await request(service.app).post('/v1/feedback').set(admin).send({ answerId: answer.answerId, rating: 'down' });
    }
    // The widget on product line A's page states the line: the question is still off-topic.
    const stated = (await request(service.app).post('/v1/ask').set(admin).send({ question: 'What is the capital of France?', productLine: 'A' })).body;
    expect(stated.refused || stated.mode === 'suggest').toBe(true);

    const report = (await request(service.app).get('/v1/admin/gaps').set(admin)).body;
    const wordings = (groups: { example: string; questions: string[] }[]) => groups.flatMap((group) => [group.example, ...group.questions]);
    expect(wordings(report.gaps)).toEqual(expect.arrayContaining(gaps));
    for (const question of offTopic) expect(wordings(report.gaps)).not.toContain(question);
    expect(wordings(report.offTopic).sort()).toEqual([...offTopic].sort());
    expect(report.offTopic.every((group: { productLine: string }) => group.productLine === 'off-topic')).toBe(true);
    // Asked twice (once on line A's page), "the capital of France" is one off-topic group of two.
    expect(report.offTopic.find((group: { example: string }) => group.example === 'What is the capital of France?').count).toBe(2);
    expect(report.gaps.some((group: { productLine: string; example: string }) => group.productLine === 'A' && /France/.test(group.example))).toBe(false);

    // The dashboard's gap backlog counts knowledge gaps only.
    const backlog = (await request(service.app).get('/v1/admin/analytics/gaps').set(admin)).body;
    const examples = (backlog.rows as { example: string }[]).map((row) => row.example);
    expect(examples.some((example) => offTopic.includes(example))).toBe(false);
    expect(examples.length).toBeGreaterThan(0);
  });
});
