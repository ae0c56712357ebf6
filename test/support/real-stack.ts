import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ProductLineClassifier, loadProductLineRules } from '../../src/classify/product-lines.js';
import { loadConfig, type Config } from '../../src/config/config.js';
import type { Embedder } from '../../src/embed/embedder.js';
import { loadEmbedder } from '../../src/embed/load-embedder.js';
import { runIngestion } from '../../src/ingest/run-ingestion.js';

let embedder: Promise<Embedder> | undefined;

/** The real embedding model (models/bge-small-zh-v1.5, fetched by `npm run models:fetch`), loaded once per test file. */
export function realEmbedder(): Promise<Embedder> {
  embedder ??= loadEmbedder(loadConfig({}));
  return embedder;
}

export async function tempDir(prefix: string): Promise<{ dir: string; remove: () => Promise<void> }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), `kefu-${prefix}-`));
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

/** Ingests the sample knowledge base into a fresh database and returns settings pointing at it. */
export async function ingestSampleKnowledge(dbDir: string, overrides: Record<string, string> = {}): Promise<Config> {
  const config = loadConfig({ DB_DIR: dbDir, LOG_LEVEL: 'silent', LANCEDB_READ_CONSISTENCY_SECONDS: '0', ...overrides });
  const classifier = new ProductLineClassifier(await loadProductLineRules(config.PRODUCT_LINES_FILE));
  await runIngestion({
    source: config.KNOWLEDGE_DIR,
    dbDir,
    tableName: config.TABLE_NAME,
    embedder: await realEmbedder(),
    maxFileBytes: config.INGEST_MAX_FILE_BYTES,
    chunkMaxTokens: config.CHUNK_MAX_TOKENS,
    chunkOverlapTokens: config.CHUNK_OVERLAP_TOKENS,
    classifier,
    exclude: [path.resolve(config.PRODUCT_LINES_FILE)],
  });
  return config;
}
