import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import { createLogger } from '../../src/log.js';
import { buildService, type Service } from '../../src/service.js';
import { LanceKnowledgeStore } from '../../src/store/lance-knowledge-store.js';
import { runPreviousRelease } from '../support/previous-release.js';
import { realEmbedders, tempDir } from '../support/real-stack.js';

/**
 * The last commit whose code spoke the table's snake_case columns outside src/store/: the table it writes is what
 * every deployment holds, and the camelCase chunk records must read it as it is.
 */
const PREVIOUS_RELEASE = 'a5af05c';

/** What the previous release does: ingest one document with its own code (calibration included). */
const PREVIOUS_RELEASE_SCRIPT = `
import { loadConfig } from './src/config/config.js';
import { loadEmbeddingSpaces } from './src/embed/load-embedder.js';
import { ingestKnowledgeBase } from './src/ingest-knowledge-base.js';
const config = loadConfig();
const summary = await ingestKnowledgeBase(config, await loadEmbeddingSpaces(config));
process.stdout.write(JSON.stringify({ chunks: summary.chunksWritten }));
process.exit(0);
`;

const GUIDE = `---
title: Glow bulb
product_line: general
---
# Glow bulb

## Socket

The Glow bulb fits an E27 socket and gives 806 lumens of warm white light.

## Pairing

Switch the Glow bulb on and off three times; it blinks blue when it is ready to pair with the hub.
`;

let service: Service;
let cleanup: () => Promise<void>;
let env: Record<string, string>;
let written: { chunks: number };

beforeAll(async () => {
  const temp = await tempDir('table-upgrade');
  cleanup = temp.remove;
  const knowledge = path.join(temp.dir, 'knowledge');
  await mkdir(knowledge);
  await writeFile(path.join(knowledge, 'glow.md'), GUIDE);
  env = {
    DB_DIR: path.join(temp.dir, 'lancedb'),
    STATE_LOG_DIR: path.join(temp.dir, 'logs'),
    KNOWLEDGE_DIR: knowledge,
    PRODUCT_LINES_FILE: path.resolve('knowledge', 'product-lines.yaml'),
    MODELS_DIR: path.resolve('models'),
    // Not what this test is about, and each costs the child seconds: the multilingual space, the regression set.
    EMBEDDING_MODEL_MULTI: 'none',
    REGRESSION_GATE: 'false',
    LANCEDB_READ_CONSISTENCY_SECONDS: '0',
    LOG_LEVEL: 'silent',
  };
  const output = await runPreviousRelease(PREVIOUS_RELEASE, path.join(temp.dir, 'previous'), PREVIOUS_RELEASE_SCRIPT, env);
  written = JSON.parse(output);
  service = await buildService(loadConfig(env), createLogger('silent'), { embedders: await realEmbedders(), chatModel: null });
}, 180_000);

afterAll(async () => {
  await service?.close();
  await cleanup?.();
});

describe('a knowledge table written by the previous release', () => {
  it('reads back as camelCase chunk records', async () => {
    expect(written.chunks).toBe(2);
    const store = await LanceKnowledgeStore.open(env.DB_DIR, 'knowledge');
    try {
      const chunks = (await store.sampleChunks(10)).sort((a, b) => a.chunkIndex - b.chunkIndex);
      expect(chunks.map(({ docId, sourcePath, headingPath, productLine, chunkIndex }) => ({ docId, sourcePath, headingPath, productLine, chunkIndex }))).toEqual([
        { docId: 'glow.md', sourcePath: 'glow.md', headingPath: 'Glow bulb > Socket', productLine: 'general', chunkIndex: 0 },
        { docId: 'glow.md', sourcePath: 'glow.md', headingPath: 'Glow bulb > Pairing', productLine: 'general', chunkIndex: 1 },
      ]);
      expect(chunks.every((chunk) => chunk.searchText.includes('Glow bulb') && /^[0-9a-f]{64}$/.test(chunk.contentHash) && chunk.docHash.length > 0)).toBe(true);
      const [hit] = await store.fullTextSearch('lumens', 1, { docIds: ['glow.md'], productLines: ['general'] });
      expect(hit).toMatchObject({ docId: 'glow.md', headingPath: 'Glow bulb > Socket', audiences: ['public'] });
      expect((await store.documentHashes()).get('glow.md')).toMatchObject({ sourcePath: 'glow.md' });
    } finally {
      store.close();
    }
  });

  it('answers from it, citing the document by its path and heading', async () => {
    const asked = await request(service.app).post('/v1/ask').send({ question: 'Which socket does the Glow bulb fit?' });
    expect(asked.status, asked.text).toBe(200);
    expect(asked.body.answer).toContain('E27');
    expect(asked.body.sources[0]).toMatchObject({ docId: 'glow.md', path: 'glow.md', heading: 'Socket' });
  });
});
