import type { Config } from '../config/config.js';
import { EmbeddingSpaces } from './embedding-spaces.js';
import { TransformersEmbedder } from './transformers-embedder.js';

/** The primary embedder the settings describe. */
export function loadEmbedder(config: Config, model = config.EMBEDDING_MODEL): Promise<TransformersEmbedder> {
  // Pooling, prefixes and case settings given explicitly apply to the primary model only; a language model uses its preset.
  const explicit = model === config.EMBEDDING_MODEL;
  return TransformersEmbedder.load({
    model,
    modelsDir: config.MODELS_DIR,
    pooling: explicit ? config.EMBEDDING_POOLING : undefined,
    normalize: explicit ? config.EMBEDDING_NORMALIZE : undefined,
    lowercase: explicit ? config.EMBEDDING_LOWERCASE : undefined,
    queryPrefix: explicit ? config.EMBEDDING_QUERY_PREFIX : undefined,
    passagePrefix: explicit ? config.EMBEDDING_PASSAGE_PREFIX : undefined,
    dtype: config.EMBEDDING_DTYPE,
    batchSize: config.EMBEDDING_BATCH_SIZE,
    allowRemote: config.EMBEDDING_ALLOW_REMOTE,
  });
}

/** Names of the models the settings use: the primary one, then the English one unless it is "none". */
export function configuredModels(config: Config): string[] {
  return [config.EMBEDDING_MODEL, ...(config.EMBEDDING_MODEL_EN !== 'none' ? [config.EMBEDDING_MODEL_EN] : [])];
}

/** Every embedding space the settings describe, each model loaded once. */
export async function loadEmbeddingSpaces(config: Config): Promise<EmbeddingSpaces> {
  const primary = await loadEmbedder(config);
  const english = config.EMBEDDING_MODEL_EN !== 'none' && config.EMBEDDING_MODEL_EN !== config.EMBEDDING_MODEL ? await loadEmbedder(config, config.EMBEDDING_MODEL_EN) : undefined;
  return new EmbeddingSpaces(primary, { en: english });
}
