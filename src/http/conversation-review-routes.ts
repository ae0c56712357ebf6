import { type Request, type RequestHandler, type Response, Router } from 'express';
import { z } from 'zod';
import type { CuratedAnswers } from '../answer/curated.js';
import { correctionEntry, conversationSummaries, transcript } from '../insights/conversation-review.js';
import type { KnowledgeService } from '../ingest/knowledge-service.js';
import type { InsightLogs } from '../insights/insight-logs.js';
import { OUTCOMES } from '../insights/interactions.js';
import type { SharedState } from '../state/shared-state.js';
import { dayRange, rangeQuery } from './analytics-routes.js';
import { AppError } from './http-error.js';

export interface ConversationReviewOptions {
  /** Rate limit, admin key, JSON body parser. */
  guard: RequestHandler[];
  logs: InsightLogs;
  /** The serving knowledge version: a correction must name a document that exists. */
  knowledge: Pick<KnowledgeService, 'documents' | 'hasDocument'>;
  curated: Pick<CuratedAnswers, 'get'>;
  /** The audit trail. */
  state: SharedState;
  now?: () => number;
}

const sessionId = z.string().regex(/^[A-Za-z0-9_-]{8,128}$/, 'session id must be 8–128 letters, digits, - or _');
const listQuery = z
  .object({
    ...rangeQuery,
    productLine: z.string().min(1).max(100).optional(),
    outcome: z.enum(OUTCOMES as [string, ...string[]]).optional(),
    rating: z.enum(['up', 'down', 'none', '1', '2', '3', '4', '5']).optional(),
    channel: z.string().min(1).max(32).optional(),
    limit: z.coerce.number().int().min(1).max(1000).default(100),
  })
  .strict();
const wrongBody = z
  .object({
    docId: z.string().min(1).max(1000).optional(),
    curatedId: z.string().min(1).max(200).optional(),
    note: z.string().trim().max(2000).optional(),
  })
  .strict()
  .refine((body) => Boolean(body.docId) !== Boolean(body.curatedId), 'name exactly one of docId or curatedId: what should have answered');

/**
 * Conversation review (admin scope): the recorded conversations, filtered; one transcript with each answer's
 * sources, confidence and mode; and marking an answer wrong with the document or curated answer that should
 * have answered it, kept in the `corrections` log (the regression set is built from it) and the audit trail.
 */
export function conversationReviewRoutes(options: ConversationReviewOptions): Router {
  const router = Router();
  const now = options.now ?? Date.now;
  router.get('/v1/admin/conversations', ...options.guard, async (request: Request, response: Response) => {
    const query = listQuery.parse(request.query);
    const range = query.from || query.to ? dayRange(query, now()) : undefined;
    const [{ turns }, ratings] = await Promise.all([options.logs.turns(), options.logs.ratings()]);
    const conversations = conversationSummaries(turns, ratings, { ...query, outcome: query.outcome as (typeof OUTCOMES)[number] | undefined, range });
    response.json({ total: conversations.length, conversations: conversations.slice(0, query.limit) });
  });
  router.get('/v1/admin/conversations/:sessionId', ...options.guard, async (request: Request, response: Response) => {
    const id = sessionId.parse(request.params.sessionId);
    const [{ turns }, ratings, corrections] = await Promise.all([options.logs.turns(), options.logs.ratings(), options.logs.corrections()]);
    const found = transcript(turns, id, ratings, corrections);
    if (!found) throw new AppError(404, 'conversation_not_found', `No recorded conversation "${id}" (turns are kept for RETENTION_INTERACTIONS_DAYS)`);
    response.json(found);
  });
  router.post('/v1/admin/conversations/:sessionId/turns/:turn/wrong', ...options.guard, async (request: Request, response: Response) => {
    const id = sessionId.parse(request.params.sessionId);
    const number = z.coerce.number().int().min(1).parse(request.params.turn);
    const body = wrongBody.parse(request.body ?? {});
    const { turns } = await options.logs.turns();
    const turn = turns.find((candidate) => candidate.sessionId === id && candidate.turn === number);
    if (!turn) throw new AppError(404, 'turn_not_found', `Conversation "${id}" has no recorded turn ${number}`);
    if (body.docId && !(await options.knowledge.hasDocument(body.docId))) throw new AppError(404, 'document_not_found', `No document "${body.docId}" in the current knowledge version`);
    if (body.curatedId) options.curated.get(body.curatedId);
    const by = request.apiKey?.id ?? 'unknown';
    const correction = correctionEntry(turn, { by, expected: body.docId ? { docId: body.docId } : { curatedId: body.curatedId }, note: body.note });
    await options.logs.addCorrection(correction);
    await options.state
      .appendLog('audit', { action: 'conversation.correction', by, at: correction.at, correction: correction.id, sessionId: id, turn: number, expected: correction.expected }, 10_000)
      .catch(() => undefined);
    response.status(201).json(correction);
  });
  // The document picker of "mark wrong": every document of the serving version.
  router.get('/v1/admin/documents', ...options.guard, async (_request: Request, response: Response) => {
    response.json({ documents: await options.knowledge.documents() });
  });
  return router;
}
