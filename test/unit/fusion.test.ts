import { describe, expect, it } from 'vitest';
import { boostLines, capPerDocument, fuseLists, normalizeScores, type RankedList } from '../../src/retrieve/fusion.js';
import { DEFAULT_TUNING, weightsFor } from '../../src/retrieve/tuning.js';
import type { ScoredChunk } from '../../src/store/knowledge-store.js';

const hit = (id: string, score: number, doc = id, line = 'general'): ScoredChunk =>
  ({ id, docId: doc, score, text: id, title: '', headingPath: '', sourcePath: '', productLine: line, lang: 'en', kind: 'passage', searchText: '', contentHash: '', docHash: '', chunkIndex: 0, metadata: {} }) as ScoredChunk;

describe('score normalisation', () => {
  it('measures each hit in standard deviations above the list’s worst hit', () => {
    const values = normalizeScores([hit('a', 0.9), hit('b', 0.5), hit('c', 0.5), hit('d', 0.5)]);
    expect(values[3]).toBe(0);
    expect(values[0]).toBeCloseTo(0.4 / Math.sqrt(0.03), 5);
  });
  it('gives a one-hit or flat list one deviation everywhere', () => {
    expect(normalizeScores([hit('a', 12)])).toEqual([1]);
    expect(normalizeScores([hit('a', 3), hit('b', 3)])).toEqual([1, 1]);
  });
});

describe('score-aware fusion', () => {
  it('lets a list whose top hit stands out lead over a list whose hits are alike', () => {
    // Dense: flat (all about the same topic). Lexical: one chunk matches the question's rare term strongly.
    const dense: RankedList = { source: 'dense:vector', hits: [hit('x', 0.71), hit('y', 0.705), hit('answer', 0.7), hit('z', 0.69)] };
    const lexical: RankedList = { source: 'lexical', hits: [hit('answer', 25), hit('x', 4), hit('z', 3.5), hit('w', 3)] };
    const fused = fuseLists([dense, lexical], { 'dense:vector': 1, lexical: 1 });
    expect(fused[0].id).toBe('answer');
    expect(fused[0].ranks).toEqual({ 'dense:vector': 3, lexical: 1 });
    expect(fused[0].scores).toEqual({ 'dense:vector': 0.7, lexical: 25 });
  });

  it('ignores a list without a weight, but records its ranks', () => {
    const fused = fuseLists([{ source: 'dense:vector', hits: [hit('a', 0.9), hit('b', 0.1)] }, { source: 'lexical', hits: [hit('b', 9), hit('a', 1)] }], { 'dense:vector': 1 });
    expect(fused.map((candidate) => candidate.id)).toEqual(['a', 'b']);
    expect(fused[1].ranks.lexical).toBe(1);
  });

  it('moves a language space’s weight to the primary list for chunks that space cannot hold', () => {
    const chinese = { ...hit('zh-answer', 0.8), lang: 'zh' } as ScoredChunk;
    const lists: RankedList[] = [
      { source: 'dense:vector_en', languages: ['en'], hits: [hit('en-a', 0.7), hit('en-b', 0.5)] },
      { source: 'dense:vector', hits: [chinese, hit('en-a', 0.4), hit('en-b', 0.3)] },
    ];
    const fused = fuseLists(lists, { 'dense:vector_en': 0.85, 'dense:vector': 0.15 });
    expect(fused[0].id).toBe('zh-answer');
    expect(fused[0].fusedScore).toBeCloseTo(1 * normalizeScores(lists[1].hits)[0]);
  });

  it('boosts a guessed product line without excluding the others, and caps chunks per document', () => {
    const fused = fuseLists([{ source: 'lexical', hits: [hit('a1', 10, 'a', 'A'), hit('b1', 9, 'b', 'B'), hit('a2', 8, 'a', 'A'), hit('a3', 1, 'a', 'A')] }], { lexical: 1 });
    expect(boostLines(fused, ['B'], 0.5).map((candidate) => candidate.id)).toEqual(['b1', 'a1', 'a2', 'a3']);
    expect(capPerDocument(fused, 2, 10).map((candidate) => candidate.id)).toEqual(['a1', 'b1', 'a2']);
  });
});

describe('fusion weights', () => {
  it('use the English model for English questions and move its weight to the primary model on a table without it', () => {
    expect(weightsFor(DEFAULT_TUNING, 'en', new Set(['dense:vector', 'dense:vector_en', 'lexical']))).toEqual({ 'dense:vector_en': 0.85, 'dense:vector': 0.15, lexical: 1 });
    // A table that is half English keeps both; one almost all English: the English space alone carries the dense side.
    expect(weightsFor(DEFAULT_TUNING, 'en', new Set(['dense:vector', 'dense:vector_en', 'lexical']), 0.5)).toEqual({ 'dense:vector_en': 0.85, 'dense:vector': 0.15, lexical: 1 });
    expect(weightsFor(DEFAULT_TUNING, 'en', new Set(['dense:vector', 'dense:vector_en', 'lexical']), 0.95)).toEqual({ 'dense:vector_en': 1, lexical: 1 });
    expect(weightsFor(DEFAULT_TUNING, 'en', new Set(['dense:vector', 'lexical']))).toEqual({ 'dense:vector': 1, lexical: 1 });
    expect(weightsFor(DEFAULT_TUNING, 'zh', new Set(['dense:vector', 'dense:vector_en', 'lexical']))).toEqual({ 'dense:vector': 1, lexical: 1 });
  });
});
