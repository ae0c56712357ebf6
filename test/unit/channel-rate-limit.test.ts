import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import type { AnswerService } from '../../src/answer/answer-service.js';
import type { Conversations } from '../../src/chat/conversation.js';
import { createChannelMetrics } from '../../src/channels/channel-metrics.js';
import { ChannelTurns } from '../../src/channels/channel-turns.js';
import { createLogger } from '../../src/log.js';
import { ContentLabels } from '../../src/moderation/content-label.js';
import { Moderation } from '../../src/moderation/lexicon.js';
import { MemoryState } from '../../src/state/shared-state.js';

/**
 * The per-customer rate limit of the messaging channels covers every message that costs something: a request for
 * a person and a lexicon hit each record a handoff (and in WeCom move the conversation to a person), so a customer
 * (or a forged sender) repeating "转人工" or a banned word must be slowed like any other question.
 */
function turns() {
  return new ChannelTurns({
    answers: {} as AnswerService,
    conversations: {} as Conversations,
    state: new MemoryState(),
    handoffContact: { zh: '400-000', en: 'help@example.com' },
    labels: new ContentLabels(),
    moderation: Moderation.fromEntries([{ term: 'bannedword', category: 'test' }]),
    metrics: createChannelMetrics(new Registry()),
    logger: createLogger('silent'),
    rateLimit: { perMinute: 1, burst: 3 },
    answerTimeoutMs: 1000,
    maxQuestionChars: 500,
  });
}

const format = { maxBytes: 2000, maxParts: 5 };
const message = (text: string, n: number) => ({ channel: 'wechat' as const, account: 'wx1', user: 'openid-flood', messageId: String(n), text });

describe('the per-customer rate limit on messaging channels', () => {
  for (const text of ['转人工', 'tell me about bannedword']) {
    it(`slows a flood of "${text}" after the burst: no handoff recorded for each`, async () => {
      const channel = turns();
      const outcomes = [];
      for (let n = 0; n < 6; n++) outcomes.push((await channel.answer(message(text, n), format)).outcome);
      expect(outcomes.slice(0, 3).every((outcome) => outcome !== 'rate_limited')).toBe(true);
      expect(outcomes.slice(3)).toEqual(['rate_limited', 'rate_limited', 'rate_limited']);
    });
  }
});
