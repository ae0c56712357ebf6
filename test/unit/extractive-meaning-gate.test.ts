import { describe, expect, it } from 'vitest';
import { extractiveAnswer } from '../../src/answer/extractive.js';
import type { Embedder } from '../../src/embed/embedder.js';

/**
 * A fake embedder that counts its calls: a text mentioning "charge" points one way, anything else the other,
 * so the test decides which sentence "means" the answer (the one saying "fills up") independently of its words.
 */
function countingEmbedder() {
  const calls: string[][] = [];
  const vector = (text: string) => (/fills up/i.test(text) ? new Float32Array([1, 0]) : new Float32Array([0, 1]));
  const embedder: Embedder = {
    modelKey: 'fake',
    dimension: 2,
    maxEmbeddingsPerCall: 64,
    embedPassages: async (texts) => {
      calls.push(texts);
      return texts.map(vector);
    },
    embedQuery: async () => new Float32Array([1, 0]),
    countTokens: (text) => text.length,
  };
  return { embedder, calls };
}

const passage = (n: number, text: string) => ({ n, kind: 'passage' as const, lang: 'en', title: 'Pulse Band', text });

describe('extractive answers read sentences for meaning only when words leave the choice open', () => {
  it('a sentence that alone covers the key terms is quoted without any embedding', async () => {
    const { embedder, calls } = countingEmbedder();
    const sources = [passage(1, 'The strap is made of silicone. The battery lasts seven days on a single charge. The box holds a cable.')];
    const result = await extractiveAnswer('How many days does the battery last on a single charge?', sources, { lang: 'en', embedder });
    expect(result?.text).toMatch(/^The battery lasts seven days on a single charge\./);
    expect(calls).toEqual([]);
  });

  it('between two sentences with the same key terms, the embedder decides', async () => {
    const { embedder, calls } = countingEmbedder();
    // Both sentences cover the same words of the question (watch, battery, hours); only one is about charging.
    const sources = [passage(1, 'The strap comes in three colours. The watch battery must be kept away from heat for hours. The watch battery fills up within two hours from any USB charger.')];
    const result = await extractiveAnswer('How many hours to charge the watch battery?', sources, { lang: 'en', embedder });
    expect(calls.length).toBe(1);
    expect(result?.text).toMatch(/^The watch battery fills up within two hours/);
  });

  it('a near-copy of the best sentence (the same paragraph in another manual) is no rival that needs reading for meaning', async () => {
    const { embedder, calls } = countingEmbedder();
    const sources = [
      passage(1, 'The strap comes in three colours. The watch battery lasts about seven days between two charges in normal use.'),
      passage(2, 'Our strap comes in three colours. The watch battery lasts about seven days between charges in normal use.'),
    ];
    const result = await extractiveAnswer('How many days does the watch battery last between charges?', sources, { lang: 'en', embedder });
    expect(result?.text).toMatch(/^The watch battery lasts about seven days between two charges in normal use\. \[1\]$/);
    expect(calls).toEqual([]);
  });

  it('with a FAQ entry among the candidates meaning is always read: it finds the entry the words miss', async () => {
    // The charging sentence has every word of the question (take, band, pool), the FAQ entry two: words alone quote the sentence.
    const { embedder, calls } = countingEmbedder();
    const swim = { n: 1, kind: 'faq' as const, lang: 'en', title: 'Can I swim with the Pulse Band?', text: '', faqQuestion: 'Can I swim with the Pulse Band?', faqAnswer: 'Yes, it is rated 5 ATM, fine for the pool.', similarity: 0.9 };
    const sources = [swim, passage(2, 'Take the band off the charger before the pool session.')];
    const result = await extractiveAnswer('Can I take the band into the pool?', sources, { lang: 'en', embedder });
    expect(calls.length).toBe(1);
    expect(result?.used).toEqual([1]);
  });
});
