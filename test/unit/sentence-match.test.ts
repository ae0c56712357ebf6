import { describe, expect, it } from 'vitest';
import type { Embedder } from '../../src/embed/embedder.js';
import { EmbeddingSpaces } from '../../src/embed/embedding-spaces.js';
import type { Candidate } from '../../src/retrieve/fusion.js';
import { HybridRetriever, type SearchIndex } from '../../src/retrieve/hybrid-retriever.js';
import { createMetrics } from '../../src/http/metrics.js';
import { rescoreBySentences } from '../../src/retrieve/sentence-match.js';
import { DEFAULT_TUNING } from '../../src/retrieve/tuning.js';
import type { ScoredChunk } from '../../src/store/knowledge-store.js';

// Two sibling paragraphs of one manual: the first is about the topic as a whole (its passage vector is nearest the
// question), the second holds the sentence that answers it.
const OVERVIEW = 'The Pulse Band 3 is a fitness band. It tracks steps and sleep.';
const ANSWER = 'Charging takes two hours. The band is water resistant to 50 metres.';
const QUESTION = [1, 0, 0];
// Each sentence's vector in a 3-d "multilingual" space: only the water-resistance sentence is near the question.
const SENTENCE_VECTORS: Record<string, number[]> = {
  'The Pulse Band 3 is a fitness band.': [0.6, 0.8, 0],
  'It tracks steps and sleep.': [0.5, 0, 0.866],
  'Charging takes two hours.': [0.2, 0.98, 0],
  'The band is water resistant to 50 metres.': [0.95, 0, 0.312],
};

const chunk = (id: string, text: string, score: number): ScoredChunk => ({
  id,
  docId: id,
  sourcePath: `${id}.md`,
  title: 'Pulse Band 3',
  headingPath: '',
  productLine: 'general',
  lang: 'en',
  kind: 'passage',
  text,
  chunkIndex: 0,
  metadata: {},
  score,
});
const candidate = (id: string, text: string, fusedScore: number): Candidate => {
  const { score: _score, ...rest } = chunk(id, text, 0);
  return { ...rest, scores: {}, ranks: {}, fusedScore };
};

function multilingual(calls: string[][]): Embedder {
  return {
    modelKey: 'multi',
    dimension: 3,
    maxEmbeddingsPerCall: 64,
    embedPassages: async (texts) => {
      calls.push(texts);
      return texts.map((text) => new Float32Array(SENTENCE_VECTORS[text] ?? [0, 0, 1]));
    },
    embedQuery: async () => new Float32Array(QUESTION),
    countTokens: (text) => text.length,
  };
}

describe('a question in another language: the sentence that answers', () => {
  it('moves the passage holding the answering sentence ahead of a sibling that is only about the topic', async () => {
    const calls: string[][] = [];
    const ranked = await rescoreBySentences(
      [candidate('overview', OVERVIEW, 2.0), candidate('answer', ANSWER, 1.9), candidate('other', 'Unrelated.', 0.5)],
      new Float32Array(QUESTION),
      multilingual(calls),
      { chunks: 2, weight: 1, maxSentences: 60 },
    );
    expect(ranked.map((c) => c.id)).toEqual(['answer', 'overview', 'other']);
    // One model call for the head's sentences; the rest of the ranking is not read.
    expect(calls).toEqual([[...OVERVIEW.split(/(?<=\.) /), ...ANSWER.split(/(?<=\.) /)]]);
    // fused + weight × (best − min) / σ over the two: 1.9 + 1 × 2, 2.0 + 0
    expect(ranked[0].fusedScore).toBeCloseTo(3.9);
    expect(ranked[1].fusedScore).toBeCloseTo(2.0);
  });

  it('off (no candidates to read) leaves the ranking and calls no model', async () => {
    const calls: string[][] = [];
    const input = [candidate('overview', OVERVIEW, 2.0), candidate('answer', ANSWER, 1.9)];
    expect(await rescoreBySentences(input, new Float32Array(QUESTION), multilingual(calls), { chunks: 0, weight: 1, maxSentences: 60 })).toBe(input);
    expect(calls).toEqual([]);
  });

  it('the retriever re-reads a Thai question by sentence, and never an English one', async () => {
    const index: SearchIndex = {
      dimensions: { vector: 3, vector_multi: 3 },
      vectorSearch: async (_vector, _limit, _filter, column) =>
        column === 'vector_multi' || column === 'vector' ? [chunk('overview', OVERVIEW, 0.84), chunk('answer', ANSWER, 0.83), chunk('other', 'Unrelated.', 0.7)] : [],
      fullTextSearch: async () => [],
    };
    const primary: Embedder = { ...multilingual([]), modelKey: 'zh' };
    const calls: string[][] = [];
    const retriever = new HybridRetriever(new EmbeddingSpaces(primary, {}, multilingual(calls)), index, { ...DEFAULT_TUNING, translationAgreement: 0 });
    const thai = await retriever.retrieve('Pulse Band 3 ใช้ว่ายน้ำได้ไหม', { lang: 'th' });
    expect(thai.candidates[0].id).toBe('answer');
    expect(calls.length).toBe(1);
    // The raw list (the decision's evidence) keeps the search's order and cosines.
    expect(thai.lists.find((list) => list.source === 'dense:vector_multi')!.hits.map((hit) => hit.id)).toEqual(['overview', 'answer', 'other']);

    calls.length = 0;
    const english = await retriever.retrieve('Can I swim with the Pulse Band 3?', { lang: 'en' });
    expect(english.candidates[0].id).toBe('overview');
    expect(calls).toEqual([]);
  });

  it('a failed sentence embedding leaves the fused order and the answer goes on', async () => {
    const index: SearchIndex = {
      dimensions: { vector: 3, vector_multi: 3 },
      vectorSearch: async () => [chunk('overview', OVERVIEW, 0.84), chunk('answer', ANSWER, 0.83), chunk('other', 'Unrelated.', 0.7)],
      fullTextSearch: async () => [],
    };
    // The question's vector came back; the sentences' call fails (the model's server went down, or timed out).
    const failing: Embedder = {
      ...multilingual([]),
      embedPassages: async () => {
        throw new Error('embedding request to http://127.0.0.1:1/v1 failed: Request timed out.');
      },
    };
    const metrics = createMetrics();
    const retriever = new HybridRetriever(new EmbeddingSpaces({ ...multilingual([]), modelKey: 'zh' }, {}, failing), index, { ...DEFAULT_TUNING, translationAgreement: 0 }, metrics.retrievalObserver);
    const thai = await retriever.retrieve('Pulse Band 3 ใช้ว่ายน้ำได้ไหม', { lang: 'th' });
    expect(thai.candidates.map((c) => c.id)).toEqual(['overview', 'answer', 'other']);
    expect(await metrics.registry.metrics()).toContain('kefu_sentence_match_fallbacks_total{reason="error"} 1');
  });

  it('past its time budget the fused order stands and the fallback is counted', async () => {
    const index: SearchIndex = {
      dimensions: { vector: 3, vector_multi: 3 },
      vectorSearch: async () => [chunk('overview', OVERVIEW, 0.84), chunk('answer', ANSWER, 0.83), chunk('other', 'Unrelated.', 0.7)],
      fullTextSearch: async () => [],
    };
    // The sentences' call does not come back until released: a saturated model, or one that hangs.
    const calls: string[][] = [];
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const stuck: Embedder = {
      ...multilingual(calls),
      embedPassages: async (texts) => {
        calls.push(texts);
        await held;
        return texts.map((text) => new Float32Array(SENTENCE_VECTORS[text] ?? [0, 0, 1]));
      },
    };
    const metrics = createMetrics();
    const tuning = { ...DEFAULT_TUNING, translationAgreement: 0, sentenceMatch: { ...DEFAULT_TUNING.sentenceMatch, timeoutMs: 1 } };
    const retriever = new HybridRetriever(new EmbeddingSpaces({ ...multilingual([]), modelKey: 'zh' }, {}, stuck), index, tuning, metrics.retrievalObserver);
    const thai = await retriever.retrieve('Pulse Band 3 ใช้ว่ายน้ำได้ไหม', { lang: 'th' });
    expect(thai.candidates.map((c) => c.id)).toEqual(['overview', 'answer', 'other']);
    expect(await metrics.registry.metrics()).toContain('kefu_sentence_match_fallbacks_total{reason="timeout"} 1');
    expect(calls).toHaveLength(1);
    release();
  });

  it('embeds at most maxSentences sentences per question, every first sentence before any second one', async () => {
    const calls: string[][] = [];
    const long = (name: string) => candidate(name, [1, 2, 3, 4].map((n) => `${name} sentence ${n}.`).join(' '), 1);
    await rescoreBySentences([long('a'), long('b'), long('c')], new Float32Array(QUESTION), multilingual(calls), { chunks: 3, weight: 1, maxSentences: 5 });
    expect(calls).toHaveLength(1);
    expect([...calls[0]].sort()).toEqual(['a sentence 1.', 'a sentence 2.', 'b sentence 1.', 'b sentence 2.', 'c sentence 1.']);
  });
});
