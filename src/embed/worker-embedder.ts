import { Worker } from 'node:worker_threads';
import { AutoTokenizer, type PreTrainedTokenizer } from '@huggingface/transformers';
import type { Embedder } from './embedder.js';
import { ModelNotFoundError, resolveModelLocation, useModelLocation, type EmbedderSettings } from './transformers-embedder.js';

interface Pending {
  resolve: (vectors: Float32Array[]) => void;
  reject: (error: Error) => void;
}

/**
 * An Embedder whose model runs in a worker thread (see embedder-worker.ts): the serving process's event
 * loop is never blocked by an inference. Same vectors as TransformersEmbedder, since the worker runs one.
 * Token counts (used by chunking) come from the model's tokenizer, loaded on this thread.
 */
export class WorkerEmbedder implements Embedder {
  private sequence = 0;
  private readonly pending = new Map<number, Pending>();

  private constructor(
    private readonly worker: Worker,
    private readonly tokenizer: PreTrainedTokenizer,
    readonly modelKey: string,
    readonly dimension: number,
    readonly maxEmbeddingsPerCall: number,
    private readonly lowercase: boolean,
  ) {
    worker.on('message', (message: { id: number; vectors?: Float32Array[]; error?: string }) => {
      const entry = this.pending.get(message.id);
      if (!entry) return;
      this.pending.delete(message.id);
      if (this.pending.size === 0) this.worker.unref();
      if (message.error) entry.reject(new Error(`embedding failed: ${message.error}`));
      else entry.resolve(message.vectors!);
    });
    // A worker that dies fails what it had in hand; the process keeps serving what does not need it.
    worker.on('error', (error) => this.failAll(error));
    worker.on('exit', (code) => this.failAll(new Error(`embedding worker exited (${code})`)));
    // An idle worker does not keep the process alive; one with calls in hand does (a start-up embedding, say,
    // before the server listens), or the process would exit with the call unanswered.
    worker.unref();
  }

  static async load(settings: EmbedderSettings): Promise<WorkerEmbedder> {
    const location = resolveModelLocation(settings);
    // Compiled, the worker is JavaScript. From source it is TypeScript, and Node 20 does not pass `--import tsx`
    // on to workers: a small bootstrap registers tsx in the worker first.
    const worker = import.meta.url.endsWith('.ts')
      ? new Worker(`import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(new URL('./embedder-worker.ts', import.meta.url).href)}); });`, { eval: true, workerData: settings })
      : new Worker(new URL('./embedder-worker.js', import.meta.url), { workerData: settings });
    const ready = await new Promise<{ ready: boolean; modelKey: string; dimension: number; maxEmbeddingsPerCall: number; lowercase: boolean; error?: string; name?: string }>((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    });
    if (!ready.ready) {
      await worker.terminate();
      throw ready.name === 'ModelNotFoundError' ? new ModelNotFoundError(ready.error) : new Error(`embedding worker could not load ${settings.model}: ${ready.error}`);
    }
    useModelLocation(location, settings);
    const tokenizer = await AutoTokenizer.from_pretrained(location.id, { local_files_only: location.local });
    return new WorkerEmbedder(worker, tokenizer, ready.modelKey, ready.dimension, ready.maxEmbeddingsPerCall, ready.lowercase);
  }

  embedPassages(texts: string[]): Promise<Float32Array[]> {
    return texts.length ? this.call('passages', texts) : Promise.resolve([]);
  }

  async embedQuery(text: string): Promise<Float32Array> {
    const [vector] = await this.call('query', [text]);
    return vector;
  }

  countTokens(text: string): number {
    return this.tokenizer.encode(this.lowercase ? text.toLowerCase() : text, { add_special_tokens: false }).length;
  }

  close(): Promise<number> {
    return this.worker.terminate();
  }

  private call(kind: 'query' | 'passages', texts: string[]): Promise<Float32Array[]> {
    const id = this.sequence++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.ref();
      this.worker.postMessage({ id, kind, texts });
    });
  }

  private failAll(error: Error): void {
    for (const entry of this.pending.values()) entry.reject(error);
    this.pending.clear();
  }
}
