import { type Request, type RequestHandler, type Response, Router } from 'express';
import { z } from 'zod';
import { notFound } from '../errors.js';
import type { Handoffs } from '../handoff/handoffs.js';
import type { SharedState } from '../state/shared-state.js';
import { actor, auditTrail } from './audit-trail.js';

const handoffId = z.string().uuid('handoff ids are UUIDs');

/**
 * A handed-off request as support works on it (admin scope): one request with its status and resolutions, and
 * closing it. Recording how it was answered is `POST /v1/admin/handoffs/:id/resolution` (suggestion-routes.ts).
 */
export function handoffAdminRoutes(options: { guard: RequestHandler[]; handoffs: Handoffs; state: SharedState }): Router {
  const router = Router();
  const audit = auditTrail(options.state);
  const find = async (id: string) => {
    const handoff = await options.handoffs.find(id);
    if (!handoff) throw notFound('handoff_not_found', `No handoff request ${id} (requests are kept for RETENTION_HANDOFF_DAYS)`);
    return handoff;
  };
  router.get('/v1/admin/handoffs/:id', ...options.guard, async (request: Request, response: Response) => {
    response.json(await options.handoffs.withStatusOf(await find(handoffId.parse(request.params.id))));
  });
  router.post('/v1/admin/handoffs/:id/close', ...options.guard, async (request: Request, response: Response) => {
    const id = handoffId.parse(request.params.id);
    const closed = await options.handoffs.close(await find(id), actor(request));
    await audit(request, 'handoff.close', { handoff: id });
    response.json({ id, status: 'closed', closed });
  });
  return router;
}
