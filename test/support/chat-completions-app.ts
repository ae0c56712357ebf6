import express from 'express';
import type { AnswerService } from '../../src/answer/answer-service.js';
import type { ProductLineClassifier } from '../../src/classify/product-lines.js';
import { chatCompletionsRoutes } from '../../src/http/chat-completions-route.js';

/** The OpenAI-compatible route alone, over a given answer service, with no product lines; `options` add to it. */
export function chatCompletionsApp(answers: AnswerService, options: Partial<Parameters<typeof chatCompletionsRoutes>[0]> = {}) {
  const classifier = { rules: { general: { id: 'general' } }, lineIds: [], isKnownLine: () => false } as unknown as ProductLineClassifier;
  const app = express();
  app.use(
    chatCompletionsRoutes({
      answers,
      guards: [express.json()],
      classifier,
      maxQuestionChars: 500,
      maxHistoryTurns: 4,
      companyName: 'Lumora',
      prepare: async (question) => ({ answerRequest: { question: question.question } }),
      ...options,
    }),
  );
  return app;
}
