import { mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Embedder } from '../../src/embed/embedder.js';
import { EmbeddingSpaces } from '../../src/embed/embedding-spaces.js';
import { acquireIngestLock, LockHeldError } from '../../src/ingest/lock.js';
import { type CalibrationHook, type IngestOptions, runIngestion } from '../../src/ingest/run-ingestion.js';
import { fromColumns } from '../../src/store/chunk-columns.js';
import type { Calibration } from '../../src/store/knowledge-store.js';
import { LanceKnowledgeStore } from '../../src/store/lance-knowledge-store.js';
import { ProductLineClassifier, loadProductLineRules } from '../../src/classify/product-lines.js';
import { makePdf } from '../support/pdf.js';
import { realEmbedders, tempDir } from '../support/real-stack.js';

/** Counts what the real model is asked to embed, so tests can prove nothing was re-embedded. */
function countingEmbedder(inner: Embedder) {
  const counter = { passages: 0, failAfter: Infinity };
  const embedder: Embedder = {
    get modelKey() {
      return inner.modelKey;
    },
    dimension: inner.dimension,
    maxEmbeddingsPerCall: 8,
    countTokens: (text) => inner.countTokens(text),
    embedQuery: (text) => inner.embedQuery(text),
    async embedPassages(texts) {
      if (counter.passages + texts.length > counter.failAfter) throw new Error('simulated crash in the middle of embedding');
      counter.passages += texts.length;
      return inner.embedPassages(texts);
    },
  };
  return { embedder, counter };
}

let model: Embedder;
let source: string;
let db: string;
let cleanup: () => Promise<void>;

beforeAll(async () => {
  model = (await realEmbedders()).primary;
});

beforeEach(async () => {
  const temp = await tempDir('ingest');
  cleanup = temp.remove;
  source = path.join(temp.dir, 'docs');
  db = path.join(temp.dir, 'db');
  await mkdir(path.join(source, 'manuals'), { recursive: true });
  await writeFile(path.join(source, 'manuals/thermostat.md'), '---\ntitle: Thermostat guide\nproduct_line: A\n---\n# Thermostat guide\n## Wiring\nThe thermostat needs a C-wire for power.\n## Eco mode\nEco mode lowers heating to 16 °C when nobody is home.\n');
  await writeFile(path.join(source, 'manuals/band.zh.md'), '# 手环说明书\n## 防水\n手环防水等级为 5ATM，可以在泳池游泳，但不能洗热水澡。\n## 续航\n典型使用续航最长十四天。\n');
  await writeFile(path.join(source, 'hub.html'), '<html><head><title>Hub lights</title></head><body><h1>Hub lights</h1><p>Solid orange means no internet.</p><script>evil()</script></body></html>');
  await writeFile(path.join(source, 'lock.txt'), 'Lock quick start\n\nThe lock uses four AA batteries that last ten months.');
  await writeFile(path.join(source, 'faq.csv'), 'id,question,answer,product_line\nfaq-1,How long is the warranty?,Two years for devices.,general\nfaq-2,退货运费谁出？,质量问题由我们承担运费。,general\n');
  await writeFile(path.join(source, 'faq.jsonl'), '{"id":"faq-3","question":"Does the dash cam have a battery?","answer":"No, it uses a supercapacitor.","product_line":"C"}\n');
  await writeFile(path.join(source, 'manual.pdf'), await makePdf(['Glow bulb troubleshooting. If the bulb flickers, remove the dimmer switch.', 'Page two: colour calibration.']));
  await writeFile(path.join(source, 'notes.docx'), 'not supported');
});

afterEach(() => cleanup());

const options = (embedder: Embedder, extra: Partial<IngestOptions> = {}): IngestOptions => ({
  source,
  dbDir: db,
  tableName: 'knowledge',
  embedders: new EmbeddingSpaces(embedder),
  maxFileBytes: 1024 * 1024,
  chunkMaxTokens: 320,
  chunkOverlapTokens: 48,
  ...extra,
});

describe('ingestion into LanceDB with the real model', () => {
  it('ingests every format, tags chunks, and finds Chinese chunks by Chinese full-text search', async () => {
    const summary = await runIngestion(options(model));
    expect(summary.documents).toEqual({ added: 8, updated: 0, unchanged: 0, removed: 0, failed: 0 });
    expect(summary.ignored).toEqual(['notes.docx']);
    const store = await LanceKnowledgeStore.open(db, 'knowledge');
    const rows = await store.table.query().select(['id', 'doc_id', 'kind', 'lang', 'heading_path', 'product_line', 'source_path', 'text']).toArray();
    const byDoc = (docId: string) => rows.filter((row) => row.doc_id === docId);
    expect(byDoc('faq-1')).toHaveLength(1);
    expect(byDoc('faq-1')[0]).toMatchObject({ id: 'faq-1', kind: 'faq', product_line: 'general', lang: 'en', text: 'How long is the warranty?\nTwo years for devices.' });
    expect(byDoc('faq-2')[0].lang).toBe('zh');
    expect(byDoc('manuals/thermostat.md').map((row) => row.heading_path).sort()).toEqual(['Thermostat guide > Eco mode', 'Thermostat guide > Wiring']);
    expect(byDoc('manuals/band.zh.md')[0]).toMatchObject({ lang: 'zh' });
    expect(byDoc('manual.pdf').map((row) => row.heading_path)).toEqual(['p. 1', 'p. 2']);
    expect(byDoc('hub.html')[0].text).not.toContain('evil');

    const chinese = await store.fullTextSearch('泳池游泳', 5);
    expect(chinese[0].docId).toBe('manuals/band.zh.md');
    const english = await store.fullTextSearch('supercapacitor', 5);
    expect(english[0].docId).toBe('faq-3');
    const semantic = await store.vectorSearch(await model.embedQuery('可以戴着手环游泳吗'), 3);
    expect(semantic[0].docId).toBe('manuals/band.zh.md');
    store.close();
  });

  it('re-embeds nothing when nothing changed, and only what changed otherwise', async () => {
    await runIngestion(options(model));
    const { embedder, counter } = countingEmbedder(model);
    const unchanged = await runIngestion(options(embedder));
    expect(counter.passages).toBe(0);
    expect(unchanged.committed).toBe(false);
    expect(unchanged.documents).toMatchObject({ unchanged: 8, added: 0, updated: 0, removed: 0 });

    await writeFile(path.join(source, 'lock.txt'), 'Lock quick start\n\nThe lock uses four AA batteries that last twelve months.');
    await rm(path.join(source, 'hub.html'));
    await writeFile(path.join(source, 'faq.csv'), 'id,question,answer,product_line\nfaq-1,How long is the warranty?,Two years for devices.,general\nfaq-2,退货运费谁出？,七天无理由退货由买家承担运费。,general\n');
    const changed = await runIngestion(options(embedder));
    expect(changed.documents).toMatchObject({ updated: 2, removed: 1, unchanged: 5, added: 0 });
    expect(counter.passages).toBe(2);
    expect(changed.version).toBeGreaterThan(unchanged.version);

    const store = await LanceKnowledgeStore.open(db, 'knowledge');
    const docs = await store.documentHashes();
    expect(docs.has('hub.html')).toBe(false);
    const lock = await store.table.query().where("doc_id = 'lock.txt'").toArray();
    expect(lock.map((row) => row.text)).toEqual(['The lock uses four AA batteries that last twelve months.']);
    expect((await store.fullTextSearch('twelve', 3))[0].docId).toBe('lock.txt');
    store.close();
  });

  it('gives each document its audiences (its own, then its folder’s, then the run’s), re-writes only those whose audiences change, and keeps a document’s version when its folder’s rules break', async () => {
    await writeFile(path.join(source, 'manuals', '.audiences.yaml'), 'audiences: [agents]\nfiles:\n  band.zh.md: [partners]\n');
    await writeFile(path.join(source, 'faq.jsonl'), '{"id":"faq-3","question":"Does the dash cam have a battery?","answer":"No, it uses a supercapacitor.","product_line":"C","audiences":["public"]}\n');
    await runIngestion(options(model, { defaultAudiences: ['staff'] }));
    const audiencesByDoc = async () => {
      const store = await LanceKnowledgeStore.open(db, 'knowledge');
      const rows = await store.sampleChunks(1000);
      store.close();
      return Object.fromEntries(rows.map((row) => [row.docId, row.audiences]));
    };
    expect(await audiencesByDoc()).toMatchObject({ 'manuals/thermostat.md': ['agents'], 'manuals/band.zh.md': ['partners'], 'lock.txt': ['staff'], 'faq-3': ['public'] });
    // A key for agents finds the thermostat guide; the public does not, in either search.
    const store = await LanceKnowledgeStore.open(db, 'knowledge');
    expect((await store.fullTextSearch('thermostat C-wire', 5, { audiences: ['agents'] })).map((hit) => hit.docId)).toContain('manuals/thermostat.md');
    expect((await store.fullTextSearch('thermostat C-wire', 5, { audiences: ['public'] })).map((hit) => hit.docId)).not.toContain('manuals/thermostat.md');
    const vector = await model.embedQuery('thermostat wiring');
    expect((await store.vectorSearch(vector, 20, { audiences: ['public'] })).every((hit) => hit.audiences?.includes('public'))).toBe(true);
    store.close();

    // The folder opens up: only its two documents are written again.
    await writeFile(path.join(source, 'manuals', '.audiences.yaml'), 'audiences: [public]\n');
    const { embedder, counter } = countingEmbedder(model);
    const opened = await runIngestion(options(embedder, { defaultAudiences: ['staff'] }));
    expect(opened.documents).toMatchObject({ updated: 2, added: 0, removed: 0 });
    expect((await audiencesByDoc())['manuals/band.zh.md']).toEqual(['public']);
    expect(counter.passages).toBeGreaterThan(0);

    // A broken rules file fails its folder's documents, which keep what they had, and publishes nothing new.
    await writeFile(path.join(source, 'manuals', '.audiences.yaml'), 'audiences: [Not Valid]\n');
    await writeFile(path.join(source, 'manuals', 'secret.md'), '# Secret\n\nOnly for agents.\n');
    const broken = await runIngestion(options(model, { defaultAudiences: ['staff'] }));
    expect(broken.failures.map((failure) => failure.path).sort()).toEqual(['manuals/band.zh.md', 'manuals/secret.md', 'manuals/thermostat.md']);
    const after = await audiencesByDoc();
    expect(after['manuals/secret.md']).toBeUndefined();
    expect(after['manuals/thermostat.md']).toEqual(['public']);
  });

  it('reports bad files by path and reason, ingests the rest, and keeps a failed file’s previous chunks', async () => {
    await runIngestion(options(model));
    await writeFile(path.join(source, 'empty.md'), '');
    await writeFile(path.join(source, 'binary.txt'), Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x00, 0x00, 0x01]));
    await writeFile(path.join(source, 'corrupt.pdf'), Buffer.concat([Buffer.from('%PDF-1.4\n'), Buffer.alloc(200, 7)]));
    await writeFile(path.join(source, 'locked.pdf'), await makePdf(['secret'], { userPassword: 'pw', ownerPassword: 'owner' }));
    await writeFile(path.join(source, 'big.txt'), 'x'.repeat(2 * 1024 * 1024));
    await writeFile(path.join(source, 'new.md'), '# New\nA new page about pairing.');
    // A file that ingested before and is now corrupt keeps serving its old chunks.
    await writeFile(path.join(source, 'manual.pdf'), 'this is not a pdf any more');
    await writeFile(path.join(source, 'faq.jsonl'), '{"id":"faq-3","question":"Does the dash cam have a battery?","answer":"No, it uses a supercapacitor.","product_line":"C"}\n{broken json\n');

    const summary = await runIngestion(options(model));
    const reasons = Object.fromEntries(summary.failures.map((failure) => [failure.path, failure.reason]));
    expect(reasons['empty.md']).toMatch(/empty/);
    expect(reasons['binary.txt']).toMatch(/binary/);
    expect(reasons['corrupt.pdf']).toMatch(/PDF/);
    expect(reasons['locked.pdf']).toMatch(/encrypted/);
    expect(reasons['big.txt']).toMatch(/over the 1048576-byte limit/);
    expect(reasons['manual.pdf']).toMatch(/not a PDF/);
    expect(reasons['faq.jsonl:line 2']).toMatch(/invalid JSON/);
    expect(summary.documents.failed).toBe(7);
    expect(summary.documents.added).toBe(1);
    expect(summary.documents.removed).toBe(0);
    const store = await LanceKnowledgeStore.open(db, 'knowledge');
    const docs = await store.documentHashes();
    expect(docs.has('manual.pdf')).toBe(true);
    expect(docs.has('new.md')).toBe(true);
    expect(docs.has('faq-3')).toBe(true);
    store.close();
  });

  it('a run that crashes midway commits nothing: the previous version keeps serving', async () => {
    const first = await runIngestion(options(model));
    await writeFile(path.join(source, 'lock.txt'), 'Lock quick start\n\nCompletely different text now.');
    await writeFile(path.join(source, 'extra.md'), '# Extra\nMore text.\n\n' + 'Another sentence. '.repeat(200));
    const { embedder, counter } = countingEmbedder(model);
    counter.failAfter = 2;
    await expect(runIngestion(options(embedder))).rejects.toThrow(/simulated crash/);
    const store = await LanceKnowledgeStore.open(db, 'knowledge');
    expect(await store.version()).toBe(first.version);
    const lock = await store.table.query().where("doc_id = 'lock.txt'").toArray();
    expect(lock[0].text).toContain('ten months');
    store.close();
    // The lock was released, so the next run works.
    const retry = await runIngestion(options(model));
    expect(retry.documents).toMatchObject({ updated: 1, added: 1 });
  });

  it('a serving reader moves to the version a later run commits; overlapping reads of it share one', async () => {
    const first = await runIngestion(options(model));
    const reader = await LanceKnowledgeStore.open(db, 'knowledge', { readConsistencySeconds: 0 });
    const overlapping = await Promise.all([reader.servingVersion(), reader.servingVersion(), reader.servingVersion()]);
    expect(overlapping).toEqual([first.version, first.version, first.version]);
    await writeFile(path.join(source, 'lock.txt'), 'Lock quick start\n\nThe lock now takes a rechargeable pack.');
    const second = await runIngestion(options(model));
    expect(second.version).toBeGreaterThan(first.version);
    expect(await reader.servingVersion()).toBe(second.version);
    reader.close();
  });

  it('lists versions and rolls back to an earlier one', async () => {
    const first = await runIngestion(options(model));
    await writeFile(path.join(source, 'lock.txt'), 'Lock quick start\n\nThe batteries last twelve months.');
    const second = await runIngestion(options(model));
    const store = await LanceKnowledgeStore.open(db, 'knowledge');
    const versions = await store.listVersions();
    expect(versions.filter((version) => version.tag?.startsWith('ingest-')).map((version) => version.version)).toEqual([first.version, second.version]);
    const restored = await store.rollback(first.version);
    expect(restored).toBeGreaterThan(second.version);
    const lock = await store.table.query().where("doc_id = 'lock.txt'").toArray();
    expect(lock[0].text).toContain('ten months');
    expect((await store.fullTextSearch('ten months', 3))[0].docId).toBe('lock.txt');
    store.close();
  });

  it('refuses a second concurrent run with a clear message, and takes over a dead process’s lock', async () => {
    const held = await acquireIngestLock({ dbDir: db, tableName: 'knowledge' });
    await expect(runIngestion(options(model))).rejects.toThrow(LockHeldError);
    await expect(runIngestion(options(model))).rejects.toThrow(/Another ingestion of table "knowledge" is running \(pid \d+/);
    await held.release();
    await writeFile(path.join(db, '.knowledge.ingest.lock'), JSON.stringify({ pid: 2 ** 22 + 12345, host: (await import('node:os')).hostname(), startedAt: 'earlier' }));
    const summary = await runIngestion(options(model));
    expect(summary.documents.added).toBe(8);
  });

  it('ingests an evaluation corpus (JSONL) into its own table and keeps ids and metadata', async () => {
    const corpus = path.join(source, '..', 'corpus.jsonl');
    await writeFile(corpus, '{"id":"doc-7","title":"Pandas","text":"大熊猫主要以竹子为食。","lang":"zh","url":"https://example.org"}\n{"id":"doc-8","title":"Rivers","text":"The Yangtze is the longest river in Asia.","lang":"en"}\n');
    const summary = await runIngestion({ ...options(model), source: corpus, tableName: 'eval_corpus' });
    expect(summary.documents.added).toBe(2);
    const store = await LanceKnowledgeStore.open(db, 'eval_corpus');
    const rows = await store.table.query().select(['doc_id', 'metadata', 'search_text']).toArray();
    expect(rows.map((row) => row.doc_id).sort()).toEqual(['doc-7', 'doc-8']);
    expect(JSON.parse(rows.find((row) => row.doc_id === 'doc-7')!.metadata)).toEqual({ url: 'https://example.org' });
    expect(rows.every((row) => !row.search_text.includes('example.org'))).toBe(true);
    expect((await store.fullTextSearch('竹子', 2))[0].docId).toBe('doc-7');
    store.close();
  });

  it('files a document with an unknown product line under general, with a warning', async () => {
    await writeFile(path.join(source, 'odd.jsonl'), '{"id":"faq-odd","question":"Odd line?","answer":"Filed anyway.","product_line":"__proto__"}\n');
    const classifier = new ProductLineClassifier(await loadProductLineRules('knowledge/product-lines.yaml'));
    const summary = await runIngestion({ ...options(model), classifier });
    expect(summary.warnings).toEqual(['odd.jsonl (faq-odd): unknown product line "__proto__", filed under general']);
    const store = await LanceKnowledgeStore.open(db, 'knowledge');
    const [row] = await store.table.query().where("doc_id = 'faq-odd'").select(['product_line']).toArray();
    expect(row.product_line).toBe('general');
    store.close();
  });

  it('repairs what a crash after the commit left: rows missing from the full-text index, an untagged version', async () => {
    await runIngestion(options(model));
    // Simulate a run that committed new rows and died before the index rebuild and the tag.
    const store = await LanceKnowledgeStore.open(db, 'knowledge');
    const [template] = await store.table.query().limit(1).toArray();
    const { vector, ...rest } = fromColumns(template);
    await store.commit([{ ...rest, id: 'orphan#0', docId: 'orphan', text: 'unindexed zebra text', searchText: 'unindexed zebra text', vector: Float32Array.from(vector) }], []);
    expect((await store.fullTextIndexCoverage()).unindexed).toBe(1);
    expect(await store.currentVersionTagged()).toBe(false);
    store.close();

    const repaired = await runIngestion(options(model));
    const after = await LanceKnowledgeStore.open(db, 'knowledge');
    expect((await after.fullTextIndexCoverage()).unindexed).toBe(0);
    expect(await after.currentVersionTagged()).toBe(true);
    expect(repaired.documents.removed).toBe(1);
    after.close();
  });

  it('calibrates through the hook the composition root hands in: on each committed version, and again only when the stored one is no longer current', async () => {
    const calls: number[] = [];
    let fingerprint = 'model-a';
    const hook: CalibrationHook = {
      isCurrent: (calibration) => calibration.model === fingerprint,
      calibrate: async (store, version) => {
        calls.push(version);
        expect(await store.countRows()).toBeGreaterThan(0);
        return { version, at: new Date().toISOString(), target: 0.05, model: fingerprint, languages: {} } satisfies Calibration;
      },
    };
    const first = await runIngestion(options(model, { calibration: hook }));
    expect(calls).toEqual([first.version]);
    expect(first.calibration).toMatchObject({ version: first.version, model: 'model-a' });

    // Nothing changed and the stored calibration is current: kept as it is.
    const unchanged = await runIngestion(options(model, { calibration: hook }));
    expect(unchanged.committed).toBe(false);
    expect(calls).toHaveLength(1);
    expect(unchanged.calibration).toEqual(first.calibration);

    // Nothing changed, but what measures answers did: calibrated again on the same version.
    fingerprint = 'model-b';
    const remeasured = await runIngestion(options(model, { calibration: hook }));
    expect(calls).toEqual([first.version, remeasured.version]);
    expect(remeasured.calibration).toMatchObject({ model: 'model-b' });

    // Without a hook, ingestion calibrates nothing and knows nothing of answering.
    await writeFile(path.join(source, 'lock.txt'), 'Lock quick start\n\nThe lock uses four AA batteries that last a year.');
    const plain = await runIngestion(options(model));
    expect(plain.committed).toBe(true);
    expect(calls).toHaveLength(2);
  });

  it('lists symbolic links as ignored, with the reason, and never follows them', async () => {
    const outside = path.join(path.dirname(source), 'outside.md');
    await writeFile(outside, '# Secret\nNot part of the knowledge base.');
    await symlink(outside, path.join(source, 'linked.md'));
    const summary = await runIngestion(options(model));
    expect(summary.ignored).toContain('linked.md (symbolic link, not followed)');
    const store = await LanceKnowledgeStore.open(db, 'knowledge');
    expect(await store.table.countRows("source_path = 'linked.md'")).toBe(0);
    store.close();
  });
});
