import { Gate } from '../gate.js';
import type { Embedder } from './embedder.js';
import type { EmbeddingSpaces } from './embedding-spaces.js';

/**
 * Bounds how many model inferences run at once in this process. Each ONNX run already uses every core,
 * so more of them at once only thrash the CPU and starve the event loop; the rest wait in a FIFO queue,
 * whose length is what load shedding reads (`queued`).
 */
export class InferenceGate {
  private readonly gate: Gate;

  constructor(readonly concurrency: number) {
    this.gate = new Gate(concurrency);
  }

  get queued(): number {
    return this.gate.queued;
  }

  async run<T>(task: () => Promise<T>): Promise<T> {
    const release = await this.gate.acquire();
    try {
      return await task();
    } finally {
      release();
    }
  }

  /** The same models, every call through this gate. */
  wrap(spaces: EmbeddingSpaces): EmbeddingSpaces {
    const gated = (embedder: Embedder): Embedder => ({
      modelKey: embedder.modelKey,
      dimension: embedder.dimension,
      maxEmbeddingsPerCall: embedder.maxEmbeddingsPerCall,
      countTokens: (text) => embedder.countTokens(text),
      embedQuery: (text) => this.run(() => embedder.embedQuery(text)),
      embedPassages: (texts) => this.run(() => embedder.embedPassages(texts)),
    });
    return spaces.map(gated);
  }
}
