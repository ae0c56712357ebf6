import request from 'supertest';
import { describe, expect, it } from 'vitest';
import type { AnswerEvent, AnswerService } from '../../src/answer/answer-service.js';
import { chatCompletionsApp } from '../support/chat-completions-app.js';

/**
 * A quote's notice on the OpenAI-compatible endpoint is its own paragraph, as the service wrote it: it already
 * carries its brackets, so wrapping it read "(以下内容直接摘自帮助资料（未使用生成模型）。)" in a chat client.
 */
const notice = '以下内容直接摘自帮助资料（未使用生成模型）。';
const answer = '（常见问题：手环可以戴着游泳吗？）\n可以。';

function chatApp() {
  const answers = {
    mode: 'extractive',
    async *answer(): AsyncGenerator<AnswerEvent> {
      yield { type: 'meta', data: { answerId: 'a1', lang: 'zh', productLine: 'general', productLineName: null, confidence: 0.9, threshold: 0.2, sources: [] } };
      yield {
        type: 'done',
        data: {
          answerId: 'a1',
          answer,
          mode: 'extractive',
          refused: false,
          notice,
          citations: [],
          productLine: 'general',
          confidence: 0.9,
          replacedUngrounded: false,
          cached: false,
          usage: {},
          timings: {},
        },
      };
    },
  } as unknown as AnswerService;
  return chatCompletionsApp(answers);
}

describe('the quote notice in a chat completion', () => {
  it('follows the answer as a paragraph of its own, unwrapped', async () => {
    const response = await request(chatApp())
      .post('/v1/chat/completions')
      .send({ model: 'kefu', messages: [{ role: 'user', content: '手环可以戴着游泳吗？' }] });
    expect(response.status).toBe(200);
    expect(response.body.choices[0].message.content).toBe(`${answer}\n\n${notice}`);
  });
});
