import { type Request, type RequestHandler, type Response, Router } from 'express';
import { z } from 'zod';
import type { Conversations } from '../chat/conversation.js';
import type { SessionStore } from '../chat/session-store.js';
import { AppError } from './http-error.js';
import type { ProductLineClassifier } from '../classify/product-lines.js';
import { kbLanguageFor, languageTagSchema } from '../text/language.js';

const sessionId = z.string().regex(/^[A-Za-z0-9_-]{8,128}$/, 'session id must be 8–128 letters, digits, - or _');
const feedbackBody = z
  .object({
    answerId: z.string().uuid(),
    rating: z.enum(['up', 'down']),
    comment: z.string().trim().max(2000).optional(),
  })
  .strict();

/** GET/DELETE /v1/sessions/:id, POST /v1/feedback and GET /v1/suggestions, behind the public-endpoint guards. */
export function conversationRoutes(options: { sessions: SessionStore; conversations: Conversations; guards: RequestHandler[]; classifier: ProductLineClassifier }): Router {
  const router = Router();
  // The questions a widget suggests when a conversation starts (product-lines.yaml `suggestions`), per line and language.
  router.get('/v1/suggestions', ...options.guards, (request: Request, response: Response) => {
    const query = z.object({ productLine: z.string().max(32).optional(), lang: languageTagSchema.default('en').transform(kbLanguageFor) }).parse(request.query);
    const rules = options.classifier.rules;
    const line = rules.lines.find((entry) => entry.id === query.productLine);
    if (query.productLine && !line && query.productLine !== rules.general.id) throw new AppError(400, 'bad_request', `Unknown productLine "${query.productLine}"`);
    response.setHeader('Cache-Control', 'public, max-age=300');
    response.json({ productLine: line?.id ?? rules.general.id, lang: query.lang, suggestions: (line ?? rules.general).suggestions[query.lang] });
  });
  router.get('/v1/sessions/:id', ...options.guards, async (request: Request, response: Response) => {
    const id = sessionId.parse(request.params.id);
    response.json({ sessionId: id, turns: await options.conversations.ownHistory(id, request.apiKey?.id ?? '') });
  });
  router.delete('/v1/sessions/:id', ...options.guards, async (request: Request, response: Response) => {
    await options.conversations.clearSession(sessionId.parse(request.params.id), request.apiKey?.id ?? '');
    response.status(204).end();
  });
  router.post('/v1/sessions/:id/rating', ...options.guards, async (request: Request, response: Response) => {
    const id = sessionId.parse(request.params.id);
    const body = z.object({ stars: z.number().int().min(1).max(5), comment: z.string().trim().max(2000).optional() }).strict().parse(request.body ?? {});
    response.status(201).json({ id: await options.conversations.recordRating(id, body, request.apiKey?.id ?? '') });
  });
  router.post('/v1/feedback', ...options.guards, async (request: Request, response: Response) => {
    const body = feedbackBody.parse(request.body ?? {});
    const record = await options.conversations.answerRecord(body.answerId);
    // During a shared-state outage an answer from before it cannot be looked up: keep the feedback anyway.
    if (!record && !options.conversations.stateDegraded) throw new AppError(404, 'unknown_answer', 'No answer with this id (answers can receive feedback for 7 days)');
    const id = await options.conversations.recordFeedback(body, record);
    response.status(201).json({ id });
  });
  return router;
}
