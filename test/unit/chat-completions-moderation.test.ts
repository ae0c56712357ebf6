import request from 'supertest';
import { describe, expect, it } from 'vitest';
import type { AnswerDone, AnswerEvent, AnswerMeta, AnswerService } from '../../src/answer/answer-service.js';
import { chatCompletionsApp } from '../support/chat-completions-app.js';
import { errorHandler } from '../../src/http/error-handler.js';
import { createLogger } from '../../src/log.js';
import { ContentLabels } from '../../src/moderation/content-label.js';
import { Moderation } from '../../src/moderation/lexicon.js';

/**
 * The sensitive-word lexicon on /v1/chat/completions, as on /v1/ask: the same question or the same streamed answer
 * must not get through the OpenAI-compatible endpoint that /v1/ask refuses. The real route on a small app, with an
 * answer service that streams what it is told.
 */
const meta: AnswerMeta = { answerId: 'a1', lang: 'en', productLine: 'general', productLineName: null, confidence: 0.9, threshold: 0.5, sources: [] };
const done = (answer: string): AnswerDone => ({
  answerId: 'a1',
  answer,
  mode: 'generated',
  refused: false,
  notice: null,
  citations: [],
  productLine: 'general',
  confidence: 0.9,
  replacedUngrounded: false,
  cached: false,
  usage: {},
  timings: {},
});

function chatApp(tokens: string[]) {
  const asked: string[] = [];
  const answers = {
    mode: 'extractive',
    async *answer(answerRequest: { question: string }): AsyncGenerator<AnswerEvent> {
      asked.push(answerRequest.question);
      yield { type: 'meta', data: meta };
      for (const text of tokens) yield { type: 'token', data: { text } };
      yield { type: 'done', data: done(tokens.join('')) };
    },
  } as unknown as AnswerService;
  const app = chatCompletionsApp(answers, {
    moderation: {
      labels: new ContentLabels(),
      lexicon: Moderation.fromEntries([{ term: 'forbiddenthing', category: 'test' }]),
      handoffContact: { zh: '400-000', en: 'help@example.com' },
    },
  });
  app.use(errorHandler(createLogger('silent')));
  return { app, asked };
}

const ask = (content: string, stream = false) => ({ model: 'kefu', stream, messages: [{ role: 'user', content }] });

describe('the lexicon on the OpenAI-compatible endpoint', () => {
  it('refuses a question with a lexicon term without answering it, streamed or not', async () => {
    for (const stream of [false, true]) {
      const { app, asked } = chatApp(['An answer.']);
      const response = await request(app).post('/v1/chat/completions').send(ask('Tell me about forbidden thing please', stream));
      expect(response.status).toBe(200);
      expect(asked).toEqual([]);
      const text = stream ? response.text : JSON.stringify(response.body);
      expect(text).toContain('help@example.com');
      expect(text).toContain('"refused":true');
    }
  });

  it('withholds a streamed answer from the term on and ends with the refusal', async () => {
    const { app } = chatApp(['The forbidden', 'thing is ', 'secret sauce.']);
    const response = await request(app).post('/v1/chat/completions').send(ask('What is it?', true));
    expect(response.text).not.toContain('thing is');
    expect(response.text).not.toContain('secret sauce');
    expect(response.text).toContain('help@example.com');
    const plain = await request(app).post('/v1/chat/completions').send(ask('What is it?'));
    expect(plain.body.choices[0].message.content).not.toMatch(/forbidden/i);
    expect(plain.body.kefu.refused).toBe(true);
  });
});
