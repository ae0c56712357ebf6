/**
 * `npm run bench:gate [-- --rows 10000]`: what the regression gate costs on a 10k-chunk table, as a share of the
 * ingestion it runs in, measured in the same run (and what the contradiction check costs beside it).
 *
 * The table: the sample knowledge base ingested for real (its 333 chunks, and the seeded regression set of 104
 * dev-set questions, whose documents are in it), grown to `--rows` chunks with replicas of its rows (perturbed
 * text and vectors, as scale-tables.ts makes them, each its own document under `replica/`, which the ingestion
 * run keeps as it keeps a source it did not load), then indexed as ingestion indexes a table that size.
 * The ingestion measured: one document of the knowledge folder edited, then the real incremental run (load,
 * hash, embed what changed, commit, indexes, near-duplicates, self-calibration, the gate, publish), twice: the
 * second is the steady state (the published version's answers are kept with it). Its summary says how long the
 * gate took within it. The full first ingestion of the sample (333 chunks) is the other
 * reference: a full 10k ingestion is estimated from its measured embedding rate (embedding 10k chunks takes
 * most of an hour on 2 cores here).
 */
import { appendFile, cp, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import * as lancedb from '@lancedb/lancedb';
import { ProductLineClassifier, loadProductLineRules } from '../src/classify/product-lines.js';
import { loadConfig } from '../src/config/config.js';
import { loadEmbeddingSpaces } from '../src/embed/load-embedder.js';
import { ingestKnowledgeBase, knowledgeBaseGate, notDocuments, runSettings } from '../src/ingest-knowledge-base.js';
import { runIngestion } from '../src/ingest/run-ingestion.js';
import { fromColumns, toColumns } from '../src/store/chunk-columns.js';
import type { ChunkRow } from '../src/store/knowledge-store.js';
import { chunkSchema, LanceKnowledgeStore } from '../src/store/lance-knowledge-store.js';
import { perturbRow, seededRandom } from './scale-tables.js';

const argument = (name: string) => {
  const index = process.argv.indexOf(name);
  return index >= 0 ? process.argv[index + 1] : undefined;
};
const rows = Number(argument('--rows') ?? 10_000);
const dir = await mkdtemp(path.join(os.tmpdir(), 'kefu-bench-gate-'));
const knowledge = path.join(dir, 'knowledge');
const r = (value: number, digits = 2) => Math.round(value * 10 ** digits) / 10 ** digits;

try {
  await cp('knowledge', knowledge, { recursive: true });
  const config = loadConfig({
    EMBEDDING_MODEL_MULTI: 'none',
    ...process.env,
    LOG_LEVEL: 'silent',
    DB_DIR: path.join(dir, 'db'),
    KNOWLEDGE_DIR: knowledge,
    PRODUCT_LINES_FILE: path.join(knowledge, 'product-lines.yaml'),
    STATE_LOG_DIR: path.join(dir, 'logs'),
  });
  const embedders = await loadEmbeddingSpaces(config);
  const first = await ingestKnowledgeBase(config, embedders);
  console.error(`sample ingested: ${first.chunksWritten} chunks in ${r(first.seconds)} s (gate ${first.gate?.seconds} s, first version: nothing to compare)`);

  // Grow the table to `rows` chunks with replicas, in one commit, then index it as ingestion would at that size.
  const store = await LanceKnowledgeStore.openOrCreate(config.DB_DIR, config.TABLE_NAME, embedders.dimensions);
  const columns = Object.keys(embedders.dimensions);
  const base = ((await store.table.query().toArray()) as Record<string, unknown>[]).map((row) => {
    const out: Record<string, unknown> = { ...(fromColumns(row) as unknown as Record<string, unknown>), audiences: Array.from(row.audiences as Iterable<string>) };
    for (const column of columns) out[column] = Float32Array.from(row[column] as Iterable<number>);
    return out as unknown as ChunkRow;
  });
  const random = seededRandom(rows);
  const replicas: Record<string, unknown>[] = [];
  for (let index = base.length; index < rows; index++) {
    const replica = perturbRow(base[index % base.length], Math.floor(index / base.length), random);
    const out = toColumns({ ...replica, sourcePath: `replica/${replica.docId}` });
    for (const column of columns) out[column] = Array.from(replica[column as 'vector'] as Float32Array);
    replicas.push(out);
  }
  await store.table.add(lancedb.makeArrowTable(replicas, { schema: chunkSchema(embedders.dimensions) }));
  await store.buildFullTextIndex();
  await store.ensureIndexes(config.VECTOR_INDEX_MIN_ROWS);
  // Served with the thresholds calibrated on the sample, as if its last ingestion had calibrated it.
  const grown = await store.version();
  if (first.calibration) await store.saveCalibration({ ...first.calibration, version: grown });
  await store.publish(grown);
  console.error(`table grown to ${await store.countRows()} chunks, indexed`);
  store.close();

  // The incremental ingestion: one policy edited, twice. The first run's gate asks both versions (the grown table
  // was never gated); the second's finds the published version's answers kept with it, as every later run does.
  const classifier = new ProductLineClassifier(await loadProductLineRules(config.PRODUCT_LINES_FILE));
  const ingestEdit = async (heading: string) => {
    await appendFile(path.join(knowledge, 'policies', 'shipping.en.md'), `\n\n## ${heading}\n\nOrders can be gift-wrapped for free; choose it at checkout.\n`);
    return runIngestion({
      source: config.KNOWLEDGE_DIR,
      dbDir: config.DB_DIR,
      tableName: config.TABLE_NAME,
      embedders,
      classifier,
      exclude: notDocuments(config),
      ...runSettings(config, embedders),
      lock: {},
      // The replicas are kept as a source's documents are when that source was not loaded.
      otherSources: async () => ({ documents: [], protectedPrefixes: ['replica/'], warnings: [] }),
      gate: knowledgeBaseGate(config, embedders, classifier),
    });
  };
  const firstEdit = await ingestEdit('Gift wrapping');
  console.error(`first edit: ${r(firstEdit.seconds)} s, gate ${firstEdit.gate?.seconds} s (both versions asked)`);
  const run = await ingestEdit('Gift messages');
  const gate = run.gate!;
  const fullEstimate = (first.embedSeconds / first.chunksWritten) * rows + (first.seconds - first.embedSeconds);
  console.log(
    JSON.stringify(
      {
        rows: run.chunksTotal,
        cases: gate.cases,
        right: gate.right,
        changedAnswers: gate.changed.length,
        held: gate.held,
        incrementalIngestion: {
          documentsChanged: run.documents.updated + run.documents.added,
          chunksWritten: run.chunksWritten,
          seconds: r(run.seconds),
          embedSeconds: r(run.embedSeconds),
          contradictionCheckSeconds: run.contradictions?.seconds,
          nearDuplicates: run.contradictions?.nearDuplicates,
        },
        gate: { seconds: gate.seconds, embedQuestionsSeconds: gate.embedSeconds, askingPerQuestionMs: r(((gate.seconds - gate.embedSeconds) * 1000) / Math.max(1, gate.cases), 1) },
        gateShareOfIncrementalIngestion: r(gate.seconds / run.seconds, 3),
        firstEditAfterGrowth: { seconds: r(firstEdit.seconds), gateSeconds: firstEdit.gate?.seconds, gateShare: r((firstEdit.gate?.seconds ?? 0) / firstEdit.seconds, 3) },
        contradictionShareOfIncrementalIngestion: r((run.contradictions?.seconds ?? 0) / run.seconds, 4),
        sampleFullIngestion: { chunks: first.chunksWritten, seconds: r(first.seconds), embedSeconds: r(first.embedSeconds) },
        fullIngestionOfRowsEstimateSeconds: r(fullEstimate, 0),
        gateShareOfFullIngestionEstimate: r(gate.seconds / (fullEstimate + gate.seconds), 4),
      },
      null,
      2,
    ),
  );
} finally {
  await rm(dir, { recursive: true, force: true });
}
