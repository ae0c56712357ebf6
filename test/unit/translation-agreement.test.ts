import { describe, expect, it } from 'vitest';
import type { Embedder } from '../../src/embed/embedder.js';
import { EmbeddingSpaces } from '../../src/embed/embedding-spaces.js';
import { HybridRetriever, type SearchIndex } from '../../src/retrieve/hybrid-retriever.js';
import { DEFAULT_TUNING } from '../../src/retrieve/tuning.js';
import { agreeAcrossTranslations, type VectorHit } from '../../src/retrieve/translation-agreement.js';
import type { ScoredChunk } from '../../src/store/knowledge-store.js';

// Two passages and their translations: A (en) ~ A' (zh), B (en) ~ B' (zh), in a 3-d multilingual space.
const hit = (id: string, lang: string, score: number, vector: number[]): VectorHit => ({
  id,
  docId: id,
  sourcePath: `${id}.md`,
  title: id,
  headingPath: '',
  productLine: 'general',
  lang,
  kind: 'passage',
  text: id,
  chunkIndex: 0,
  metadata: {},
  score,
  vector,
});
const hits = (): VectorHit[] => [hit('B', 'en', 0.82, [0, 1, 0.1]), hit('A', 'en', 0.8, [1, 0, 0.1]), hit('A-zh', 'zh', 0.79, [0.95, 0.05, 0]), hit('B-zh', 'zh', 0.7, [0.05, 0.95, 0])];

describe('a question in another language: translations that agree', () => {
  it('a passage whose translation also matches the question moves ahead of one that matches alone', () => {
    const list = { hits: agreeAcrossTranslations(hits(), 0.5).agreed };
    expect(list.hits.map((h) => h.id)).toEqual(['A', 'A-zh', 'B', 'B-zh']);
    // score + 0.5 × the translation's score
    expect(list.hits[0].score).toBeCloseTo(0.8 + 0.5 * 0.79);
    expect(list.hits.every((h) => !('vector' in h))).toBe(true);
  });

  it('weight 0 keeps the order and drops the vectors', () => {
    const list = { hits: agreeAcrossTranslations(hits(), 0).agreed };
    expect(list.hits.map((h) => h.id)).toEqual(['B', 'A', 'A-zh', 'B-zh']);
    expect(list.hits.every((h) => !('vector' in h))).toBe(true);
  });

  it('a passage with no mutual translation gets only the floor, not its nearest stranger', () => {
    // C (en) is nearest to A-zh, but A-zh is nearer to A: C is unpaired and gains weight × the lowest score.
    const withStranger = [...hits(), hit('C', 'en', 0.81, [0.9, 0.1, 0.3])];
    const list = { hits: agreeAcrossTranslations(withStranger, 0.5).agreed };
    expect(list.hits.find((h) => h.id === 'C')?.score).toBeCloseTo(0.81 + 0.5 * 0.7);
    expect(list.hits[0].id).toBe('A');
  });

  it('the retriever fuses by the agreed order but keeps the raw cosines as the evidence, for other languages only', async () => {
    const asked: (boolean | undefined)[] = [];
    const index: SearchIndex = {
      dimensions: { vector: 3, vector_multi: 3 },
      vectorSearch: async (_vector, _limit, _filter, column, options) => {
        asked.push(options?.withVectors);
        return column === 'vector_multi' ? (hits() as ScoredChunk[]) : [];
      },
      fullTextSearch: async () => [],
    };
    const embedder = (name: string): Embedder => ({
      modelKey: name,
      dimension: 3,
      maxEmbeddingsPerCall: 8,
      embedPassages: async (t) => t.map(() => new Float32Array(3)),
      embedQuery: async () => new Float32Array([1, 0, 0]),
      countTokens: (t) => t.length,
    });
    const retriever = new HybridRetriever(new EmbeddingSpaces(embedder('zh'), {}, embedder('multi')), index, DEFAULT_TUNING);
    const result = await retriever.retrieve('هل يمكنني السباحة به؟', { lang: 'ar' });
    expect(asked).toEqual([true]);
    expect(result.candidates[0].id).toBe('A');
    const raw = result.lists.find((list) => list.source === 'dense:vector_multi')!;
    expect(raw.hits.map((h) => [h.id, h.score])).toEqual([
      ['B', 0.82],
      ['A', 0.8],
      ['A-zh', 0.79],
      ['B-zh', 0.7],
    ]);
    expect(raw.hits.every((h) => !('vector' in h))).toBe(true);
    expect(result.candidates.every((c) => !('vector' in c))).toBe(true);

    asked.length = 0;
    await retriever.retrieve('Can I swim with it?', { lang: 'en' });
    expect(asked.every((flag) => flag === undefined)).toBe(true);
  });
});
