import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { embedInBatches } from '../../src/embed/embedder.js';
import { ModelNotFoundError, TransformersEmbedder, resolveModelLocation } from '../../src/embed/transformers-embedder.js';

// ../shared/models/tiny-random-bert-zh has RANDOM weights: it tests the loading path only, never quality.
const tinyModel = path.resolve('../shared/models/tiny-random-bert-zh');

describe('loading an embedding model from a local folder (random-weight fixture)', () => {
  it('loads, reads the dimension from the model, and embeds deterministically in batches', async () => {
    const embedder = await TransformersEmbedder.load({ model: tinyModel, modelsDir: 'models', pooling: 'mean', dtype: 'q8', batchSize: 2, allowRemote: false });
    expect(embedder.dimension).toBe(256);
    const progress: number[] = [];
    const vectors = await embedInBatches(embedder, ['如何退货', '如何退货', 'thermostat', '温控器'], (done) => progress.push(done));
    // Three distinct texts in batches of two: two calls; the repeated question is embedded once, counted twice.
    expect(progress).toHaveLength(3);
    expect(progress.at(-1)).toBe(4);
    expect(vectors).toHaveLength(4);
    expect(vectors[0]).toBe(vectors[1]);
    const norm = Math.hypot(...vectors[2]);
    expect(norm).toBeCloseTo(1, 4);
    expect(embedder.countTokens('温控器')).toBe(3);
  });

  it('gives the same vectors, in order, whether a call\'s texts run one by one or as one padded batch', async () => {
    const settings = { model: tinyModel, modelsDir: 'models', pooling: 'mean' as const, dtype: 'q8' as const, batchSize: 8, allowRemote: false };
    const singly = await TransformersEmbedder.load({ ...settings, textsPerRun: 1 });
    const batched = await TransformersEmbedder.load({ ...settings, textsPerRun: 8 });
    // Lengths differ, so the batch pads: the attention mask and mean pooling must make padding invisible.
    const texts = ['退货', 'how do I reset the thermostat to factory settings', '温控器的保修期是多久', 'a'];
    const [one, all] = [await singly.embedPassages(texts), await batched.embedPassages(texts)];
    expect(one).toHaveLength(4);
    one.forEach((vector, index) => {
      expect(vector).toHaveLength(256);
      for (let d = 0; d < vector.length; d++) expect(vector[d]).toBeCloseTo(all[index][d], 2);
    });
    // Distinct texts, distinct vectors: the groups were not shuffled or repeated.
    expect(Array.from(one[0])).not.toEqual(Array.from(one[1]));
  });

  it('says how to fix a missing model instead of trying the network', () => {
    expect(() => resolveModelLocation({ model: 'no-such-model', modelsDir: 'models', allowRemote: false })).toThrow(ModelNotFoundError);
    expect(() => resolveModelLocation({ model: 'no-such-model', modelsDir: 'models', allowRemote: false })).toThrow(/models:fetch/);
  });
});
