import { describe, expect, it } from 'vitest';
import { CachingEmbedder } from '../../src/embed/embedding-cache.js';
import { LruCache } from '../../src/lru-cache.js';
import { type Embedder, embedInBatches } from '../../src/embed/embedder.js';

/** A model that records every call and embeds a text as [its length, its first char code]. */
function recordingEmbedder(maxEmbeddingsPerCall = 64) {
  const calls: { kind: 'query' | 'passages'; texts: string[] }[] = [];
  const vector = (text: string) => Float32Array.of(text.length, text.charCodeAt(0));
  const embedder: Embedder = {
    modelKey: 'recording',
    dimension: 2,
    maxEmbeddingsPerCall,
    countTokens: (text) => text.length,
    embedPassages: async (texts) => {
      calls.push({ kind: 'passages', texts });
      return texts.map(vector);
    },
    embedQuery: async (text) => {
      calls.push({ kind: 'query', texts: [text] });
      await new Promise((resolve) => setTimeout(resolve, 5));
      return vector(text);
    },
  };
  return { embedder, calls };
}

describe('ingestion batches: each distinct text once, sorted by length, cut by a token budget', () => {
  it('embeds duplicates once and answers in the order asked', async () => {
    const { embedder, calls } = recordingEmbedder();
    const texts = ['bbbb', 'a', 'bbbb', 'cc', 'a'];
    const vectors = await embedInBatches(embedder, texts);
    expect(calls.flatMap((call) => call.texts)).toEqual(['a', 'cc', 'bbbb']);
    expect(vectors.map((v) => v[0])).toEqual([4, 1, 4, 2, 1]);
  });

  it('fills each batch up to the count or the padded-token budget, whichever comes first', async () => {
    const { embedder, calls } = recordingEmbedder(4);
    // Token counts are lengths + 2 special tokens: 3 3 3 3 (count limit) | 3 12 (2 × 12 ≤ 30) | 12 | 32
    const texts = ['x', 'y', 'z', 'w', 'v', 'k'.repeat(10), 'm'.repeat(10), 'q'.repeat(30)];
    const progress: number[] = [];
    await embedInBatches(embedder, texts, (done) => progress.push(done), { tokenBudget: 30 });
    expect(calls.map((call) => call.texts.length)).toEqual([4, 2, 1, 1]);
    // The longest text alone exceeds the budget: it still goes, alone.
    expect(calls.at(-1)!.texts[0]).toHaveLength(30);
    expect(progress).toEqual([0, 4, 6, 7, 8]);
  });
});

describe('embedding cache', () => {
  it('keeps the most recently used entries within its capacity', () => {
    const cache = new LruCache<string, number>(2);
    cache.set('a', 1);
    cache.set('b', 2);
    expect(cache.get('a')).toBe(1);
    cache.set('c', 3);
    expect(cache.get('b')).toBeUndefined();
    expect(cache.get('a')).toBe(1);
    expect(cache.size).toBe(2);
  });

  it('calls the model once for a repeated or concurrent question, and only for passages it has not seen', async () => {
    const { embedder, calls } = recordingEmbedder();
    const cached = new CachingEmbedder(embedder, 100);
    const [first, second] = await Promise.all([cached.embedQuery('如何退货'), cached.embedQuery('如何退货')]);
    expect(first).toBe(second);
    await cached.embedQuery('如何退货');
    expect(calls.filter((call) => call.kind === 'query')).toHaveLength(1);

    await cached.embedPassages(['one', 'two']);
    const vectors = await cached.embedPassages(['two', 'three', 'one', 'three']);
    expect(calls.filter((call) => call.kind === 'passages').map((call) => call.texts)).toEqual([['one', 'two'], ['three']]);
    expect(vectors.map((v) => v[0])).toEqual([3, 5, 3, 5]);
    // A question and a passage with the same text are different embeddings (models prefix them differently).
    await cached.embedPassages(['如何退货']);
    expect(calls.at(-1)).toEqual({ kind: 'passages', texts: ['如何退货'] });
    expect(cached.stats).toEqual({ hits: 5, misses: 5 });
  });

  it('questions arriving together share one embedding of the sentences they both read', async () => {
    const { embedder, calls } = recordingEmbedder();
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const slow: Embedder = {
      ...embedder,
      embedPassages: async (texts) => {
        calls.push({ kind: 'passages', texts });
        await held;
        return texts.map((text) => Float32Array.of(text.length, text.charCodeAt(0)));
      },
    };
    const cached = new CachingEmbedder(slow, 100);
    const first = cached.embedPassages(['Charging takes two hours.', 'It is water resistant.']);
    const second = cached.embedPassages(['It is water resistant.', 'Charging takes two hours.', 'It tracks sleep.']);
    release();
    const [a, b] = await Promise.all([first, second]);
    // The second question asks the model only for the sentence the first did not: the others were already on their way.
    expect(calls.map((call) => call.texts)).toEqual([['Charging takes two hours.', 'It is water resistant.'], ['It tracks sleep.']]);
    expect(b[0]).toBe(a[1]);
    expect(b[1]).toBe(a[0]);
    expect(cached.stats).toEqual({ hits: 2, misses: 3 });
  });

  it('a failed passage call fails every caller waiting on it, and is not remembered', async () => {
    let fail = true;
    const calls: string[][] = [];
    const flaky: Embedder = {
      ...recordingEmbedder().embedder,
      embedPassages: async (texts) => {
        calls.push(texts);
        await Promise.resolve();
        if (fail) throw new Error('down');
        return texts.map((text) => Float32Array.of(text.length));
      },
    };
    const cached = new CachingEmbedder(flaky, 10);
    const results = await Promise.allSettled([cached.embedPassages(['one', 'two']), cached.embedPassages(['two'])]);
    expect(results.map((result) => result.status)).toEqual(['rejected', 'rejected']);
    fail = false;
    expect((await cached.embedPassages(['two'])).map((vector) => vector[0])).toEqual([3]);
    expect(calls).toEqual([['one', 'two'], ['two']]);
  });

  it('does not remember a failed call', async () => {
    let fail = true;
    const flaky: Embedder = { ...recordingEmbedder().embedder, embedQuery: async (text) => (fail ? Promise.reject(new Error('down')) : Float32Array.of(text.length)) };
    const cached = new CachingEmbedder(flaky, 10);
    await expect(cached.embedQuery('hello')).rejects.toThrow('down');
    fail = false;
    expect(Array.from(await cached.embedQuery('hello'))).toEqual([5]);
  });
});
