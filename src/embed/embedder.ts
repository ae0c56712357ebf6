/**
 * The embedding port. The rest of the code sees only this; the transformers.js adapter is one
 * implementation, and a remote embedding service could be another.
 */
export interface Embedder {
  /** Identifies the model and its settings; part of every document hash, so a model change re-embeds everything. */
  readonly modelKey: string;
  /** Vector dimension, read from the model itself. */
  readonly dimension: number;
  /** How many texts one call may take; `embedInBatches` respects it. */
  readonly maxEmbeddingsPerCall: number;
  embedPassages(texts: string[]): Promise<Float32Array[]>;
  embedQuery(text: string): Promise<Float32Array>;
  /** Token count under the model's own tokenizer (no special tokens); chunk sizes are measured with it. */
  countTokens(text: string): number;
}

/** Embeds any number of passages in batches the model accepts, reporting progress after each batch. */
export async function embedInBatches(
  embedder: Embedder,
  texts: string[],
  onBatch?: (done: number, total: number) => void,
  batchSize = embedder.maxEmbeddingsPerCall,
): Promise<Float32Array[]> {
  const vectors: Float32Array[] = [];
  const size = Math.max(1, Math.min(batchSize, embedder.maxEmbeddingsPerCall));
  if (texts.length) onBatch?.(0, texts.length);
  for (let start = 0; start < texts.length; start += size) {
    vectors.push(...(await embedder.embedPassages(texts.slice(start, start + size))));
    onBatch?.(vectors.length, texts.length);
  }
  return vectors;
}
