import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { ChunkRow } from '../../src/store/knowledge-store.js';
import { LanceKnowledgeStore } from '../../src/store/lance-knowledge-store.js';
import { tempDir } from '../support/real-stack.js';

let cleanup: (() => Promise<void>) | undefined;
afterAll(() => cleanup?.());

/** Real support and encyclopedia text (the public corpora), repeated with the row number to make `count` rows. */
function rows(texts: string[], count: number, from = 0): ChunkRow[] {
  return Array.from({ length: count }, (_, offset) => {
    const index = from + offset;
    const text = `${texts[index % texts.length]} (${index})`;
    return {
      id: `doc-${index}`, docId: `doc-${index}`, sourcePath: 'corpus.jsonl', title: `Doc ${index}`, headingPath: '', productLine: 'general', lang: 'en',
      kind: 'passage', text, searchText: text, contentHash: String(index), docHash: String(index), chunkIndex: 0, metadata: {},
      vector: Float32Array.of(1, index % 7, index % 11, 1),
    };
  });
}

async function corpusTexts(): Promise<string[]> {
  const texts: string[] = [];
  for (const file of ['alibabacloud-ecs-faq-en-zh/corpus.jsonl', 'xquad-en-zh/corpus.jsonl']) {
    for (const line of (await readFile(path.resolve('../shared/data', file), 'utf8')).split('\n')) if (line.trim()) texts.push((JSON.parse(line) as { text: string }).text);
  }
  return texts;
}

describe('indexes of a table past 25k rows', () => {
  // A first ingestion of a large knowledge base, then a re-ingest of one document: the index grows, it is not rebuilt.
  // (On 2 cores LanceDB once hung building this index until its CPU pool got more threads: see lance-runtime.ts.)
  it('builds the full-text index over 40k rows of real text, then adds new rows to it incrementally', async () => {
    const temp = await tempDir('large-table');
    cleanup = temp.remove;
    const store = await LanceKnowledgeStore.openOrCreate(temp.dir, 'knowledge', { vector: 4 });
    const texts = await corpusTexts();
    // One commit, one fragment: what a first ingestion of a large knowledge base writes.
    await store.commit(rows(texts, 40_000), []);
    await store.buildFullTextIndex();
    expect(await store.fullTextIndexCoverage()).toEqual({ indexed: 40_000, unindexed: 0 });

    await store.commit([{ ...rows(texts, 1, 40_000)[0], text: 'zebra unicorn 斑马', searchText: 'zebra unicorn 斑马' }], ['doc-40000']);
    expect((await store.fullTextIndexCoverage()).unindexed).toBe(1);
    await store.updateIndexes();
    expect(await store.fullTextIndexCoverage()).toEqual({ indexed: 40_001, unindexed: 0 });
    expect((await store.fullTextSearch('斑马', 3)).map((hit) => hit.id)).toEqual(['doc-40000']);
    expect((await store.fullTextSearch(texts[5].split(/\s+/).slice(0, 12).join(' '), 40)).map((hit) => hit.id)).toContain('doc-5');
    store.close();
  }, 120_000);
});
