import { Gate } from '../gate.js';
import type { Embedder } from './embedder.js';
import type { EmbeddingSpaces } from './embedding-spaces.js';

/**
 * Bounds how many model inferences run at once in this process (see inferenceLayout); more than the cores
 * hold only thrash the CPU and starve the event loop. The rest wait in a FIFO queue, whose length is what
 * load shedding reads (`queued`).
 *
 * While one answer has the process to itself (`alone`), it may use more: an English question's two models
 * side by side, and its sentences cut across two model instances, on cores that would otherwise idle. As soon
 * as a second answer runs, the gate is back to `concurrency`, so under load nothing changes (on 2 cores, two
 * inferences at once let refusals wait for the CPU: bench:overload).
 *
 * The deployment's workspaces share it, each calling through its own `wrap(spaces, workspace)`: a freed slot goes
 * to the workspace holding the fewest (src/gate.ts), so a quiet workspace's question waits for the inferences
 * running, not behind a flooded workspace's queue.
 */
export class InferenceGate {
  private readonly gate: Gate;

  constructor(
    concurrency: number,
    alone?: { concurrency: number; now: () => boolean },
  ) {
    this.gate = new Gate(alone && alone.concurrency > concurrency ? () => (alone.now() ? alone.concurrency : concurrency) : concurrency);
  }

  get queued(): number {
    return this.gate.queued;
  }

  async run<T>(task: () => Promise<T>, tenant?: string): Promise<T> {
    const release = await this.gate.acquire(tenant);
    try {
      return await task();
    } finally {
      release();
    }
  }

  /**
   * The same models, every call through this gate. A batch of passages is cut across the slots free at that
   * moment (up to the model's instances), so the sentences an extractive answer scores use an idle core
   * instead of waiting behind each other; under load no slot is free and the batch runs whole.
   */
  wrap(spaces: EmbeddingSpaces, tenant?: string): EmbeddingSpaces {
    const gated = (embedder: Embedder): Embedder => ({
      modelKey: embedder.modelKey,
      dimension: embedder.dimension,
      maxEmbeddingsPerCall: embedder.maxEmbeddingsPerCall,
      parallelism: embedder.parallelism,
      countTokens: (text) => embedder.countTokens(text),
      embedQuery: (text) => this.run(() => embedder.embedQuery(text), tenant),
      embedPassages: async (texts) => {
        const parts = Math.min(embedder.parallelism ?? 1, this.gate.free, texts.length);
        if (parts <= 1) return this.run(() => embedder.embedPassages(texts), tenant);
        const shares = balancedParts(texts, parts);
        const vectors = await Promise.all(shares.map((indexes) => this.run(() => embedder.embedPassages(indexes.map((index) => texts[index])), tenant)));
        const out = new Array<Float32Array>(texts.length);
        shares.forEach((indexes, part) => indexes.forEach((index, position) => (out[index] = vectors[part][position])));
        return out;
      },
    });
    return spaces.map(gated);
  }
}

/**
 * Indexes of `texts` cut into `parts` groups of about equal total length (longest first, each to the
 * lightest group), so the parts finish together. Each group keeps its texts in their original order.
 */
export function balancedParts(texts: string[], parts: number): number[][] {
  const groups = Array.from({ length: parts }, () => ({ indexes: [] as number[], chars: 0 }));
  const order = texts.map((_, index) => index).sort((a, b) => texts[b].length - texts[a].length);
  for (const index of order) {
    const lightest = groups.reduce((best, group) => (group.chars < best.chars ? group : best));
    lightest.indexes.push(index);
    lightest.chars += texts[index].length;
  }
  return groups.filter((group) => group.indexes.length).map((group) => group.indexes.sort((a, b) => a - b));
}
