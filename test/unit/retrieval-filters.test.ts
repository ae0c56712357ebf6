import { describe, expect, it } from 'vitest';
import type { Embedder } from '../../src/embed/embedder.js';
import { EmbeddingSpaces } from '../../src/embed/embedding-spaces.js';
import { HybridRetriever, type SearchIndex } from '../../src/retrieve/hybrid-retriever.js';
import type { ChunkFilter, ScoredChunk } from '../../src/store/knowledge-store.js';
import { whereClause } from '../../src/store/lance-knowledge-store.js';

const embedder = (name: string): Embedder => ({
  modelKey: name,
  dimension: 2,
  maxEmbeddingsPerCall: 8,
  embedPassages: async (texts) => texts.map(() => new Float32Array([1, 0])),
  embedQuery: async () => new Float32Array([1, 0]),
  countTokens: (text) => text.length,
});

const hit = (id: string, lang: string): ScoredChunk => ({
  id,
  docId: id,
  sourcePath: `${id}.md`,
  title: id,
  headingPath: '',
  productLine: 'A',
  lang,
  kind: 'passage',
  text: id,
  chunkIndex: 0,
  metadata: {},
  score: 0.8,
});

/** Records the filter each search was given. */
function recordingIndex(filters: Record<string, ChunkFilter | undefined>): SearchIndex {
  return {
    dimensions: { vector: 2, vector_en: 2 },
    languageShare: async () => 0.5,
    vectorSearch: async (_vector, _limit, filter, column = 'vector') => {
      filters[column] = filter;
      return [hit(`${column}-hit`, column === 'vector' ? 'zh' : 'en')];
    },
    fullTextSearch: async (_text, _limit, filter) => {
      filters.lexical = filter;
      return [hit('lexical-hit', 'en')];
    },
  };
}

describe('retrieval filters are typed; only the store writes SQL', () => {
  it('the retriever asks for product lines and a language space’s languages, not for SQL', async () => {
    const filters: Record<string, ChunkFilter | undefined> = {};
    const spaces = new EmbeddingSpaces(embedder('zh-model'), { en: embedder('en-model') });
    await new HybridRetriever(spaces, recordingIndex(filters)).retrieve('How long does the battery last?', { lang: 'en', productLines: ['A'] });
    expect(filters.lexical).toEqual({ productLines: ['A'] });
    expect(filters.vector).toEqual({ productLines: ['A'], languages: undefined });
    expect(filters.vector_en).toEqual({ productLines: ['A'], languages: ['en'] });

    const unscoped: Record<string, ChunkFilter | undefined> = {};
    await new HybridRetriever(spaces, recordingIndex(unscoped)).retrieve('How long does the battery last?', { lang: 'en' });
    expect(unscoped.lexical).toBeUndefined();
    expect(unscoped.vector).toBeUndefined();
    expect(unscoped.vector_en).toEqual({ languages: ['en'] });
  });

  it('the store turns a filter into the same LanceDB clause the retriever used to write, with quotes escaped', () => {
    expect(whereClause(undefined)).toBeUndefined();
    expect(whereClause({})).toBeUndefined();
    expect(whereClause({ productLines: [], languages: undefined })).toBeUndefined();
    expect(whereClause({ productLines: ['A', 'B'] })).toBe("product_line IN ('A', 'B')");
    expect(whereClause({ productLines: ['A'], languages: ['en'] })).toBe("product_line IN ('A') AND lang IN ('en')");
    expect(whereClause({ docIds: ["faq-1' OR '1'='1"] })).toBe("doc_id IN ('faq-1'' OR ''1''=''1')");
  });

  it('a key’s audiences go into every search, vector and full-text, whatever else is filtered', async () => {
    const filters: Record<string, ChunkFilter | undefined> = {};
    const spaces = new EmbeddingSpaces(embedder('zh-model'), { en: embedder('en-model') });
    await new HybridRetriever(spaces, recordingIndex(filters)).retrieve('How long does the battery last?', { lang: 'en', audiences: ['public'] });
    expect(filters.lexical).toEqual({ audiences: ['public'] });
    expect(filters.vector).toEqual({ audiences: ['public'], languages: undefined });
    expect(filters.vector_en).toEqual({ audiences: ['public'], languages: ['en'] });
  });

  it('audiences become an array_has_any clause; on a table without the column every row is public', () => {
    expect(whereClause({ audiences: ['agents', 'public'] })).toBe("array_has_any(audiences, make_array('agents', 'public'))");
    expect(whereClause({ productLines: ['A'], audiences: ["it's"] })).toBe("product_line IN ('A') AND array_has_any(audiences, make_array('it''s'))");
    // An empty list sees nothing: never read as "no restriction".
    expect(whereClause({ audiences: [] })).toBe('false');
    // A table from before audiences: the public sees all of it, a key for agents alone nothing.
    expect(whereClause({ audiences: ['public', 'agents'] }, false)).toBeUndefined();
    expect(whereClause({ audiences: ['agents'] }, false)).toBe('false');
    expect(whereClause({ productLines: ['A'], audiences: ['agents'] }, false)).toBe("product_line IN ('A') AND false");
  });
});
