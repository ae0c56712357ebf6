import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import { ingestKnowledgeBase } from '../../src/ingest-knowledge-base.js';
import { createLogger } from '../../src/log.js';
import { buildService, type Service } from '../../src/service.js';
import { LanceKnowledgeStore } from '../../src/store/lance-knowledge-store.js';
import { type AnswerStack, startAnswerStack } from '../support/answer-stack.js';
import { realEmbedders, tempDir } from '../support/real-stack.js';
import { parseSse } from '../support/sse.js';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';

/**
 * The sample knowledge base's comparison table and screenshots through /v1/ask, with the real embedding models: a
 * question answered by one table row (quoted extractively, and given to the model as a row with its headers), the
 * row's chunk cited at its heading's anchor, and the cited sources' images in the JSON answer and the stream.
 */
let stack: AnswerStack;

beforeAll(async () => {
  // The table most files use without calibration (the regression gate left on): the run's cached copy serves.
  stack = await startAnswerStack('tables', { CALIBRATION_ENABLED: 'false', ANSWER_CACHE: 'false' });
}, 300_000);

afterAll(async () => {
  await stack?.close();
});

type Source = { n: number; docId: string; url?: string; images?: { url: string; alt?: string; caption?: string }[] };
const ask = (service: Service, body: Record<string, unknown>) => request(service.app).post('/v1/ask').set('content-type', 'application/json').send(body);

describe('tables in answers', () => {
  it('an extractive answer quotes the table row that answers, cited at the table heading anchor', async () => {
    const response = await ask(stack.extractive, { question: 'HK-2 降压线套件保修期是多久？' });
    expect(response.status).toBe(200);
    expect(response.body.mode).toBe('extractive');
    expect(response.body.answer).toMatch(/^型号: HK-2 降压线套件 \| 保修期: 1 年（配件） \|[^\n]*\| 重量: 60 克 \[\d\]$/);
    const cited = (response.body.citations as Source[]).find((source) => source.docId === 'policies/product-comparison.zh.md');
    expect(cited?.url).toBe(`https://help.lumora.example/zh/compare#${encodeURIComponent('车载设备')}`);
  });

  it('the model is given each row with its column headers and can quote it (zh)', async () => {
    let prompt = '';
    stack.llm.reply = (text) => {
      prompt = text;
      const source = [...text.matchAll(/<source n="(\d+)"[^>]*>\n([\s\S]*?)\n<\/source>/g)].find(([, , body]) => body!.includes('型号: Lock L1 智能门锁'));
      const row = source?.[2]?.split('\n').find((line) => line.startsWith('型号: Lock L1'));
      return source && row ? `Lock L1 智能门锁的重量是 3.1 千克：${row}[${source[1]}]` : '资料中没有。';
    };
    try {
      const response = await ask(stack.generated, { question: 'Lock L1 智能门锁有多重？' });
      expect(prompt).toContain('型号: Lock L1 智能门锁 | 保修期: 2 年 | 供电方式: 4 节 AA 碱性电池');
      expect(response.body.mode).toBe('generated');
      // Chinese answers get full-width punctuation: "重量：3.1 千克".
      expect(response.body.answer).toMatch(/重量[:：] ?3\.1 千克/);
      expect((response.body.citations as Source[]).map((source) => source.docId)).toContain('policies/product-comparison.zh.md');
    } finally {
      stack.llm.reply = undefined;
    }
  });
});

describe('images in answers', () => {
  const pairing = {
    url: 'https://help.lumora.example/images/en/pulse-band-3-pairing-code.png',
    alt: 'The Lumora Health app showing the six-digit pairing code next to the same code on the band',
    caption: 'Confirm that the code in the app matches the one on the band',
  };

  it('a source carries its screenshot in the JSON answer and in the stream', async () => {
    const question = 'How do I pair the Pulse Band 3 with my phone?';
    const json = await ask(stack.extractive, { question });
    const manual = (json.body.sources as Source[]).find((source) => source.docId === 'wearables/pulse-band-3-manual.en.md');
    expect(manual?.images).toEqual([pairing]);
    expect(manual?.url).toBe('https://help.lumora.example/en/wearables/pulse-band-3#pairing-with-your-phone');

    const streamed = await ask(stack.generated, { question, stream: true })
      .buffer(true)
      .parse((res, done) => {
        let text = '';
        res.on('data', (chunk: Buffer) => (text += chunk.toString()));
        res.on('end', () => done(null, text));
      });
    const events = parseSse(streamed.body as string);
    const sources = events.find((event) => event.event === 'meta')!.data.sources as Source[];
    expect(sources.find((source) => source.docId === 'wearables/pulse-band-3-manual.en.md')?.images).toEqual([pairing]);
  });

  it("the screenshot's alt text is searchable: a question about what it shows finds its chunk", async () => {
    const response = await ask(stack.extractive, { question: 'Where does the six-digit pairing code appear in the Lumora Health app?' });
    expect((response.body.sources as Source[]).slice(0, 3).some((source) => source.images?.some((image) => image.url === pairing.url))).toBe(true);
  });
});

describe('a table written before images and anchors', () => {
  it('opens, answers and takes a new ingestion: its rows have no images or anchors, new rows do', async () => {
    const temp = await tempDir('tables-old-rows');
    try {
      const knowledge = path.join(temp.dir, 'knowledge');
      await mkdir(knowledge, { recursive: true });
      const config = loadConfig({
        DB_DIR: path.join(temp.dir, 'db'),
        KNOWLEDGE_DIR: knowledge,
        LOG_LEVEL: 'silent',
        LANCEDB_READ_CONSISTENCY_SECONDS: '0',
        EMBEDDING_MODEL_MULTI: 'none',
        CALIBRATION_ENABLED: 'false',
        REGRESSION_GATE: 'false',
        ANSWER_CACHE: 'false',
      });
      const embedders = await realEmbedders();
      // Rows as today's code writes them: the document's metadata alone (no images, no anchor), in the same schema.
      const oldStore = await LanceKnowledgeStore.openOrCreate(config.DB_DIR, config.TABLE_NAME, embedders.dimensions);
      const text = 'The Glow bulb fits an E27 socket and gives 806 lumens of light.';
      const vectors: Record<string, Float32Array> = {};
      for (const space of embedders.all) [vectors[space.column]] = await space.embedder.embedPassages([`Glow\nGlow > Socket\n${text}`]);
      await oldStore.commit(
        [
          {
            id: 'glow.md#0',
            docId: 'glow.md',
            sourcePath: 'glow.md',
            title: 'Glow',
            headingPath: 'Glow > Socket',
            productLine: 'general',
            lang: 'en',
            kind: 'passage',
            text,
            searchText: `Glow\nGlow > Socket\n${text}`,
            contentHash: 'x',
            docHash: 'old',
            chunkIndex: 0,
            metadata: { url: 'https://help.lumora.example/glow' },
            audiences: ['public'],
            vector: vectors.vector!,
            ...vectors,
          },
        ],
        [],
      );
      await oldStore.buildFullTextIndex();
      oldStore.close();

      const before = await buildService(config, createLogger('silent'), { embedders, chatModel: null });
      try {
        const response = await ask(before, { question: 'Which socket does the Glow bulb need?' });
        expect(response.status).toBe(200);
        const source = (response.body.sources as Source[])[0];
        expect(source).toMatchObject({ docId: 'glow.md', url: 'https://help.lumora.example/glow' });
        expect(source?.images).toBeUndefined();
      } finally {
        await before.close();
      }

      await writeFile(
        path.join(knowledge, 'glow.md'),
        '---\nurl: https://help.lumora.example/glow\n---\n# Glow\n## Socket\nThe Glow bulb fits an E27 socket and gives 806 lumens of light.\n![The bulb in an E27 socket](/img/glow-socket.png)\n',
      );
      await ingestKnowledgeBase(config, embedders);
      const after = await buildService(config, createLogger('silent'), { embedders, chatModel: null });
      try {
        const source = ((await ask(after, { question: 'Which socket does the Glow bulb need?' })).body.sources as Source[])[0];
        expect(source).toMatchObject({
          docId: 'glow.md',
          url: 'https://help.lumora.example/glow#socket',
          images: [{ url: 'https://help.lumora.example/img/glow-socket.png', alt: 'The bulb in an E27 socket' }],
        });
      } finally {
        await after.close();
      }
    } finally {
      await temp.remove();
    }
  }, 120_000);
});
