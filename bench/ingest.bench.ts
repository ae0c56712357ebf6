/**
 * `npm run bench:ingest [-- --source <folder> [--unsorted]]`: cold ingestion into a fresh database, and in
 * the same run the raw model on the same texts, so the figure is a ratio that holds on a shared machine.
 *
 * - Cold ingest: the whole run (load, chunk, embed with every model that covers a chunk, write, full-text
 *   index, calibration) and its embedding phase alone; then an unchanged re-ingest.
 * - Reference: each model's `embedPassages` called directly on exactly the texts the run embedded (read back
 *   from the table), distinct and sorted by token length, in batches of EMBEDDING_BATCH_SIZE: the fastest
 *   the model itself goes. `--unsorted` also times them in document order with duplicates, as ingestion
 *   embedded before it sorted and de-duplicated.
 * `--source` ingests a folder or corpus (e.g. ../shared/data/alibabacloud-ecs-faq-en-zh) instead of the
 * sample knowledge base. Prints a table and one JSON line.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import * as lancedb from '@lancedb/lancedb';
import { loadConfig } from '../src/config/config.js';
import type { Embedder } from '../src/embed/embedder.js';
import { loadEmbeddingSpaces } from '../src/embed/load-embedder.js';
import { ingestKnowledgeBase, runSettings } from '../src/ingest-knowledge-base.js';
import { runIngestion } from '../src/ingest/run-ingestion.js';
import { round } from './stats.js';

const argument = (name: string) => {
  const index = process.argv.indexOf(name);
  return index >= 0 ? process.argv[index + 1] : undefined;
};
const source = argument('--source');
const config = loadConfig();
const dir = await mkdtemp(path.join(os.tmpdir(), 'kefu-bench-ingest-'));
try {
  const loadStarted = performance.now();
  const embedders = await loadEmbeddingSpaces(config);
  const modelLoadSeconds = (performance.now() - loadStarted) / 1000;
  // Warm-up: the first inferences of a session are slower (graph optimisation, allocations).
  for (const space of embedders.all) await space.embedder.embedPassages(['warm-up', '预热', 'a longer warm-up sentence to size the buffers']);
  const run = () =>
    source
      ? runIngestion({ source, dbDir: dir, tableName: 'bench', embedders, ...runSettings(config, embedders), lock: undefined })
      : ingestKnowledgeBase(config, embedders, { dbDir: dir, tableName: 'bench' });
  const cold = await run();
  const unchanged = await run();

  // The texts the run embedded, per model, as ingestion builds them (run-ingestion.ts, embeddingText).
  const table = await (await lancedb.connect(dir)).openTable('bench');
  const rows = await table.query().select(['kind', 'title', 'heading_path', 'text', 'lang']).toArray();
  table.close();
  const embedded = (row: Record<string, string>) => (row.kind === 'faq' ? row.text : [row.title, row.heading_path, row.text].filter(Boolean).join('\n'));
  const perModel = embedders.all.map((space) => ({ space, texts: rows.filter((row) => !space.languages || space.languages.includes(row.lang)).map(embedded) }));
  const embeddings = perModel.reduce((sum, entry) => sum + entry.texts.length, 0);

  const timeRaw = async (embedder: Embedder, texts: string[]) => {
    const started = performance.now();
    for (let start = 0; start < texts.length; start += config.EMBEDDING_BATCH_SIZE) await embedder.embedPassages(texts.slice(start, start + config.EMBEDDING_BATCH_SIZE));
    return (performance.now() - started) / 1000;
  };
  let rawSeconds = 0;
  let unsortedSeconds = 0;
  const models: Record<string, unknown>[] = [];
  for (const { space, texts } of perModel) {
    const distinct = [...new Set(texts)].sort((a, b) => space.embedder.countTokens(a) - space.embedder.countTokens(b));
    const seconds = await timeRaw(space.embedder, distinct);
    rawSeconds += seconds;
    const unsorted = process.argv.includes('--unsorted') ? await timeRaw(space.embedder, texts) : undefined;
    if (unsorted !== undefined) unsortedSeconds += unsorted;
    models.push({ column: space.column, model: space.embedder.modelKey.split('|')[0], texts: texts.length, distinct: distinct.length, rawSeconds: round(seconds), ...(unsorted !== undefined ? { unsortedSeconds: round(unsorted) } : {}) });
  }

  const result = {
    source: source ?? config.KNOWLEDGE_DIR,
    batchSize: config.EMBEDDING_BATCH_SIZE,
    batchTokens: config.EMBEDDING_BATCH_TOKENS,
    modelLoadSeconds: round(modelLoadSeconds),
    documents: cold.documents.added,
    chunks: cold.chunksWritten,
    embeddings,
    models,
    coldSeconds: round(cold.seconds),
    coldEmbedSeconds: round(cold.embedSeconds),
    rawSeconds: round(rawSeconds),
    rawChunksPerSecond: round(cold.chunksWritten / rawSeconds),
    ingestChunksPerSecond: round(cold.chunksWritten / cold.seconds),
    embedPhaseChunksPerSecond: round(cold.chunksWritten / cold.embedSeconds),
    ratioWholeRun: +(rawSeconds / cold.seconds).toFixed(3),
    ratioEmbedPhase: +(rawSeconds / cold.embedSeconds).toFixed(3),
    ...(unsortedSeconds ? { ratioUnsortedToRaw: +(rawSeconds / unsortedSeconds).toFixed(3) } : {}),
    unchangedSeconds: round(unchanged.seconds),
    unchangedEmbedded: unchanged.chunksWritten,
  };
  console.log(`source ${result.source}: ${result.documents} documents → ${result.chunks} chunks, ${embeddings} embeddings (batch ${result.batchSize}${result.batchTokens ? `, ${result.batchTokens} tokens` : ''}); models loaded in ${result.modelLoadSeconds} s`);
  for (const model of models) console.log(`  ${String(model.column).padEnd(10)} ${String(model.model).padEnd(20)} ${model.texts} texts (${model.distinct} distinct): raw ${model.rawSeconds} s${model.unsortedSeconds !== undefined ? `, unsorted with duplicates ${model.unsortedSeconds} s` : ''}`);
  console.log(`raw models (reference):  ${result.rawSeconds} s → ${result.rawChunksPerSecond} chunks/s`);
  console.log(`cold ingest, embedding:  ${result.coldEmbedSeconds} s → ${result.embedPhaseChunksPerSecond} chunks/s = ${result.ratioEmbedPhase}× raw`);
  console.log(`cold ingest, whole run:  ${result.coldSeconds} s → ${result.ingestChunksPerSecond} chunks/s = ${result.ratioWholeRun}× raw (parsing, writing, indexing and calibration included)`);
  if (result.ratioUnsortedToRaw) console.log(`document order with duplicates (as before): ${result.ratioUnsortedToRaw}× raw`);
  console.log(`unchanged re-ingest:     ${result.unchangedSeconds} s, ${result.unchangedEmbedded} chunks embedded`);
  console.log(JSON.stringify(result));
} finally {
  await rm(dir, { recursive: true, force: true });
}
