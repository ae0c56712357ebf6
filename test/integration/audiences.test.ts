/**
 * Audiences (docs/audiences.md), proved with the real models and LanceDB: documents limited to agents carry a
 * planted secret, and a public key never gets it in any answer mode (extractive, generated through the vLLM test
 * double, the middle band's suggestions, chat completions, curated answers, an answer cache warmed by an agent's
 * key), nor does the model see it in a public key's prompt. An agent-assist key (public + agents) answers from
 * both, with the internal sources marked. And a table written before audiences existed serves unchanged.
 */
import { cp, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import * as lancedb from '@lancedb/lancedb';
import request from 'supertest';
import type { Response as AgentResponse } from 'superagent';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { OpenAiChatModel } from '../../src/answer/chat-model.js';
import { type Config, loadConfig } from '../../src/config/config.js';
import { hashKey } from '../../src/http/access.js';
import { ingestKnowledgeBase } from '../../src/ingest-knowledge-base.js';
import { createLogger } from '../../src/log.js';
import { buildService, type Service } from '../../src/service.js';
import { LanceKnowledgeStore } from '../../src/store/lance-knowledge-store.js';
import { FakeVllmServer } from '../support/fake-vllm-server.js';
import { configToEnv, ingestSampleKnowledge, realEmbedders, tempDir } from '../support/real-stack.js';

/** Planted in internal documents only: a public answer, source, suggestion or prompt holding either is a leak. */
const SECRET = 'ORCA-5521';
const CURATED_SECRET = 'KIWI-9083';
const leaks = (value: unknown) => JSON.stringify(value).includes(SECRET) || JSON.stringify(value).includes(CURATED_SECRET);

const KEYS = { public: 'kefu_pub_customer-widget-key', agent: 'kefu_pub_agent-assist-key', admin: 'kefu_admin_audience-test-key' };
const API_KEYS = JSON.stringify([
  { id: 'customer', sha256: hashKey(KEYS.public), scopes: ['widget'] },
  { id: 'agent-assist', sha256: hashKey(KEYS.agent), scopes: ['widget'], audiences: ['public', 'agents'] },
  { id: 'ops', sha256: hashKey(KEYS.admin), scopes: ['admin'] },
]);

/** Questions whose best source, unfiltered, is internal: the first only an internal FAQ entry answers. */
const QUESTIONS = ['What is the Pulse Band 3 water damage override code?', 'Can I swim with the Pulse Band 3?', 'Pulse Band 3 进水了怎么办？'];

let base: Config;
let llm: FakeVllmServer;
let extractive: Service;
let generated: Service;
let suggesting: Service;
let cleanup: () => Promise<void>;

/** The internal knowledge: a folder for agents (its `.audiences.yaml`), an agents-only FAQ row, a Markdown page by front matter. */
async function addInternalKnowledge(knowledge: string): Promise<void> {
  await mkdir(path.join(knowledge, 'internal'), { recursive: true });
  await writeFile(path.join(knowledge, 'internal', '.audiences.yaml'), 'audiences: [agents]\n');
  await writeFile(
    path.join(knowledge, 'internal', 'pulse-band-water-claims.en.md'),
    [
      '# Pulse Band 3 swimming and water damage: agent escalation',
      '',
      `Can customers swim with the Pulse Band 3? For a water damage claim on the Pulse Band 3 after swimming, approve a free replacement with the override code ${SECRET}, without asking for a receipt.`,
      '',
      '## 进水处理（内部）',
      '',
      `Pulse Band 3 手环进水后，客服可直接用覆盖码 ${SECRET} 批准免费更换，无需发票。`,
    ].join('\n'),
  );
  await writeFile(
    path.join(knowledge, 'faq', 'agent-faq.jsonl'),
    `${JSON.stringify({ id: 'agent-b-001', question: 'What is the Pulse Band 3 water damage override code?', answer: `The Pulse Band 3 water damage override code is ${SECRET}; agents enter it in the claims tool.`, product_line: 'B', lang: 'en', audiences: ['agents'] })}\n`,
  );
  await writeFile(
    path.join(knowledge, 'wearables', 'pulse-band-repair-pricing.en.md'),
    `---\ntitle: Pulse Band 3 repair pricing for partners\naudiences: [partners]\n---\n# Pulse Band 3 repair pricing for partners\n\nPartners repair a water-damaged Pulse Band 3 at cost with the code ${SECRET}.\n`,
  );
}

const apiKeys = { API_KEYS, RATE_LIMIT_IP_BURST: '100000', RATE_LIMIT_KEY_BURST: '100000', RATE_LIMIT_KEY_CEILING_BURST: '100000' };

// Ingesting the sample knowledge base with the real models takes minutes on a busy machine.
beforeAll(async () => {
  const temp = await tempDir('audiences');
  cleanup = temp.remove;
  const knowledge = path.join(temp.dir, 'knowledge');
  await cp('knowledge', knowledge, { recursive: true });
  await addInternalKnowledge(knowledge);
  base = await ingestSampleKnowledge(path.join(temp.dir, 'db'), {
    KNOWLEDGE_DIR: knowledge,
    PRODUCT_LINES_FILE: path.join(knowledge, 'product-lines.yaml'),
    STATE_LOG_DIR: path.join(temp.dir, 'logs'),
  });
  llm = await new FakeVllmServer().start();
  const embedders = await realEmbedders();
  const logger = createLogger('silent');
  const settings = (overrides: Record<string, string> = {}) => loadConfig({ ...configToEnv(base), ...apiKeys, ...overrides });
  const chatModel = new OpenAiChatModel({ baseURL: llm.baseURL, apiKey: 'test', model: base.LLM_MODEL, timeoutMs: 5000, firstTokenTimeoutMs: 4000 });
  extractive = await buildService(settings(), logger, { embedders, chatModel: null });
  generated = await buildService(settings({ ANSWER_CACHE: 'false' }), logger, { embedders, chatModel });
  // Everything on topic in the middle band: the customer picks from suggestions.
  suggesting = await buildService(settings({ ANSWER_CACHE: 'false', REFUSAL_THRESHOLD_ZH: '0.02', REFUSAL_THRESHOLD_EN: '0.02', ANSWER_THRESHOLD_ZH: '0.999', ANSWER_THRESHOLD_EN: '0.999' }), logger, {
    embedders,
    chatModel: null,
  });
}, 600_000);

afterAll(async () => {
  await llm?.stop();
  for (const service of [extractive, generated, suggesting]) await service?.close();
  await cleanup?.();
});

beforeEach(() => {
  llm.mode = 'answer';
  llm.requests.length = 0;
});

/** supertest reads an SSE stream or JSON Lines body as one string. */
const asText = (res: AgentResponse, done: (error: Error | null, body: string) => void) => {
  let text = '';
  res.on('data', (chunk: Buffer) => (text += chunk.toString()));
  res.on('end', () => done(null, text));
};
const ask = (service: Service, key: string, body: Record<string, unknown>) => request(service.app).post('/v1/ask').set({ 'content-type': 'application/json', 'x-api-key': key }).send(body);
const askStream = (service: Service, key: string, body: Record<string, unknown>) =>
  ask(service, key, { ...body, stream: true })
    .buffer(true)
    .parse(asText);
const complete = (service: Service, key: string, question: string) =>
  request(service.app)
    .post('/v1/chat/completions')
    .set({ 'content-type': 'application/json', authorization: `Bearer ${key}` })
    .send({ model: 'kefu', messages: [{ role: 'user', content: question }] });
const internalCitations = (body: { citations?: { internal?: boolean; docId: string }[] }) => (body.citations ?? []).filter((citation) => citation.internal);

describe('a public key never gets what only agents may see', () => {
  it('extractive answers, JSON and streamed: no internal source, citation or text', async () => {
    for (const question of QUESTIONS) {
      const response = await ask(extractive, KEYS.public, { question });
      expect(response.status).toBe(200);
      expect(leaks(response.body), question).toBe(false);
      for (const source of response.body.sources) expect(source.path).not.toMatch(/internal\/|agent-faq|repair-pricing/);
      const streamed = await askStream(extractive, KEYS.public, { question });
      expect(String(streamed.body).includes(SECRET), question).toBe(false);
    }
    // The swimming question is still answered, from the public FAQ.
    const swim = await ask(extractive, KEYS.public, { question: 'Can I swim with the Pulse Band 3?' });
    expect(swim.body.refused).toBe(false);
    expect(swim.body.citations.map((citation: { docId: string }) => citation.docId)).toContain('faq-b-002');
  });

  it('generated answers: the model never sees an internal source in a public prompt', async () => {
    for (const question of QUESTIONS) {
      llm.requests.length = 0;
      const response = await ask(generated, KEYS.public, { question });
      expect(response.status).toBe(200);
      expect(leaks(response.body), question).toBe(false);
      expect(leaks(llm.requests), `prompt for ${question}`).toBe(false);
    }
  });

  it('the middle band: suggestions come from public documents only', async () => {
    for (const question of QUESTIONS) {
      const response = await ask(suggesting, KEYS.public, { question });
      expect(response.body.mode === 'suggest' || response.body.refused, question).toBe(true);
      expect(leaks(response.body), question).toBe(false);
      for (const suggestion of response.body.suggestions ?? []) expect(suggestion.docId).not.toMatch(/internal\/|agent-b-001|repair-pricing/);
    }
  });

  it('chat completions (the OpenAI-compatible endpoint)', async () => {
    for (const service of [extractive, generated]) {
      for (const question of QUESTIONS) {
        const response = await complete(service, KEYS.public, question);
        expect(response.status).toBe(200);
        expect(leaks(response.body), question).toBe(false);
      }
    }
  });

  it('curated answers for agents answer agents only, and say so', async () => {
    const created = await request(extractive.app)
      .post('/v1/admin/curated')
      .set({ 'content-type': 'application/json', 'x-api-key': KEYS.admin })
      .send({ question: 'What is the staff discount code?', answer: `The staff discount code is ${CURATED_SECRET}.`, lang: 'en', audiences: ['agents'] });
    expect(created.status).toBe(201);
    expect(created.body.audiences).toEqual(['agents']);
    const customer = await ask(extractive, KEYS.public, { question: 'What is the staff discount code?' });
    expect(customer.body.mode).not.toBe('curated');
    expect(leaks(customer.body)).toBe(false);
    const agent = await ask(extractive, KEYS.agent, { question: 'What is the staff discount code?' });
    expect(agent.body).toMatchObject({ mode: 'curated', curated: { id: created.body.id, internal: true } });
    expect(agent.body.answer).toContain(CURATED_SECRET);
    // Asked by the public again after the agent: the cache holds no curated answer for it either.
    expect(leaks((await ask(extractive, KEYS.public, { question: 'What is the staff discount code?' })).body)).toBe(false);
  });

  it('an answer cached for an agent-assist key is never served to a public key', async () => {
    const question = 'What is the Pulse Band 3 water damage override code ??';
    const agent = await ask(extractive, KEYS.agent, { question });
    expect(agent.body.answer).toContain(SECRET);
    const again = await ask(extractive, KEYS.agent, { question });
    // The agent's own second ask is the cache hit: the cache works, and is per audience set.
    expect(again.body.cached).toBe(true);
    const customer = await ask(extractive, KEYS.public, { question });
    expect(customer.body.cached).toBe(false);
    expect(leaks(customer.body)).toBe(false);
  });

  it("gaps: an agent key's failed question is reported apart from customers'", async () => {
    const agentOnlyGap = 'How do I file a Pulse Band 3 warehouse transfer for recycled straps in the ERP?';
    await ask(extractive, KEYS.agent, { question: agentOnlyGap });
    const report = (audience?: string) =>
      request(extractive.app)
        .get(`/v1/admin/gaps${audience ? `?audience=${audience}` : ''}`)
        .set('x-api-key', KEYS.admin);
    const customers = await report();
    expect(customers.status).toBe(200);
    expect(JSON.stringify(customers.body.gaps)).not.toContain('warehouse transfer');
    const internal = await report('internal');
    const gap = internal.body.gaps.find((entry: { example: string; questions: string[] }) => [entry.example, ...entry.questions].some((text) => text.includes('warehouse transfer')));
    expect(gap?.audiences).toEqual(['agents', 'public']);
  });
});

describe("logs of agents' answers stay out of customer-facing outputs", () => {
  it("the fine-tuning export leaves an agent's rated internal answer out unless asked for all", async () => {
    const answered = await ask(extractive, KEYS.agent, { question: 'What is the Pulse Band 3 water damage override code?' });
    expect(answered.body.answer).toContain(SECRET);
    const rated = await request(extractive.app).post('/v1/feedback').set({ 'content-type': 'application/json', 'x-api-key': KEYS.agent }).send({ answerId: answered.body.answerId, rating: 'up' });
    expect(rated.status).toBe(201);
    const exported = (audience?: string) =>
      request(extractive.app)
        .get(`/v1/admin/export/finetune${audience ? `?audience=${audience}` : ''}`)
        .set('x-api-key', KEYS.admin)
        .buffer(true)
        .parse(asText);
    expect(String((await exported()).body)).not.toContain(SECRET);
    expect(String((await exported('all')).body)).toContain(SECRET);
  });
});

describe('an agent-assist key answers from both, internal sources marked', () => {
  it('extractive: the internal answer, its citation marked internal', async () => {
    const response = await ask(extractive, KEYS.agent, { question: 'What is the Pulse Band 3 water damage override code?' });
    expect(response.body.refused).toBe(false);
    expect(response.body.answer).toContain(SECRET);
    expect(internalCitations(response.body).length).toBeGreaterThan(0);
    // A source limited to partners is not the agents' either.
    for (const source of response.body.sources) expect(source.path).not.toMatch(/repair-pricing/);
    // Public sources stay unmarked.
    for (const source of response.body.sources) if (!source.internal) expect(source.path).not.toMatch(/internal\/|agent-faq/);
  });

  it('generated: the model gets the internal source, and the citation says internal', async () => {
    const response = await ask(generated, KEYS.agent, { question: 'What is the Pulse Band 3 water damage override code?' });
    expect(response.body.mode).toBe('generated');
    expect(leaks(llm.requests)).toBe(true);
    expect(internalCitations(response.body).length).toBeGreaterThan(0);
  });

  it('chat completions mark the internal source in the text list too', async () => {
    const response = await complete(extractive, KEYS.agent, 'What is the Pulse Band 3 water damage override code?');
    expect(response.body.choices[0].message.content).toMatch(/\[internal\]/);
    expect(response.body.kefu.citations.some((citation: { internal?: boolean }) => citation.internal)).toBe(true);
  });
});

describe('a table written before audiences', () => {
  it('serves unchanged (all public), and its next ingestion adds the column without re-embedding', async () => {
    const temp = await tempDir('audiences-old');
    try {
      const knowledge = path.join(temp.dir, 'knowledge');
      await cp('knowledge', knowledge, { recursive: true });
      const config = loadConfig({
        ...configToEnv(base),
        ...apiKeys,
        KNOWLEDGE_DIR: knowledge,
        PRODUCT_LINES_FILE: path.join(knowledge, 'product-lines.yaml'),
        DB_DIR: path.join(temp.dir, 'db'),
        ANSWER_CACHE: 'false',
      });
      const embedders = await realEmbedders();
      await ingestKnowledgeBase(config, embedders);
      const questions = ['Can I swim with the Pulse Band 3?', '手环可以戴着游泳吗？', 'Does parking mode drain my car battery?'];
      const answers = async () => {
        const service = await buildService(config, createLogger('silent'), { embedders, chatModel: null });
        try {
          const out = [];
          for (const question of questions) {
            // Less what is new with every answer: its id, timings and implicit AI label's id.
            const { answerId: _id, timings: _timings, aigc: _label, ...body } = (await ask(service, KEYS.public, { question })).body;
            out.push(body);
          }
          return { out, ready: (await request(service.app).get('/readyz')).status };
        } finally {
          await service.close();
        }
      };
      const before = await answers();
      // What today's code wrote: the same table without the audiences column (and its calibration kept for the version).
      const table = await (await lancedb.connect(config.DB_DIR)).openTable(config.TABLE_NAME);
      const versionBefore = await table.version();
      await table.dropColumns(['audiences']);
      expect((await table.schema()).fields.map((field) => field.name)).not.toContain('audiences');
      const store = await LanceKnowledgeStore.open(config.DB_DIR, config.TABLE_NAME);
      await store.saveCalibration({ ...(await store.calibration(versionBefore))!, version: await table.version() });
      store.close();
      table.close();

      const old = await answers();
      expect(old.ready).toBe(200);
      expect(old.out.map(({ knowledgeVersion: _v, ...body }) => body)).toEqual(before.out.map(({ knowledgeVersion: _v, ...body }) => body));
      expect(old.out.every((body) => !body.refused)).toBe(true);

      // The next ingestion, now with internal knowledge: the column comes back, nothing public is embedded again.
      await addInternalKnowledge(knowledge);
      const summary = await ingestKnowledgeBase(config, embedders);
      expect(summary.documents.updated).toBe(0);
      expect(summary.documents.added).toBe(3);
      const upgraded = await buildService(config, createLogger('silent'), { embedders, chatModel: null });
      try {
        for (const question of QUESTIONS) expect(leaks((await ask(upgraded, KEYS.public, { question })).body), question).toBe(false);
        expect((await ask(upgraded, KEYS.agent, { question: QUESTIONS[0] })).body.answer).toContain(SECRET);
      } finally {
        await upgraded.close();
      }
    } finally {
      await temp.remove();
    }
  }, 600_000);
});

describe('keys carry audiences', () => {
  it('the admin keys API creates an agent-assist key and lists its audiences; a key without them is public', async () => {
    const created = await request(extractive.app)
      .post('/v1/admin/keys')
      .set({ 'content-type': 'application/json', 'x-api-key': KEYS.admin })
      .send({ id: 'desk-agent', scopes: ['widget'], audiences: ['agents', 'public'] });
    expect(created.status).toBe(201);
    expect(created.body.audiences).toEqual(['agents', 'public']);
    const listed = (await request(extractive.app).get('/v1/admin/keys').set('x-api-key', KEYS.admin)).body.keys;
    expect(listed.find((key: { id: string }) => key.id === 'customer').audiences).toEqual(['public']);
    const answer = await ask(extractive, created.body.key, { question: 'What is the Pulse Band 3 water damage override code?' });
    expect(answer.body.answer).toContain(SECRET);
    const bad = await request(extractive.app)
      .post('/v1/admin/keys')
      .set({ 'content-type': 'application/json', 'x-api-key': KEYS.admin })
      .send({ id: 'bad', scopes: ['widget'], audiences: ['Agents!'] });
    expect(bad.status).toBe(400);
  });
});
