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
 * more than the LanceDB searches it feeds). Concurrent requests for the same text share one call, a question's or
 * a passage's. Queries and passages are kept apart, since models prefix them differently.
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

  /**
   * Embeds only the texts neither seen before nor being embedded for another caller, in one call to the model,
   * and answers in the order asked: questions arriving together about the same passages (the sentences of their
   * first candidates, sentence-match.ts) share one embedding of each sentence.
   */
  async embedPassages(texts: string[]): Promise<Float32Array[]> {
    const found = new Map<string, Float32Array | Promise<Float32Array>>();
    const missing: string[] = [];
    for (const text of new Set(texts)) {
      const key = `p\u0000${text}`;
      const known = this.cache.get(key) ?? this.pending.get(key);
      if (known) found.set(text, known);
      else missing.push(text);
    }
    this.count(texts.length - missing.length, missing.length);
    if (missing.length) {
      const call = this.inner.embedPassages(missing);
      missing.forEach((text, index) => {
        const key = `p\u0000${text}`;
        const one = call.then(
          (vectors) => {
            this.pending.delete(key);
            this.cache.set(key, vectors[index]);
            return vectors[index];
          },
          (error: unknown) => {
            this.pending.delete(key);
            throw error;
          },
        );
        this.pending.set(key, one);
        found.set(text, one);
      });
    }
    return Promise.all(texts.map((text) => found.get(text)!));
  }
}

/** The same spaces, each model behind its own cache of `capacity` entries (0: no cache). */
export function cacheEmbeddings(spaces: EmbeddingSpaces, capacity: number, onLookup?: (hits: number, misses: number) => void): EmbeddingSpaces {
  return capacity > 0 ? spaces.map((embedder) => new CachingEmbedder(embedder, capacity, onLookup)) : spaces;
}
