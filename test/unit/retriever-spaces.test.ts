import { describe, expect, it } from 'vitest';
import type { Embedder } from '../../src/embed/embedder.js';
import { EmbeddingSpaces } from '../../src/embed/embedding-spaces.js';
import { HybridRetriever, type SearchIndex } from '../../src/retrieve/hybrid-retriever.js';
import type { ScoredChunk } from '../../src/store/knowledge-store.js';

function recordingEmbedder(name: string, calls: string[]): Embedder {
  return {
    modelKey: name,
    dimension: 2,
    maxEmbeddingsPerCall: 8,
    embedPassages: async (texts) => texts.map(() => new Float32Array([1, 0])),
    embedQuery: async () => {
      calls.push(name);
      return new Float32Array([1, 0]);
    },
    countTokens: (text) => text.length,
  };
}

const hit = (id: string, lang: string, score: number): ScoredChunk => ({ id, docId: id, sourcePath: `${id}.md`, title: id, headingPath: '', productLine: 'general', lang, kind: 'passage', text: id, chunkIndex: 0, metadata: {}, score });

/** `englishShare`: the share of the table's rows in English. */
function recordingIndex(searched: string[], englishShare: number): SearchIndex {
  return {
    dimensions: { vector: 2, vector_en: 2 },
    languageShare: async (lang) => (lang === 'en' ? englishShare : 1 - englishShare),
    vectorSearch: async (_vector, _limit, _filter, column = 'vector') => {
      searched.push(column);
      return [hit(`${column}-hit`, column === 'vector' ? 'zh' : 'en', 0.8)];
    },
    fullTextSearch: async () => {
      searched.push('lexical');
      return [hit('lexical-hit', 'en', 7)];
    },
  };
}

describe('the retriever searches only the lists it fuses', () => {
  it('on a table almost all in English, an English question is embedded and searched in the English space only, plus full-text search', async () => {
    const calls: string[] = [];
    const searched: string[] = [];
    const retriever = new HybridRetriever(new EmbeddingSpaces(recordingEmbedder('zh-model', calls), { en: recordingEmbedder('en-model', calls) }), recordingIndex(searched, 0.95));
    const result = await retriever.retrieve('How long does the battery last?', { lang: 'en' });
    expect(calls).toEqual(['en-model']);
    expect(searched.sort()).toEqual(['lexical', 'vector_en']);
    expect(result.lists.map((list) => list.source).sort()).toEqual(['dense:vector_en', 'lexical']);
  });

  it('a Chinese question uses the primary space; without an English space an English question does too', async () => {
    const calls: string[] = [];
    const searched: string[] = [];
    await new HybridRetriever(new EmbeddingSpaces(recordingEmbedder('zh-model', calls), { en: recordingEmbedder('en-model', calls) }), recordingIndex(searched, 0.5)).retrieve('电池能用多久？', { lang: 'zh' });
    expect(calls).toEqual(['zh-model']);
    expect(searched.sort()).toEqual(['lexical', 'vector']);

    calls.length = 0;
    const primaryOnly: SearchIndex = { ...recordingIndex(searched, 0.5), dimensions: { vector: 2 } };
    const result = await new HybridRetriever(new EmbeddingSpaces(recordingEmbedder('zh-model', calls)), primaryOnly).retrieve('How long does the battery last?', { lang: 'en' });
    expect(calls).toEqual(['zh-model']);
    expect(result.candidates[0].scores).toHaveProperty('dense:vector');
  });

  it('on a bilingual or mostly Chinese table an English question is searched in the primary space too: its only dense path to Chinese answers', async () => {
    const calls: string[] = [];
    const searched: string[] = [];
    const retriever = new HybridRetriever(new EmbeddingSpaces(recordingEmbedder('zh-model', calls), { en: recordingEmbedder('en-model', calls) }), recordingIndex(searched, 0.5));
    const result = await retriever.retrieve('How long does the battery last?', { lang: 'en' });
    expect(calls.sort()).toEqual(['en-model', 'zh-model']);
    expect(searched.sort()).toEqual(['lexical', 'vector', 'vector_en']);
    expect(result.candidates.map((candidate) => candidate.id)).toContain('vector-hit');
  });
});
