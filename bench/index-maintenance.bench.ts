/**
 * `npm run bench:index [-- --scale 100k --documents 5]`: what a re-ingest of a few documents costs on a large
 * table, against rebuilding the indexes, in the same run. On a copy of the cached synthetic table (see
 * scale-tables.ts, which bench:ask --scale builds): replace `--documents` documents (new text and vectors) in
 * one commit, then bring the full-text and vector indexes up to date incrementally (what ingestion does);
 * the reference is a full-text index rebuilt from scratch and a vector index rebuilt from scratch.
 */
import { cp, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import * as lancedb from '@lancedb/lancedb';
import { loadConfig } from '../src/config/config.js';
import { loadEmbeddingSpaces } from '../src/embed/load-embedder.js';
import { fromColumns } from '../src/store/chunk-columns.js';
import type { ChunkRow } from '../src/store/knowledge-store.js';
import { LanceKnowledgeStore } from '../src/store/lance-knowledge-store.js';
import { round } from './stats.js';
import { parseScale, scaleTable } from './scale-tables.js';

const argument = (name: string) => {
  const index = process.argv.indexOf(name);
  return index >= 0 ? process.argv[index + 1] : undefined;
};
const rows = parseScale(argument('--scale') ?? '100k');
const documents = Number(argument('--documents') ?? 5);
const config = loadConfig({ ...process.env, LOG_LEVEL: 'silent' });
const embedders = await loadEmbeddingSpaces(config);
const table = await scaleTable(rows, embedders, { vectorIndexMinRows: config.VECTOR_INDEX_MIN_ROWS, log: console.log });
const dir = await mkdtemp(path.join(os.tmpdir(), 'kefu-bench-index-'));
const seconds = async (work: () => Promise<unknown>) => {
  const started = performance.now();
  await work();
  return (performance.now() - started) / 1000;
};
try {
  await cp(table.dbDir, dir, { recursive: true });
  const store = await LanceKnowledgeStore.open(dir, table.tableName);
  const indexed = await store.vectorIndexes();
  // The documents to change: the first chunk of each with new text (embedded for real); their other chunks go.
  const picked = (await store.table.query().where('chunk_index = 0').limit(documents).toArray()).map((row) => ({ ...fromColumns(row), audiences: Array.from(row.audiences as Iterable<string>) }));
  const changed: ChunkRow[] = [];
  for (const row of picked) {
    const text = `${row.text}\nUpdated: this answer was revised on ${new Date().toISOString().slice(0, 10)}.`;
    const out: Record<string, unknown> = { ...row, text, searchText: text, metadata: row.metadata };
    for (const space of embedders.covering(row.lang)) out[space.column] = (await space.embedder.embedPassages([text]))[0];
    for (const column of Object.keys(store.dimensions)) if (!(column in out) || !(out[column] instanceof Float32Array)) out[column] = new Float32Array(store.dimensions[column]);
    changed.push(out as unknown as ChunkRow);
  }
  const commit = await seconds(() => store.commit(changed, changed.map((row) => row.docId)));
  const unindexed = (await store.fullTextIndexCoverage()).unindexed;
  const update = await seconds(() => store.updateIndexes());
  const after = await store.fullTextIndexCoverage();
  const ftsRebuild = await seconds(() => store.buildFullTextIndex());
  // Rebuilding a vector index from scratch: the reference for what incremental maintenance avoids.
  const column = indexed[0];
  const vectorRebuild = column
    ? await seconds(() => store.table.createIndex(column, { config: lancedb.Index.hnswSq({ distanceType: 'cosine', numPartitions: 1 }), replace: true }))
    : Number.NaN;
  store.close();
  const result = {
    rows,
    documentsChanged: documents,
    rowsChanged: changed.length,
    vectorIndexes: indexed,
    commitSeconds: round(commit),
    unindexedAfterCommit: unindexed,
    incrementalIndexSeconds: round(update),
    fullTextCoverageAfter: after,
    fullTextRebuildSeconds: round(ftsRebuild),
    vectorIndexRebuildSeconds: round(vectorRebuild),
    reingestSeconds: round(commit + update),
    ratioToRebuild: +((commit + update) / (ftsRebuild + (Number.isNaN(vectorRebuild) ? 0 : vectorRebuild * indexed.length))).toFixed(3),
  };
  console.log(`${rows} rows; ${documents} documents changed (${changed.length} rows) in one commit: ${result.commitSeconds} s`);
  console.log(`incremental index update (full text + ${indexed.join(', ') || 'no vector index'}): ${result.incrementalIndexSeconds} s; full text then covers ${after.indexed} rows, ${after.unindexed} left out`);
  console.log(`reference: full-text index from scratch ${result.fullTextRebuildSeconds} s; one vector index from scratch ${result.vectorIndexRebuildSeconds} s (× ${indexed.length} columns)`);
  console.log(`re-ingest of ${documents} documents: ${result.reingestSeconds} s = ${result.ratioToRebuild}× rebuilding the indexes`);
  console.log(JSON.stringify(result));
} finally {
  await rm(dir, { recursive: true, force: true });
}
