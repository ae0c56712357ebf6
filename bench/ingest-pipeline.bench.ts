/**
 * `npm run bench:ingest-pipeline [-- --documents 10000]`: everything in ingestion but the model. The
 * embedder is the OpenAI-compatible adapter talking over HTTP to the instant test double, so what is
 * measured is parsing, chunking, hashing, the HTTP round trips, LanceDB writes and the full-text index —
 * what a deployment with a GPU embedding server would see. The corpus is the public ECS FAQ set (both
 * languages), replicated with fresh ids up to the requested size. Prints cold chunks/s and the time of an
 * unchanged re-ingest (nothing to embed), then one JSON line.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../src/config/config.js';
import { loadEmbeddingSpaces } from '../src/embed/load-embedder.js';
import { runIngestion } from '../src/ingest/run-ingestion.js';
import { runSettings } from '../src/ingest-knowledge-base.js';
import { FakeEmbeddingsServer } from '../test/support/fake-embeddings-server.js';

const { values } = parseArgs({ options: { documents: { type: 'string', default: '10000' }, corpus: { type: 'string', default: '../shared/data/alibabacloud-ecs-faq-en-zh/corpus.jsonl' } } });
const wanted = Number(values.documents);
const server = await new FakeEmbeddingsServer().start();
server.dimension = 384;
const dir = await mkdtemp(path.join(os.tmpdir(), 'kefu-bench-pipeline-'));
try {
  const lines = (await readFile(values.corpus!, 'utf8')).split('\n').filter(Boolean).map((line) => JSON.parse(line) as Record<string, unknown>);
  const corpus: string[] = [];
  for (let index = 0; corpus.length < wanted; index++) {
    const source = lines[index % lines.length];
    corpus.push(JSON.stringify({ ...source, id: `${source.id}-r${Math.floor(index / lines.length)}` }));
  }
  const file = path.join(dir, 'corpus.jsonl');
  await writeFile(file, corpus.join('\n') + '\n');
  const config = loadConfig({ ...process.env, EMBEDDING_API_URL: server.baseURL, EMBEDDING_API_MODEL: 'instant-double', EMBEDDING_MODEL_EN: 'none', CALIBRATION_ENABLED: 'false', EMBEDDING_API_BATCH_SIZE: '128', EMBEDDING_API_CONCURRENCY: '4' });
  const embedders = await loadEmbeddingSpaces(config);
  const run = () => runIngestion({ source: file, dbDir: path.join(dir, 'db'), tableName: 'bench', embedders, ...runSettings(config, embedders), lock: {} });
  const cold = await run();
  const unchanged = await run();
  const result = { documents: cold.documents.added, chunks: cold.chunksWritten, coldSeconds: +cold.seconds.toFixed(2), embedSeconds: +cold.embedSeconds.toFixed(2), endToEndChunksPerSecond: +(cold.chunksWritten / cold.seconds).toFixed(0), unchangedSeconds: +unchanged.seconds.toFixed(2) };
  console.log(`cold ingest, instant embedding server: ${result.documents} documents, ${result.chunks} chunks in ${result.coldSeconds} s → ${result.endToEndChunksPerSecond} chunks/s end to end`);
  console.log(`unchanged re-ingest: ${result.unchangedSeconds} s`);
  console.log(JSON.stringify(result));
} finally {
  await server.stop();
  await rm(dir, { recursive: true, force: true });
}
