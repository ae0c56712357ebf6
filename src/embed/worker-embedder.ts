import { Worker } from 'node:worker_threads';
import { AutoTokenizer, type PreTrainedTokenizer } from '@huggingface/transformers';
import type { Embedder } from './embedder.js';
import { ModelNotFoundError, resolveModelLocation, useModelLocation, type EmbedderSettings } from './transformers-embedder.js';

interface Pending {
  resolve: (vectors: Float32Array[]) => void;
  reject: (error: Error) => void;
}

/** One worker thread and the calls it has in hand. */
class ModelWorker {
  private sequence = 0;
  readonly pending = new Map<number, Pending>();
  /** Set when the thread ended: a call to it would never be answered. */
  exited?: Error;

  constructor(readonly worker: Worker) {
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
    worker.on('exit', (code) => {
      this.exited = new Error(`embedding worker exited (${code})`);
      this.failAll(this.exited);
    });
    // An idle worker does not keep the process alive; one with calls in hand does (a start-up embedding, say,
    // before the server listens), or the process would exit with the call unanswered.
    worker.unref();
  }

  call(kind: 'query' | 'passages', texts: string[]): Promise<Float32Array[]> {
    if (this.exited) return Promise.reject(this.exited);
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

/**
 * An Embedder whose model runs in worker threads (see embedder-worker.ts): the serving process's event
 * loop is never blocked by an inference. Same vectors as TransformersEmbedder, since each worker runs one.
 * With several workers (`parallelism`), calls at the same moment run side by side, each on the worker with
 * the fewest calls in hand; how many run at once is the inference gate's decision, not this class's.
 * Token counts (used by chunking) come from the model's tokenizer, loaded on this thread.
 */
export class WorkerEmbedder implements Embedder {
  private constructor(
    private readonly workers: ModelWorker[],
    private readonly tokenizer: PreTrainedTokenizer,
    readonly modelKey: string,
    readonly dimension: number,
    readonly maxEmbeddingsPerCall: number,
    private readonly lowercase: boolean,
  ) {}

  /** Calls that can run at the same time: one per worker. */
  get parallelism(): number {
    return this.workers.length;
  }

  static async load(settings: EmbedderSettings, workers = 1): Promise<WorkerEmbedder> {
    const location = resolveModelLocation(settings);
    const started = await Promise.allSettled(Array.from({ length: Math.max(1, workers) }, () => startWorker(settings)));
    const failed = started.find((result) => result.status === 'rejected');
    if (failed) {
      await Promise.all(started.map((result) => (result.status === 'fulfilled' ? result.value.worker.terminate() : undefined)));
      throw failed.reason;
    }
    const ready = started.map((result) => (result as PromiseFulfilledResult<{ worker: Worker; ready: WorkerReady }>).value);
    useModelLocation(location, settings);
    const tokenizer = await AutoTokenizer.from_pretrained(location.id, { local_files_only: location.local });
    const { modelKey, dimension, maxEmbeddingsPerCall, lowercase } = ready[0].ready;
    return new WorkerEmbedder(
      ready.map((entry) => new ModelWorker(entry.worker)),
      tokenizer,
      modelKey,
      dimension,
      maxEmbeddingsPerCall,
      lowercase,
    );
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

  async close(): Promise<number> {
    const codes = await Promise.all(this.workers.map((entry) => entry.worker.terminate()));
    return codes[0];
  }

  private call(kind: 'query' | 'passages', texts: string[]): Promise<Float32Array[]> {
    // The idlest live instance; with none alive, the call fails at once instead of waiting forever.
    const live = this.workers.filter((entry) => !entry.exited);
    let idlest = live[0] ?? this.workers[0];
    for (const entry of live) if (entry.pending.size < idlest.pending.size) idlest = entry;
    return idlest.call(kind, texts);
  }
}

interface WorkerReady {
  ready: boolean;
  modelKey: string;
  dimension: number;
  maxEmbeddingsPerCall: number;
  lowercase: boolean;
  error?: string;
  name?: string;
}

async function startWorker(settings: EmbedderSettings): Promise<{ worker: Worker; ready: WorkerReady }> {
  // Compiled, the worker is JavaScript. From source it is TypeScript, and Node 20 does not pass `--import tsx`
  // on to workers: a small bootstrap registers tsx in the worker first.
  const worker = import.meta.url.endsWith('.ts')
    ? new Worker(`import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(new URL('./embedder-worker.ts', import.meta.url).href)}); });`, { eval: true, workerData: settings })
    : new Worker(new URL('./embedder-worker.js', import.meta.url), { workerData: settings });
  const ready = await new Promise<WorkerReady>((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  });
  if (!ready.ready) {
    await worker.terminate();
    throw ready.name === 'ModelNotFoundError' ? new ModelNotFoundError(ready.error) : new Error(`embedding worker could not load ${settings.model}: ${ready.error}`);
  }
  return { worker, ready };
}
