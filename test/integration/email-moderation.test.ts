import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import type { AnswerDone, AnswerEvent, AnswerMeta, AnswerService } from '../../src/answer/answer-service.js';
import type { Conversations } from '../../src/chat/conversation.js';
import { EmailChannel } from '../../src/email/email-channel.js';
import { EmailStore } from '../../src/email/email-store.js';
import { parseEmail } from '../../src/email/parse-email.js';
import { ReviewRules } from '../../src/email/review-rules.js';
import { createLogger } from '../../src/log.js';
import { Moderation } from '../../src/moderation/lexicon.js';
import { openRedis, queueConnection } from '../../src/state/redis-connection.js';

/**
 * The sensitive-word lexicon on the e-mail channel, as on every other: a draft whose question or answer holds a
 * lexicon term is held for a person with the reason `moderated`, never sent automatically (auto-send on). Real
 * Redis and BullMQ queues (no workers), an answer service that answers what it is told.
 */
const redis = openRedis('redis://127.0.0.1:6379', 'records');
const prefix = `test:email-moderation:${randomUUID()}:`;
const meta: AnswerMeta = { answerId: 'a1', lang: 'en', productLine: 'general', productLineName: null, confidence: 0.95, threshold: 0.5, sources: [] };
const done = (answer: string): AnswerDone => ({
  answerId: 'a1',
  answer,
  mode: 'extractive',
  refused: false,
  notice: null,
  citations: [],
  productLine: 'general',
  confidence: 0.95,
  replacedUngrounded: false,
  cached: false,
  usage: {},
  timings: {},
});

async function channelAnswering(answer: string) {
  const answers = {
    mode: 'extractive',
    async *answer(): AsyncGenerator<AnswerEvent> {
      yield { type: 'meta', data: meta };
      yield { type: 'done', data: done(answer) };
    },
  } as unknown as AnswerService;
  const conversations = { prepare: async (question: { question: string }) => ({ answerRequest: { question: question.question }, onDone: async () => {} }) } as unknown as Conversations;
  return new EmailChannel(
    {
      store: new EmailStore(redis, prefix, 3600),
      answers,
      conversations,
      review: await ReviewRules.load('knowledge/email-review.yaml', 0.5),
      mailer: { send: async () => ({ accepted: [] }), close: () => {} },
      logger: createLogger('silent'),
      audit: async () => {},
      parse: (raw) => parseEmail(raw),
      moderation: Moderation.fromEntries([{ term: 'forbiddenthing', category: 'test' }]),
    },
    {
      connection: queueConnection('redis://127.0.0.1:6379'),
      queuePrefix: `${prefix}bull`,
      attempts: 1,
      backoffMs: 100,
      concurrency: 1,
      lockMs: 30_000,
      autoSend: true,
      maxBytes: 1_000_000,
      maxQuestionChars: 500,
      companyName: 'Lumora',
      handoffContact: { zh: '400-000', en: 'help@lumora.example' },
      from: 'Lumora Support <support@lumora.example>',
      answerTimeoutMs: 10_000,
      replyLimitPerSender: 100,
      replyLimitPerThread: 100,
      replyLimitWindowSeconds: 3600,
    },
  );
}

const mail = (body: string) =>
  Buffer.from(
    `From: Anna <anna@customer.example>\r\nTo: support@lumora.example\r\nSubject: Question\r\nMessage-ID: <${randomUUID()}@customer.example>\r\nDate: Tue, 01 Dec 2026 16:00:00 +0000\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n${body}\r\n`,
  );

const channels: EmailChannel[] = [];
afterAll(async () => {
  for (const channel of channels) await Promise.all([channel.draftQueue.close(), channel.sendQueue.close()]);
  const keys = await redis.keys(`${prefix}*`);
  if (keys.length) await redis.del(...keys);
  redis.disconnect();
});

describe('the lexicon on e-mail drafts', () => {
  it('sends a clean draft automatically (the control), holds one whose question or answer has a term', async () => {
    const cases = [
      ['How long does the battery last?', 'About seven days on one charge.', false],
      ['Tell me about the forbidden thing, how long does the battery last?', 'About seven days on one charge.', true],
      ['How long does the battery last?', 'About seven days; the Forbidden-Thing mode halves it.', true],
    ] as const;
    for (const [question, answer, held] of cases) {
      const channel = await channelAnswering(answer);
      channels.push(channel);
      const { id } = await channel.intake(mail(question), 'api');
      const draft = await channel.draft(id);
      expect(draft.state, question + answer).toBe(held ? 'pending_review' : 'approved');
      expect(draft.review.reasons.some((reason) => reason.code === 'moderated')).toBe(held);
    }
  });
});
