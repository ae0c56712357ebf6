import type { Embedder } from './embedder.js';
import type { EmbeddingSpaces } from './embedding-spaces.js';
import { LruCache } from '../lru-cache.js';

export interface EmbeddingCacheStats {
  hits: number;
  misses: number;
}

/**
 * Remembers embeddings by text, per model. In serving, a question is embedded by the retriever and again by
 * the extractive answer, popular questions come back all day, and the sentences of popular chunks are scored
 * for every question that retrieves them: each of those is one model call saved (a query embedding costs
 * more than the LanceDB searches it feeds). Concurrent requests for the same text share one call. Queries and
 * passages are kept apart, since models prefix them differently.
 */
export class CachingEmbedder implements Embedder {
  private readonly cache: LruCache<string, Float32Array>;
  private readonly pending = new Map<string, Promise<Float32Array>>();
  readonly stats: EmbeddingCacheStats = { hits: 0, misses: 0 };

  constructor(
    private readonly inner: Embedder,
    capacity: number,
    /** Told of every lookup (metrics). */
    private readonly onLookup?: (hits: number, misses: number) => void,
  ) {
    this.cache = new LruCache(capacity);
  }

  get modelKey(): string {
    return this.inner.modelKey;
  }

  get dimension(): number {
    return this.inner.dimension;
  }

  get maxEmbeddingsPerCall(): number {
    return this.inner.maxEmbeddingsPerCall;
  }

  get parallelism(): number | undefined {
    return this.inner.parallelism;
  }

  countTokens(text: string): number {
    return this.inner.countTokens(text);
  }

  embedQuery(text: string): Promise<Float32Array> {
    const key = `q\u0000${text}`;
    const known = this.cache.get(key);
    if (known) {
      this.count(1, 0);
      return Promise.resolve(known);
    }
    const running = this.pending.get(key);
    if (running) {
      this.count(1, 0);
      return running;
    }
    this.count(0, 1);
    const call = this.inner.embedQuery(text).then(
      (vector) => {
        this.pending.delete(key);
        this.cache.set(key, vector);
        return vector;
      },
      (error: unknown) => {
        this.pending.delete(key);
        throw error;
      },
    );
    this.pending.set(key, call);
    return call;
  }

  private count(hits: number, misses: number): void {
    this.stats.hits += hits;
    this.stats.misses += misses;
    this.onLookup?.(hits, misses);
  }

  /** Embeds only the texts not seen before, in one call to the model, and answers in the order asked. */
  async embedPassages(texts: string[]): Promise<Float32Array[]> {
    const out: (Float32Array | undefined)[] = texts.map((text) => this.cache.get(`p\u0000${text}`));
    const missing = [...new Set(texts.filter((_, index) => !out[index]))];
    this.count(texts.length - missing.length, missing.length);
    if (missing.length) {
      const vectors = await this.inner.embedPassages(missing);
      const byText = new Map(missing.map((text, index) => [text, vectors[index]]));
      for (const [text, vector] of byText) this.cache.set(`p\u0000${text}`, vector);
      texts.forEach((text, index) => (out[index] ??= byText.get(text)));
    }
    return out as Float32Array[];
  }
}

/** The same spaces, each model behind its own cache of `capacity` entries (0: no cache). */
export function cacheEmbeddings(spaces: EmbeddingSpaces, capacity: number, onLookup?: (hits: number, misses: number) => void): EmbeddingSpaces {
  return capacity > 0 ? spaces.map((embedder) => new CachingEmbedder(embedder, capacity, onLookup)) : spaces;
}
