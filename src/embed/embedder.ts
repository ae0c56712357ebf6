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
  /** Many questions in one model call (the regression gate embeds its whole set at once); embedQuery one by one when absent. */
  embedQueries?(texts: string[]): Promise<Float32Array[]>;
  /** Token count under the model's own tokenizer (no special tokens); chunk sizes are measured with it. */
  countTokens(text: string): number;
  /** Calls that can run side by side (model instances); 1 when absent. */
  readonly parallelism?: number;
}

/** Dot product: the cosine similarity of two unit-length vectors, which is what every model here gives. */
export function dot(a: Float32Array, b: Float32Array): number {
  let sum = 0;
  for (let index = 0; index < a.length; index++) sum += a[index] * b[index];
  return sum;
}

export interface BatchOptions {
  /** Texts per model call, at most the embedder's own limit. */
  batchSize?: number;
  /**
   * Padded tokens per model call (texts × longest text): a batch of short texts grows, one of long texts
   * shrinks, so every call does about the same work. Undefined: count only.
   */
  tokenBudget?: number;
}

/**
 * Embeds any number of passages the way a CPU model runs fastest, reporting progress after each call:
 * identical texts are embedded once, the rest sorted by token length (a batch is padded to its longest
 * text, so mixing lengths wastes most of the work) and cut into batches by count and token budget.
 * Vectors come back in the order of `texts`; `onBatch` counts texts of the input.
 */
export async function embedInBatches(embedder: Embedder, texts: string[], onBatch?: (done: number, total: number) => void, options: BatchOptions = {}): Promise<Float32Array[]> {
  const size = Math.max(1, Math.min(options.batchSize ?? embedder.maxEmbeddingsPerCall, embedder.maxEmbeddingsPerCall));
  const positions = new Map<string, number[]>();
  texts.forEach((text, index) => {
    const known = positions.get(text);
    if (known) known.push(index);
    else positions.set(text, [index]);
  });
  const distinct = [...positions.keys()].map((text) => ({ text, tokens: embedder.countTokens(text) + 2 })).sort((a, b) => a.tokens - b.tokens);
  const vectors: Float32Array[] = new Array(texts.length);
  let done = 0;
  if (texts.length) onBatch?.(0, texts.length);
  for (let start = 0; start < distinct.length; ) {
    let end = start + 1;
    // Sorted ascending, so the batch's longest text is its last one.
    while (end < distinct.length && end - start < size && (!options.tokenBudget || (end - start + 1) * distinct[end].tokens <= options.tokenBudget)) end++;
    const batch = distinct.slice(start, end);
    const embedded = await embedder.embedPassages(batch.map((entry) => entry.text));
    batch.forEach((entry, index) => {
      for (const position of positions.get(entry.text)!) vectors[position] = embedded[index];
      done += positions.get(entry.text)!.length;
    });
    onBatch?.(done, texts.length);
    start = end;
  }
  return vectors;
}

/** Questions embedded in batches of the model's own size when it can, one by one otherwise. */
export async function embedQueriesInBatches(embedder: Embedder, texts: string[]): Promise<Float32Array[]> {
  if (!embedder.embedQueries) {
    const vectors: Float32Array[] = [];
    for (const text of texts) vectors.push(await embedder.embedQuery(text));
    return vectors;
  }
  const vectors: Float32Array[] = [];
  const size = Math.max(1, embedder.maxEmbeddingsPerCall);
  for (let start = 0; start < texts.length; start += size) vectors.push(...(await embedder.embedQueries(texts.slice(start, start + size))));
  return vectors;
}
