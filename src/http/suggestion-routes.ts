import { type Request, type RequestHandler, type Response, Router } from 'express';
import { z } from 'zod';
import { notFound } from '../errors.js';
import { handoffResolutionBody, type Handoffs } from '../handoff/handoffs.js';
import type { SharedState } from '../state/shared-state.js';
import { recordHandoffResolution } from '../suggest/handoff-resolution.js';
import type { Suggestions } from '../suggest/suggestions.js';
import { auditTrail } from './audit-trail.js';

export interface SuggestionRouteOptions {
  /** Rate limit, admin key, then the JSON body parser. */
  guard: RequestHandler[];
  suggestions: Suggestions;
  handoffs: Handoffs;
  /** For the audit trail. */
  state: SharedState;
}

const id = z.string().uuid('suggestion ids are UUIDs');
const acceptBody = z
  .object({
    as: z.enum(['curated', 'faq']),
    question: z.string().trim().min(1).max(500).optional(),
    answer: z.string().trim().min(1).max(4000).optional(),
    paraphrases: z.array(z.string().trim().min(1).max(500)).max(50).optional(),
  })
  .strict();

/**
 * Suggested answers (admin scope): list, accept (as a curated answer or a FAQ entry), reject, draft for unanswered
 * gaps; and where support records how a handed-off question was answered, which becomes a suggestion.
 */
export function suggestionRoutes(options: SuggestionRouteOptions): Router {
  const router = Router();
  const audit = auditTrail(options.state);
  const by = (request: Request) => request.apiKey?.id ?? 'unknown';

  router.get('/v1/admin/suggestions', ...options.guard, async (request: Request, response: Response) => {
    const query = z.object({ status: z.enum(['open', 'accepted', 'rejected']).optional(), limit: z.coerce.number().int().min(1).max(1000).default(200) }).parse(request.query);
    response.json({ suggestions: (await options.suggestions.list(query.status)).slice(0, query.limit) });
  });
  router.get('/v1/admin/suggestions/:id', ...options.guard, async (request: Request, response: Response) => {
    response.json(await options.suggestions.get(id.parse(request.params.id)));
  });
  router.post('/v1/admin/suggestions/from-gaps', ...options.guard, async (request: Request, response: Response) => {
    const body = z
      .object({ limit: z.number().int().min(1).max(50).default(10) })
      .strict()
      .parse(request.body ?? {});
    const controller = new AbortController();
    response.on('close', () => controller.abort());
    const created = await options.suggestions.fromGaps(body.limit, controller.signal);
    await audit(request, 'suggestion.from_gaps', { created: created.map((suggestion) => suggestion.id) });
    response.status(201).json({ suggestions: created });
  });
  router.post('/v1/admin/suggestions/:id/accept', ...options.guard, async (request: Request, response: Response) => {
    const suggestionId = id.parse(request.params.id);
    const result = await options.suggestions.accept(suggestionId, acceptBody.parse(request.body ?? {}), by(request));
    const decision = result.suggestion.decision!;
    await audit(request, 'suggestion.accept', { suggestion: suggestionId, as: decision.as, curated: decision.curatedId, docId: decision.docId, job: decision.jobId, edited: decision.edited });
    if (result.job) response.status(202).location(`/v1/admin/jobs/${result.job.id}`);
    response.json(result);
  });
  router.post('/v1/admin/suggestions/:id/reject', ...options.guard, async (request: Request, response: Response) => {
    const suggestionId = id.parse(request.params.id);
    const body = z
      .object({ reason: z.string().trim().max(2000).optional() })
      .strict()
      .parse(request.body ?? {});
    const suggestion = await options.suggestions.reject(suggestionId, by(request), body.reason);
    await audit(request, 'suggestion.reject', { suggestion: suggestionId });
    response.json(suggestion);
  });

  // A helpdesk (or a person) records how a handed-off question was answered: the answer becomes a suggestion.
  router.post('/v1/admin/handoffs/:id/resolution', ...options.guard, async (request: Request, response: Response) => {
    const handoffId = z.string().uuid('handoff ids are UUIDs').parse(request.params.id);
    const body = handoffResolutionBody.parse(request.body ?? {});
    const handoff = await options.handoffs.find(handoffId);
    if (!handoff) throw notFound('handoff_not_found', `No handoff request ${handoffId} (requests are kept for RETENTION_HANDOFF_DAYS)`);
    const { resolution, suggestion } = await recordHandoffResolution(options, handoff, body, by(request));
    await audit(request, 'handoff.resolution', { handoff: handoffId, suggestion: suggestion.id });
    response.status(201).json({ handoffId, resolution, suggestion });
  });
  return router;
}
