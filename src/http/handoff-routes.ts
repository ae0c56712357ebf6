import { type Request, type RequestHandler, type Response, Router } from 'express';
import { z } from 'zod';
import { requestAudiences } from './access.js';
import { badRequest } from './http-error.js';
import { handoffBody, type Handoffs } from '../handoff/handoffs.js';

/** POST /v1/handoff (the widget's "contact a person" form) and GET /v1/admin/handoffs for the support team. */
export function handoffRoutes(options: { handoffs: Handoffs; publicGuards: RequestHandler[]; adminGuard: RequestHandler[]; onRequest?: () => void; isKnownLine: (id: string) => boolean }): Router {
  const router = Router();
  router.post('/v1/handoff', ...options.publicGuards, async (request: Request, response: Response) => {
    const body = handoffBody.parse(request.body ?? {});
    // The support team filters and the analytics count by product line: only lines that exist (or "unknown", as /v1/ask takes).
    if (body.productLine !== undefined && body.productLine !== 'unknown' && !options.isKnownLine(body.productLine)) throw badRequest(`Unknown productLine "${body.productLine}"`);
    const handoff = await options.handoffs.request(body, requestAudiences(request));
    options.onRequest?.();
    response.status(201).json({ id: handoff.id, status: 'received' });
  });
  router.get('/v1/admin/handoffs', ...options.adminGuard, async (request: Request, response: Response) => {
    const query = z
      .object({ view: z.enum(['support', 'analytics']).default('support'), limit: z.coerce.number().int().min(1).max(10_000).default(500), status: z.enum(['open', 'closed']).optional() })
      .parse(request.query);
    // The support view: newest first, each open or closed with its resolutions (the admin page's handoffs section).
    const handoffs = query.view === 'support' ? await options.handoffs.withStatus(query.limit, query.status) : await options.handoffs.list(query.view, query.limit);
    response.json({ view: query.view, handoffs });
  });
  return router;
}
