import path from 'node:path';
import { ProductLineClassifier, loadProductLineRules } from '../classify/product-lines.js';
import type { Config } from '../config/config.js';
import type { EmbeddingSpaces } from '../embed/embedding-spaces.js';
import type { ProgressReporter } from './progress.js';
import { type IngestSummary, runIngestion } from './run-ingestion.js';

/**
 * Ingests the product knowledge base as the settings describe: KNOWLEDGE_DIR into DB_DIR/TABLE_NAME,
 * tagged with the product-line rules (which live in the same folder and are not ingested themselves).
 */
export async function ingestKnowledgeBase(
  config: Config,
  embedders: EmbeddingSpaces,
  options: { classifier?: ProductLineClassifier; progress?: ProgressReporter; dbDir?: string; tableName?: string } = {},
): Promise<IngestSummary> {
  const classifier = options.classifier ?? new ProductLineClassifier(await loadProductLineRules(config.PRODUCT_LINES_FILE));
  return runIngestion({
    source: config.KNOWLEDGE_DIR,
    dbDir: options.dbDir ?? config.DB_DIR,
    tableName: options.tableName ?? config.TABLE_NAME,
    embedders,
    maxFileBytes: config.INGEST_MAX_FILE_BYTES,
    chunkMaxTokens: config.CHUNK_MAX_TOKENS,
    chunkOverlapTokens: config.CHUNK_OVERLAP_TOKENS,
    classifier,
    exclude: [path.resolve(config.PRODUCT_LINES_FILE), path.resolve(config.KNOWLEDGE_DIR, 'product-lines.yaml')],
    progress: options.progress,
    calibration: config.CALIBRATION_ENABLED ? { target: config.CALIBRATION_FALSE_REFUSAL_TARGET } : undefined,
  });
}
