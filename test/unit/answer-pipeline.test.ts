import { describe, expect, it } from 'vitest';
import { evalPipeline } from '../../eval/suite.js';
import { modelFingerprint } from '../../src/answer/answerability.js';
import { AnswerPipeline, answerPipelineOptions, configuredThresholds } from '../../src/answer/answer-pipeline.js';
import { loadConfig } from '../../src/config/config.js';
import type { EmbeddingSpaces } from '../../src/embed/embedding-spaces.js';
import type { Calibration, KnowledgeStore } from '../../src/store/knowledge-store.js';

/** A table whose calibration (version 3) the band may follow; nothing is searched in these tests. */
const store = (calibration?: Calibration) =>
  ({
    version: async () => 3,
    servingVersion: async () => 3,
    calibration: async (version: number) => (version === 3 ? calibration : undefined),
  }) as unknown as KnowledgeStore;
const embedders = {} as EmbeddingSpaces;

describe('the eval runs the answer pipeline the service runs, with the settings the service reads', () => {
  it('takes retrieval candidates, sources, rerank depth and the cuts from the parsed settings, not copied defaults', async () => {
    const config = loadConfig({ RETRIEVAL_CANDIDATES: '17', RETRIEVAL_SOURCES: '3', RERANKER_TOP_N: '7', REFUSAL_THRESHOLD_EN: '0.31', ANSWER_THRESHOLD_EN: '0.62' });
    const pipeline = evalPipeline(config, store(), { embedders });
    const service = new AnswerPipeline(answerPipelineOptions(config, { embedders, store: store(), refusalThreshold: configuredThresholds(config, store()).band }));
    for (const built of [pipeline, service]) {
      expect(built.retriever.tuning.candidates).toBe(17);
      expect(built.options).toMatchObject({ sources: 3, rerankTopN: 7, reranker: undefined });
      expect(await built.band('en')).toEqual({ refuse: 0.31, answer: 0.62 });
    }
  });

  it("follows the table's calibration where no cut is set, and a flag's threshold over the settings", async () => {
    const config = loadConfig({ REFUSAL_THRESHOLD_EN: '0.31' });
    const calibration: Calibration = {
      version: 3,
      at: '',
      target: 0.05,
      model: modelFingerprint(),
      languages: { zh: { threshold: 0.44, answerThreshold: 0.71, positives: 1, negatives: 1, negativesRefused: 1, auroc: 1 } },
    };
    const pipeline = evalPipeline(config, store(calibration), { embedders });
    expect(await pipeline.band('zh')).toEqual({ refuse: 0.44, answer: 0.71 });
    expect(await pipeline.band('en')).toEqual({ refuse: 0.31, answer: 0.31 });
    expect(await evalPipeline(config, store(calibration), { embedders, threshold: { zh: 0, en: 0 } }).band('zh')).toEqual({ refuse: 0, answer: 0 });
  });
});
