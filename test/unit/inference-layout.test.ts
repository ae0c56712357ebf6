import { describe, expect, it } from 'vitest';
import type { Embedder } from '../../src/embed/embedder.js';
import { EmbeddingSpaces } from '../../src/embed/embedding-spaces.js';
import { InferenceGate, balancedParts } from '../../src/embed/inference-gate.js';
import { inferenceLayout } from '../../src/embed/load-embedder.js';

const defaults = { EMBEDDING_THREADS: 0, INFERENCE_CONCURRENCY: 1, INFERENCE_CONCURRENCY_ALONE: 0, EMBEDDING_WORKERS: 1 };

/** A model with `parallelism` instances that records each call; a text's vector is its own length. */
function recordingModel(parallelism: number) {
  const calls: string[][] = [];
  let running = 0;
  let peak = 0;
  const release: (() => void)[] = [];
  const embedder: Embedder = {
    modelKey: 'fake',
    dimension: 1,
    maxEmbeddingsPerCall: 64,
    parallelism,
    countTokens: (text) => text.length,
    embedQuery: async () => {
      running++;
      await new Promise<void>((resolve) => release.push(resolve));
      running--;
      return new Float32Array([0]);
    },
    embedPassages: async (texts) => {
      calls.push(texts);
      running++;
      peak = Math.max(peak, running);
      await new Promise((resolve) => setTimeout(resolve, 5));
      running--;
      return texts.map((text) => new Float32Array([text.length]));
    },
  };
  return { embedder, calls, peak: () => peak, releaseQueries: () => release.splice(0).forEach((resolve) => resolve()) };
}

describe('how serving lays the models out on the cores', () => {
  it('runs one inference at a time on half the cores under load, two while an answer runs alone, one instance of each model', () => {
    expect(inferenceLayout(defaults, true, 2)).toEqual({ threads: 1, concurrency: 1, aloneConcurrency: 2, workers: 1 });
    expect(inferenceLayout(defaults, true, 8)).toEqual({ threads: 4, concurrency: 1, aloneConcurrency: 2, workers: 1 });
    expect(inferenceLayout(defaults, true, 1)).toEqual({ threads: 1, concurrency: 1, aloneConcurrency: 1, workers: 1 });
  });

  it('follows the settings, and runs ingestion one inference at a time on every core', () => {
    expect(inferenceLayout({ ...defaults, EMBEDDING_THREADS: 2 }, true, 8)).toEqual({ threads: 2, concurrency: 1, aloneConcurrency: 2, workers: 1 });
    expect(inferenceLayout({ ...defaults, INFERENCE_CONCURRENCY_ALONE: 1 }, true, 2)).toEqual({ threads: 1, concurrency: 1, aloneConcurrency: 1, workers: 1 });
    // Alone never means fewer than under load.
    expect(inferenceLayout({ ...defaults, INFERENCE_CONCURRENCY: 3, INFERENCE_CONCURRENCY_ALONE: 1 }, true, 8)).toEqual({ threads: 4, concurrency: 3, aloneConcurrency: 3, workers: 1 });
    expect(inferenceLayout({ ...defaults, INFERENCE_CONCURRENCY: 2, EMBEDDING_WORKERS: 2 }, true, 2)).toEqual({ threads: 1, concurrency: 2, aloneConcurrency: 2, workers: 2 });
    expect(inferenceLayout({ ...defaults, INFERENCE_CONCURRENCY: 2, EMBEDDING_WORKERS: 2 }, false, 8)).toEqual({ threads: 0, concurrency: 1, aloneConcurrency: 1, workers: 1 });
  });
});

describe('a batch of passages through the inference gate', () => {
  it('is cut across the free slots, the parts run side by side, and the vectors come back in order', async () => {
    const model = recordingModel(2);
    const gated = new InferenceGate(2).wrap(new EmbeddingSpaces(model.embedder)).primary;
    const texts = ['aaaaaaaa', 'b', 'cccccc', 'dd', 'eeee', 'fff'];
    const vectors = await gated.embedPassages(texts);
    expect(vectors.map((vector) => vector[0])).toEqual(texts.map((text) => text.length));
    expect(model.calls).toHaveLength(2);
    expect(model.peak()).toBe(2);
    // Balanced by length: 8 + 3 + 1 against 6 + 4 + 2.
    const lengths = model.calls.map((call) => call.reduce((sum, text) => sum + text.length, 0));
    expect(lengths).toEqual([12, 12]);
  });

  it('runs whole when no other slot is free, or when the model has one instance', async () => {
    const busy = recordingModel(2);
    const gate = new InferenceGate(2);
    const gated = gate.wrap(new EmbeddingSpaces(busy.embedder)).primary;
    const query = gated.embedQuery('held');
    await new Promise((resolve) => setTimeout(resolve, 1));
    await gated.embedPassages(['one', 'two', 'three']);
    expect(busy.calls).toEqual([['one', 'two', 'three']]);
    busy.releaseQueries();
    await query;

    const single = recordingModel(1);
    await new InferenceGate(4).wrap(new EmbeddingSpaces(single.embedder)).primary.embedPassages(['one', 'two', 'three']);
    expect(single.calls).toEqual([['one', 'two', 'three']]);
  });

  it('runs two inferences side by side while one answer runs alone, and one at a time once another runs', async () => {
    let answers = 1;
    const gate = new InferenceGate(1, { concurrency: 2, now: () => answers <= 1 });
    const model = recordingModel(2);
    const gated = gate.wrap(new EmbeddingSpaces(model.embedder)).primary;
    await gated.embedPassages(['aaaa', 'bb', 'cc']);
    expect(model.calls).toHaveLength(2);
    expect(model.peak()).toBe(2);

    answers = 2;
    const busy = recordingModel(2);
    const underLoad = gate.wrap(new EmbeddingSpaces(busy.embedder)).primary;
    await Promise.all([underLoad.embedPassages(['one']), underLoad.embedPassages(['two']), underLoad.embedPassages(['three'])]);
    expect(busy.peak()).toBe(1);

    // A waiter gets the second slot as soon as the answer is alone again (at the next acquire or release), ahead of newcomers.
    const held = recordingModel(2);
    const heldGated = gate.wrap(new EmbeddingSpaces(held.embedder)).primary;
    const first = heldGated.embedQuery('first');
    const second = heldGated.embedQuery('second');
    await new Promise((resolve) => setTimeout(resolve, 1));
    expect(gate.queued).toBe(1);
    answers = 1;
    const third = heldGated.embedQuery('third');
    await new Promise((resolve) => setTimeout(resolve, 1));
    expect(gate.queued).toBe(1);
    held.releaseQueries();
    await first;
    await new Promise((resolve) => setTimeout(resolve, 1));
    held.releaseQueries();
    await Promise.all([second, third]);
  });

  it('cuts texts into parts of about equal length, each text once, in its original order', () => {
    const texts = ['x'.repeat(10), 'x'.repeat(9), 'x'.repeat(2), 'x'.repeat(1), 'x'.repeat(8)];
    const parts = balancedParts(texts, 2);
    expect(parts.flat().sort()).toEqual([0, 1, 2, 3, 4]);
    for (const part of parts) expect(part).toEqual([...part].sort((a, b) => a - b));
    // Longest first, each to the lighter part: no part exceeds an even share by more than one text.
    const totals = parts.map((part) => part.reduce((sum, index) => sum + texts[index].length, 0));
    for (const total of totals) expect(total).toBeLessThanOrEqual(30 / 2 + 10);
    expect(totals).toEqual([13, 17]);
    expect(balancedParts(['a', 'b'], 3)).toHaveLength(2);
  });
});
