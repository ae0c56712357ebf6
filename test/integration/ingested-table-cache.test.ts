import { cp, mkdir, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LanceKnowledgeStore } from '../../src/store/lance-knowledge-store.js';
import { ingestSampleKnowledge, tempDir } from '../support/real-stack.js';
import { TABLE_CACHE_ENV } from '../support/table-cache.js';

// The test helpers' cache of ingested tables (test/support/table-cache.ts), on a private cache folder so other files'
// entries do not count, and a small knowledge base (the policies) so each real ingestion takes seconds.
let root: string;
let cleanup: () => Promise<void>;
let runCache: string | undefined;

const entries = async () => (await readdir(path.join(root, 'cache'))).filter((name) => name.startsWith('entry-')).length;
const rows = async (dbDir: string) => {
  const store = await LanceKnowledgeStore.open(dbDir, 'knowledge');
  const docs = (await store.table.query().select(['doc_id']).toArray()).map((row) => row.doc_id as string).sort();
  store.close();
  return docs;
};
async function knowledgeCopy(name: string): Promise<Record<string, string>> {
  const knowledge = path.join(root, name);
  await mkdir(knowledge, { recursive: true });
  await cp('knowledge/product-lines.yaml', path.join(knowledge, 'product-lines.yaml'));
  await cp('knowledge/policies', path.join(knowledge, 'policies'), { recursive: true });
  return { KNOWLEDGE_DIR: knowledge, PRODUCT_LINES_FILE: path.join(knowledge, 'product-lines.yaml'), CALIBRATION_ENABLED: 'false', STATE_LOG_DIR: path.join(root, `${name}-state`) };
}

beforeAll(async () => {
  const temp = await tempDir('table-cache');
  root = temp.dir;
  cleanup = temp.remove;
  runCache = process.env[TABLE_CACHE_ENV];
  await mkdir(path.join(root, 'cache'));
  process.env[TABLE_CACHE_ENV] = path.join(root, 'cache');
});

afterAll(async () => {
  if (runCache === undefined) delete process.env[TABLE_CACHE_ENV];
  else process.env[TABLE_CACHE_ENV] = runCache;
  await cleanup?.();
});

describe('ingested tables shared within a test run', () => {
  it('gives a second identical ingestion (another copy of the folder, other service settings) a copy of the first table, which it changes alone', async () => {
    const first = await ingestSampleKnowledge(path.join(root, 'db-first'), await knowledgeCopy('first'));
    expect(await entries()).toBe(1);
    const second = await ingestSampleKnowledge(path.join(root, 'db-second'), { ...(await knowledgeCopy('second')), RATE_LIMIT_IP_BURST: '100000' });
    expect(await entries()).toBe(1);
    expect(second.DB_DIR).not.toBe(first.DB_DIR);
    const firstRows = await rows(first.DB_DIR);
    expect(firstRows.length).toBeGreaterThan(0);
    expect(await rows(second.DB_DIR)).toEqual(firstRows);

    const store = await LanceKnowledgeStore.open(second.DB_DIR, 'knowledge');
    await store.table.delete("doc_id = 'policies/returns.en.md'");
    store.close();
    expect(await rows(second.DB_DIR)).not.toContain('policies/returns.en.md');
    expect(await rows(first.DB_DIR)).toEqual(firstRows);
  });

  it('ingests anew when a knowledge file or a setting ingestion reads differs', async () => {
    const before = await entries();
    const changed = await knowledgeCopy('changed');
    await writeFile(path.join(changed.KNOWLEDGE_DIR, 'policies', 'gift-cards.md'), '# Gift cards\n\nLumora gift cards never expire.\n');
    const withFile = await ingestSampleKnowledge(path.join(root, 'db-changed'), changed);
    expect(await entries()).toBe(before + 1);
    expect(await rows(withFile.DB_DIR)).toContain('policies/gift-cards.md');

    const chunked = await ingestSampleKnowledge(path.join(root, 'db-chunked'), { ...(await knowledgeCopy('chunked')), CHUNK_MAX_TOKENS: '120' });
    expect(await entries()).toBe(before + 2);
    expect((await rows(chunked.DB_DIR)).length).toBeGreaterThan((await rows(path.join(root, 'db-first'))).length);
  });
});
