import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LanceKnowledgeStore } from '../../src/store/lance-knowledge-store.js';
import { ingestSampleKnowledge, realEmbedders, tempDir } from '../support/real-stack.js';

let cleanup: (() => Promise<void>) | undefined;
afterAll(() => cleanup?.());

describe('approximate vector index past VECTOR_INDEX_MIN_ROWS', () => {
  it('is built once the table passes the size, finds what the flat scan finds, and stays current across runs', async () => {
    const temp = await tempDir('vector-index');
    cleanup = temp.remove;
    // No regression gate: the index is what this proves (the gate has regression-gate.test.ts), and each ingestion here is its own.
    const small = await ingestSampleKnowledge(path.join(temp.dir, 'flat'), { VECTOR_INDEX_MIN_ROWS: '100000', CALIBRATION_ENABLED: 'false', REGRESSION_GATE: 'false' });
    const flatStore = await LanceKnowledgeStore.open(small.DB_DIR, small.TABLE_NAME);
    expect(await flatStore.vectorIndexes()).toEqual([]);
    const scalarIndexed = async (target: LanceKnowledgeStore) => (await target.table.listIndices()).filter((entry) => entry.indexType === 'Bitmap').flatMap((entry) => entry.columns).sort();
    expect(await scalarIndexed(flatStore)).toEqual([]);
    flatStore.close();

    const config = await ingestSampleKnowledge(path.join(temp.dir, 'indexed'), { VECTOR_INDEX_MIN_ROWS: '100', CALIBRATION_ENABLED: 'false', REGRESSION_GATE: 'false' });
    const store = await LanceKnowledgeStore.open(config.DB_DIR, config.TABLE_NAME);
    expect((await store.vectorIndexes()).sort()).toEqual(['vector', 'vector_en']);
    // The columns searches filter by get bitmap indexes at the same size.
    expect(await scalarIndexed(store)).toEqual(['lang', 'product_line']);

    const embedders = await realEmbedders();
    const questions = ['Can I swim with the Pulse Band 3?', '手环续航多久？', 'How do I reset the Hub H1?', '行车记录仪用多大的存储卡？', 'Does parking mode drain my car battery?', '门锁没电了怎么开门？'];
    let found = 0;
    let expected = 0;
    for (const question of questions) {
      for (const space of embedders.all) {
        const vector = await space.embedder.embedQuery(question);
        const filter = space.languages ? `lang = '${space.languages[0]}'` : undefined;
        const hits = await store.vectorSearch(vector, 10, space.languages ? { languages: [space.languages[0]] } : undefined, space.column);
        const indexed = hits.map((chunk) => chunk.id);
        let flat = store.table.vectorSearch(Array.from(vector)).column(space.column).distanceType('cosine').limit(10).bypassVectorIndex();
        if (filter) flat = flat.where(filter);
        const exactRows = await flat.toArray();
        const exact = exactRows.map((row) => row.id as string);
        expect(indexed[0], question).toBe(exact[0]);
        // The scores are cosine similarities either way (answerability reads them): refined, the index's are exact.
        expect(hits[0].score, question).toBeCloseTo(1 - (exactRows[0]._distance as number), 3);
        found += exact.filter((id) => indexed.includes(id)).length;
        expected += exact.length;
      }
    }
    // recall@10 of the index against the exact scan
    expect(found / expected).toBeGreaterThanOrEqual(0.98);
    store.close();

    // A later run that changes a document keeps the index, and the changed rows are found.
    const { writeFile, cp } = await import('node:fs/promises');
    const knowledge = path.join(temp.dir, 'knowledge');
    await cp('knowledge', knowledge, { recursive: true });
    await writeFile(path.join(knowledge, 'policies', 'gift-cards.md'), '# Gift cards\n\nLumora gift cards never expire and work on every product in the online store.\n');
    const { ingestKnowledgeBase } = await import('../../src/ingest-knowledge-base.js');
    const second = await ingestKnowledgeBase({ ...config, KNOWLEDGE_DIR: knowledge, PRODUCT_LINES_FILE: path.join(knowledge, 'product-lines.yaml') }, embedders);
    expect(second.committed).toBe(true);
    const after = await LanceKnowledgeStore.open(config.DB_DIR, config.TABLE_NAME);
    expect((await after.vectorIndexes()).sort()).toEqual(['vector', 'vector_en']);
    // Found through the language filter: the new rows are in the bitmap index too (or searched besides it).
    const hits = await after.vectorSearch(await embedders.all[1].embedder.embedQuery('Do gift cards expire?'), 3, { languages: ['en'] }, 'vector_en');
    expect(hits[0].docId).toBe('policies/gift-cards.md');
    expect(await scalarIndexed(after)).toEqual(['lang', 'product_line']);
    // Every answer filters by audience (docs/audiences.md): a label-list index on the column, and the filtered search
    // through the vector index finds the same first hit.
    expect((await after.table.listIndices()).find((entry) => entry.columns.includes('audiences'))?.indexType).toMatch(/label/i);
    const forPublic = await after.vectorSearch(await embedders.all[1].embedder.embedQuery('Do gift cards expire?'), 3, { languages: ['en'], audiences: ['public'] }, 'vector_en');
    expect(forPublic[0].docId).toBe('policies/gift-cards.md');
    expect(await after.vectorSearch(await embedders.all[1].embedder.embedQuery('Do gift cards expire?'), 3, { languages: ['en'], audiences: ['agents'] }, 'vector_en')).toEqual([]);
    after.close();
  });
});
