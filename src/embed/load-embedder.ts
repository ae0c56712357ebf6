import type { Config } from '../config/config.js';
import { TransformersEmbedder } from './transformers-embedder.js';

/** The embedder the settings describe. */
export function loadEmbedder(config: Config): Promise<TransformersEmbedder> {
  return TransformersEmbedder.load({
    model: config.EMBEDDING_MODEL,
    modelsDir: config.MODELS_DIR,
    pooling: config.EMBEDDING_POOLING,
    normalize: config.EMBEDDING_NORMALIZE,
    lowercase: config.EMBEDDING_LOWERCASE,
    queryPrefix: config.EMBEDDING_QUERY_PREFIX,
    passagePrefix: config.EMBEDDING_PASSAGE_PREFIX,
    dtype: config.EMBEDDING_DTYPE,
    batchSize: config.EMBEDDING_BATCH_SIZE,
    allowRemote: config.EMBEDDING_ALLOW_REMOTE,
  });
}
