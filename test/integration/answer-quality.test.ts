import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { modelFingerprint } from '../../src/answer/answerability.js';
import { retrieveStage, scopeQuestion } from '../../src/answer/stages.js';
import { loadConfig } from '../../src/config/config.js';
import { ingestKnowledgeBase } from '../../src/ingest-knowledge-base.js';
import { runIngestion } from '../../src/ingest/run-ingestion.js';
import { createLogger } from '../../src/log.js';
import { HybridRetriever } from '../../src/retrieve/hybrid-retriever.js';
import { buildService } from '../../src/service.js';
import { LanceKnowledgeStore } from '../../src/store/lance-knowledge-store.js';
import { realEmbedders, tempDir } from '../support/real-stack.js';

let dir: string;
let cleanup: () => Promise<void>;
beforeAll(async () => {
  const temp = await tempDir('quality');
  dir = temp.dir;
  cleanup = temp.remove;
});
afterAll(() => cleanup?.());

describe('self-calibration at ingest (real models, real LanceDB)', () => {
  it('measures a threshold per language on the new version, stores it with the version, and the service uses it', async () => {
    const config = loadConfig({ DB_DIR: path.join(dir, 'sample'), LOG_LEVEL: 'silent', LANCEDB_READ_CONSISTENCY_SECONDS: '0', ANSWER_CACHE: 'false' });
    const embedders = await realEmbedders();
    const summary = await ingestKnowledgeBase(config, embedders);
    const calibration = summary.calibration!;
    expect(calibration).toMatchObject({ version: summary.version, target: 0.05, model: modelFingerprint() });
    for (const lang of ['zh', 'en'] as const) {
      const entry = calibration.languages[lang]!;
      expect(entry.positives).toBeGreaterThanOrEqual(12);
      expect(entry.threshold).toBeGreaterThan(0);
      expect(entry.threshold).toBeLessThan(1);
      // The out-of-domain bank must be easy to tell from the knowledge base's own questions.
      expect(entry.auroc).toBeGreaterThan(0.9);
      expect(entry.negativesRefused).toBeGreaterThan(0.8);
    }

    const store = await LanceKnowledgeStore.open(config.DB_DIR, config.TABLE_NAME);
    expect(await store.calibration(summary.version)).toEqual(calibration);
    store.close();

    // An unchanged re-run keeps the calibration as it is (nothing new to measure).
    const again = await ingestKnowledgeBase(config, embedders);
    expect(again.committed).toBe(false);
    expect(again.calibration).toEqual(calibration);

    const service = await buildService(config, createLogger('silent'), { embedders, chatModel: null });
    const answered = await request(service.app).post('/v1/ask').send({ question: '手环充满电要多久？' });
    expect(answered.body.threshold).toBe(calibration.languages.zh!.threshold);
    const english = await request(service.app).post('/v1/ask').send({ question: 'What is the capital of France?' });
    expect(english.body).toMatchObject({ refused: true, threshold: calibration.languages.en!.threshold });

    // A rollback makes an older version current again, with the calibration measured on it.
    const restored = await service.store.rollback(summary.version);
    expect((await service.store.calibration(restored))?.languages).toEqual(calibration.languages);
    await service.close();
  });
});

describe('cross-lingual retrieval', () => {
  // As in xquad's cross-lingual use: a knowledge base written in one language, asked in the other.
  const english = [
    { id: 'en-thermostat', question: 'Does the thermostat need a C-wire?', answer: 'Yes. The thermostat needs a common wire (C-wire) for power; use the adapter if your wall has none.' },
    { id: 'en-bulb', question: 'How bright is the smart bulb?', answer: 'The smart bulb gives 806 lumens, like a 60 W incandescent bulb.' },
    { id: 'en-shipping', question: 'How much does shipping cost?', answer: 'Shipping is free on orders over 50 dollars.' },
    { id: 'en-refund', question: 'When will I get my refund?', answer: 'Refunds reach your original payment method within 5 to 7 business days after inspection.' },
  ];
  const chinese = [
    { id: 'zh-band', question: '手环可以戴着游泳吗？', answer: '可以。手环防水等级为 5ATM，可以在泳池游泳，但不要洗热水澡或蒸桑拿。' },
    { id: 'zh-refund', question: '退款多久到账？', answer: '退货验收合格后 5 到 7 个工作日原路退回。' },
    { id: 'zh-lock', question: '门锁没电了怎么开门？', answer: '用 USB-C 充电宝给门锁底部的应急接口供电，再输入密码开门。' },
    { id: 'zh-shipping', question: '运费怎么算？', answer: '订单满 99 元包邮，不满 99 元收取 10 元运费。' },
  ];

  async function knowledgeBase(name: string, entries: { id: string; question: string; answer: string }[]) {
    const source = path.join(dir, name);
    await mkdir(source, { recursive: true });
    await writeFile(path.join(source, 'faq.jsonl'), entries.map((entry) => JSON.stringify(entry)).join('\n'));
    const embedders = await realEmbedders();
    const db = path.join(dir, `${name}-db`);
    await runIngestion({ source, dbDir: db, tableName: 'knowledge', embedders, maxFileBytes: 1 << 20, chunkMaxTokens: 320, chunkOverlapTokens: 48 });
    const store = await LanceKnowledgeStore.open(db, 'knowledge');
    const retriever = new HybridRetriever(embedders, store);
    const top = async (question: string, lang: 'zh' | 'en') => (await retrieveStage(retriever, question, lang, scopeQuestion(undefined, question))).ranked[0]?.docId;
    return { store, top };
  }

  it('finds answers in an English-only knowledge base for Chinese questions', async () => {
    const { store, top } = await knowledgeBase('english-only', english);
    expect(Object.keys(store.dimensions).sort()).toEqual(['vector', 'vector_en']);
    expect(await top('温控器需要接C线吗？', 'zh')).toBe('en-thermostat');
    expect(await top('智能灯泡有多亮？', 'zh')).toBe('en-bulb');
    expect(await top('退款多久能到账？', 'zh')).toBe('en-refund');
    store.close();
  });

  // English → Chinese is the weaker direction with bge-small-zh (README "Retrieval quality": cross-lingual hit@10).
  it('finds answers in a Chinese-only knowledge base for English questions', async () => {
    const { store, top } = await knowledgeBase('chinese-only', chinese);
    expect(await top('Can I go swimming with the band?', 'en')).toBe('zh-band');
    expect(await top('How do I open the door lock when its battery is dead?', 'en')).toBe('zh-lock');
    store.close();
  });
});
