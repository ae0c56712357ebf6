import { existsSync } from 'node:fs';
import path from 'node:path';
import { env, pipeline, type FeatureExtractionPipeline } from '@huggingface/transformers';
import type { Embedder } from './embedder.js';
import { MODEL_PRESETS } from './model-catalog.js';

export interface EmbedderSettings {
  /** A preset name (fetched into modelsDir), a local folder in transformers.js layout, or a Hub id. */
  model: string;
  modelsDir: string;
  pooling?: 'cls' | 'mean';
  normalize?: boolean;
  lowercase?: boolean;
  queryPrefix?: string;
  passagePrefix?: string;
  dtype: 'q8' | 'fp32' | 'fp16' | 'int8' | 'uint8' | 'q4';
  batchSize: number;
  /**
   * Texts per ONNX run: a call's texts are run in groups of this many. 1 by default, because on CPU a padded
   * batch costs more than its texts one by one (README "Batching": 6 sentences 28 % faster singly, measured).
   */
  textsPerRun?: number;
  allowRemote: boolean;
  /** ONNX Runtime intra-op threads per inference; 0 leaves ONNX Runtime's default (every core). */
  threads?: number;
}

export class ModelNotFoundError extends Error {
  override name = 'ModelNotFoundError';
}

/** Resolves where the model lives: a local folder wins, then a fetched preset, then (if allowed) the Hub. */
export function resolveModelLocation(settings: Pick<EmbedderSettings, 'model' | 'modelsDir' | 'allowRemote'>): { local: boolean; directory?: string; id: string } {
  const candidates = [settings.model, path.join(settings.modelsDir, settings.model)];
  for (const candidate of candidates) {
    if (existsSync(path.join(candidate, 'config.json'))) return { local: true, directory: path.resolve(candidate), id: path.basename(candidate) };
  }
  const preset = MODEL_PRESETS[settings.model];
  if (settings.allowRemote) return { local: false, id: preset?.hubId ?? settings.model };
  throw new ModelNotFoundError(
    `Embedding model "${settings.model}" was not found locally (looked in ${candidates.map((c) => path.resolve(c)).join(', ')}). ` +
      `Run "npm run models:fetch" or set EMBEDDING_ALLOW_REMOTE=true to download a Hub model.`,
  );
}

/** Points transformers.js at where the model lives (a local folder, or the Hub with a cache under modelsDir). */
export function useModelLocation(location: ReturnType<typeof resolveModelLocation>, settings: Pick<EmbedderSettings, 'modelsDir' | 'allowRemote'>): void {
  env.allowRemoteModels = !location.local && settings.allowRemote;
  env.allowLocalModels = true;
  if (location.local) env.localModelPath = path.dirname(location.directory!) + path.sep;
  else env.cacheDir = path.resolve(settings.modelsDir, 'hub-cache');
}

/** Sentence embeddings on CPU through transformers.js (ONNX Runtime). Load once per process; it is not cheap. */
export class TransformersEmbedder implements Embedder {
  private constructor(
    private readonly extractor: FeatureExtractionPipeline,
    readonly modelKey: string,
    readonly dimension: number,
    readonly maxEmbeddingsPerCall: number,
    private readonly options: { pooling: 'cls' | 'mean'; normalize: boolean; lowercase: boolean; queryPrefix: string; passagePrefix: string; textsPerRun: number },
  ) {}

  static async load(settings: EmbedderSettings): Promise<TransformersEmbedder> {
    const location = resolveModelLocation(settings);
    const preset = MODEL_PRESETS[settings.model] ?? Object.values(MODEL_PRESETS).find((candidate) => candidate.hubId === settings.model || candidate.name === location.id);
    const options = {
      pooling: settings.pooling ?? preset?.pooling ?? 'mean',
      normalize: settings.normalize ?? preset?.normalize ?? true,
      lowercase: settings.lowercase ?? preset?.lowercase ?? false,
      queryPrefix: settings.queryPrefix ?? preset?.queryPrefix ?? '',
      passagePrefix: settings.passagePrefix ?? preset?.passagePrefix ?? '',
      textsPerRun: Math.max(1, settings.textsPerRun ?? 1),
    };
    useModelLocation(location, settings);
    const session_options = settings.threads ? { intraOpNumThreads: settings.threads, interOpNumThreads: 1 } : undefined;
    const extractor = (await pipeline('feature-extraction', location.id, { dtype: settings.dtype, local_files_only: location.local, session_options })) as FeatureExtractionPipeline;
    const probe = await extractor(['probe'], { pooling: options.pooling, normalize: options.normalize });
    const dimension = probe.dims[probe.dims.length - 1];
    const modelKey = `${location.id}|${settings.dtype}|${options.pooling}|${options.normalize}|${options.lowercase}|${options.queryPrefix}|${options.passagePrefix}`;
    return new TransformersEmbedder(extractor, modelKey, dimension, settings.batchSize, options);
  }

  async embedPassages(texts: string[]): Promise<Float32Array[]> {
    return this.run(texts.map((text) => this.options.passagePrefix + text));
  }

  async embedQuery(text: string): Promise<Float32Array> {
    const [vector] = await this.run([this.options.queryPrefix + text]);
    return vector;
  }

  async embedQueries(texts: string[]): Promise<Float32Array[]> {
    return this.run(texts.map((text) => this.options.queryPrefix + text));
  }

  /** Whether text is lower-cased before tokenising (a model setting token counts must follow). */
  get lowercase(): boolean {
    return this.options.lowercase;
  }

  countTokens(text: string): number {
    return this.extractor.tokenizer.encode(this.prepare(text), { add_special_tokens: false }).length;
  }

  private prepare(text: string): string {
    return this.options.lowercase ? text.toLowerCase() : text;
  }

  private async run(texts: string[]): Promise<Float32Array[]> {
    const vectors: Float32Array[] = [];
    for (let start = 0; start < texts.length; start += this.options.textsPerRun) {
      const group = texts.slice(start, start + this.options.textsPerRun);
      const output = await this.extractor(group.map((text) => this.prepare(text)), { pooling: this.options.pooling, normalize: this.options.normalize });
      const data = output.data as Float32Array;
      for (let index = 0; index < group.length; index++) vectors.push(data.slice(index * this.dimension, (index + 1) * this.dimension));
    }
    return vectors;
  }
}
