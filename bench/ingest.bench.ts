/**
 * `npm run bench:ingest`: cold ingestion of the sample knowledge base into a fresh database
 * (chunks embedded per second) and an unchanged re-ingestion (seconds). Prints a table and one JSON line.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../src/config/config.js';
import { loadEmbeddingSpaces } from '../src/embed/load-embedder.js';
import { ingestKnowledgeBase } from '../src/ingest/ingest-knowledge-base.js';

const config = loadConfig();
const dir = await mkdtemp(path.join(os.tmpdir(), 'kefu-bench-ingest-'));
try {
  const loadStarted = performance.now();
  const embedders = await loadEmbeddingSpaces(config);
  const modelLoadSeconds = (performance.now() - loadStarted) / 1000;
  const run = () => ingestKnowledgeBase(config, embedders, { dbDir: dir, tableName: 'bench' });
  const cold = await run();
  const unchanged = await run();
  const result = {
    model: embedders.all.map((space) => space.embedder.modelKey.split('|')[0]).join(' + '),
    batchSize: config.EMBEDDING_BATCH_SIZE,
    modelLoadSeconds: +modelLoadSeconds.toFixed(2),
    documents: cold.documents.added,
    chunks: cold.chunksWritten,
    coldSeconds: +cold.seconds.toFixed(2),
    coldEmbedSeconds: +cold.embedSeconds.toFixed(2),
    coldChunksPerSecond: +cold.chunksPerSecond.toFixed(1),
    unchangedSeconds: +unchanged.seconds.toFixed(2),
    unchangedEmbedded: unchanged.chunksWritten,
  };
  console.log(`model ${result.model} (batch ${result.batchSize}), loaded in ${result.modelLoadSeconds} s`);
  console.log(`cold ingest:      ${result.documents} documents, ${result.chunks} chunks in ${result.coldSeconds} s → ${result.coldChunksPerSecond} chunks/s embedded`);
  console.log(`unchanged ingest: ${result.unchangedSeconds} s, ${result.unchangedEmbedded} chunks embedded`);
  console.log(JSON.stringify(result));
} finally {
  await rm(dir, { recursive: true, force: true });
}
