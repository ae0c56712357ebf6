import { describe, expect, it } from 'vitest';
import { AnswerService } from '../../src/answer/answer-service.js';
import type { CuratedEntry } from '../../src/answer/curated.js';
import { loadPromptTemplates } from '../../src/answer/prompt-templates.js';
import { ProductLineClassifier, loadProductLineRules } from '../../src/classify/product-lines.js';
import type { Embedder } from '../../src/embed/embedder.js';
import { EmbeddingSpaces } from '../../src/embed/embedding-spaces.js';
import { HybridRetriever, type SearchIndex } from '../../src/retrieve/hybrid-retriever.js';
import type { ScoredChunk } from '../../src/store/knowledge-store.js';
import { until } from '../support/until.js';

const embedder: Embedder = {
  modelKey: 'fake',
  dimension: 2,
  maxEmbeddingsPerCall: 8,
  embedPassages: async (texts) => texts.map(() => new Float32Array([1, 0])),
  embedQuery: async () => new Float32Array([1, 0]),
  countTokens: (text) => text.length,
};

/** A knowledge table whose full-text search answers only when the test says so. */
function slowIndex() {
  let finish!: () => void;
  const searched = new Promise<void>((resolve) => (finish = resolve));
  const hit: ScoredChunk = { id: 'a', docId: 'a', sourcePath: 'a.md', title: 'A', headingPath: '', productLine: 'general', lang: 'en', kind: 'passage', text: 'Text.', chunkIndex: 0, metadata: {}, score: 1 };
  const index: SearchIndex = {
    dimensions: { vector: 2 },
    vectorSearch: async () => [hit],
    fullTextSearch: async () => {
      await searched;
      return [hit];
    },
  };
  return { index, finish };
}

describe('a curated answer given while retrieval runs', () => {
  it('answers at once, and the dropped retrieval keeps its answer-gate slot until it ends', async () => {
    const { index, finish } = slowIndex();
    const entry: CuratedEntry = { id: 'contact', source: 'file', lang: 'en', question: 'How do I reach support?', answer: 'Call +1-800-555-0142.', paraphrases: [] };
    const events: string[] = [];
    const service = new AnswerService({
      retriever: new HybridRetriever(new EmbeddingSpaces(embedder), index),
      embedders: new EmbeddingSpaces(embedder),
      classifier: new ProductLineClassifier(await loadProductLineRules('knowledge/product-lines.yaml')),
      tokenCounter: { count: (text) => text.length },
      companyName: 'Lumora',
      handoffContact: { zh: '客服', en: 'support' },
      refusalThreshold: async () => 0.5,
      sources: 6,
      contextTokens: 32_000,
      maxAnswerTokens: 512,
      sampling: { temperature: 0.7 },
      templates: await loadPromptTemplates('knowledge/prompts'),
      answerLength: { widget: { zh: 150, en: 100 }, api: { zh: 300, en: 200 }, email: { zh: 400, en: 250 } },
      cpuGate: {
        acquire: async () => {
          events.push('acquired');
          return () => events.push('released');
        },
      },
      curated: { match: async () => ({ entry, similarity: 0.97, matched: entry.question }), settings: { similarity: { zh: 0.75, en: 0.8 }, fallbackSimilarity: { zh: 0.72, en: 0.76 }, refreshSeconds: 2 }, revision: 'r1' },
    });

    const answer: string[] = [];
    for await (const event of service.answer({ question: 'How do I reach support?' })) if (event.type === 'done') answer.push(event.data.mode, event.data.answer);
    expect(answer).toEqual(['curated', 'Call +1-800-555-0142.']);
    // The answer is out; the full-text search it no longer needs is still running, and holds the slot.
    expect(events).toEqual(['acquired']);
    finish();
    await until('the slot to be released', async () => (events.includes('released') ? true : undefined), 5_000, 5);
    expect(events).toEqual(['acquired', 'released']);
  });
});
