import { describe, expect, it } from 'vitest';
import { DEFAULT_OFF_TOPIC_SIMILARITY, offTopicJudge } from '../../src/insights/off-topic.js';
import type { Calibration } from '../../src/store/knowledge-store.js';

const classifier = { classify: (text: string) => ({ productLine: /Guard Cam/.test(text) ? 'A' : 'unknown', matched: [], scores: {} }) };
const calibration: Calibration = {
  version: 3,
  at: '',
  target: 0.05,
  model: 'm',
  languages: { en: { threshold: 0.2, positives: 80, negatives: 48, negativesRefused: 0.8, auroc: 0.9, offTopicSimilarity: 0.6 } },
};

describe('the off-topic judge', () => {
  it('sets apart questions far from the knowledge base that name no product, by the serving version’s cut or the default', async () => {
    const judge = offTopicJudge({ calibration: async () => calibration, classifier });
    const offTopic = await judge([
      { id: 'capital', question: 'What is the capital of France?', lang: 'en', similarity: 0.51 },
      { id: 'bitcoin', question: 'Can I pay in Bitcoin?', lang: 'en', similarity: 0.61 },
      { id: 'camera', question: 'Can the Guard Cam 2 fly?', lang: 'en', similarity: 0.4 },
      { id: 'old-entry', question: 'Who wrote Hamlet?', lang: 'en' },
      { id: 'nothing-retrieved', question: 'Who painted the Mona Lisa?', lang: 'en', similarity: 0 },
      { id: 'spanish', question: '¿Quién escribió Hamlet?', lang: 'es', similarity: 0.1 },
      // No Chinese cut in this calibration: the default one.
      { id: 'novel', question: '谁写了红楼梦？', lang: 'zh', similarity: DEFAULT_OFF_TOPIC_SIMILARITY.zh - 0.1 },
      { id: 'alipay', question: '可以用支付宝分期付款吗？', lang: 'zh', similarity: DEFAULT_OFF_TOPIC_SIMILARITY.zh + 0.02 },
    ]);
    expect([...offTopic].sort()).toEqual(['capital', 'novel']);
  });

  it('falls back to the default cut when the calibration cannot be read', async () => {
    const judge = offTopicJudge({ calibration: () => Promise.reject(new Error('table gone')) });
    expect(await judge([{ id: 'x', question: 'Who wrote Hamlet?', lang: 'en', similarity: 0.3 }])).toEqual(new Set(['x']));
  });
});
