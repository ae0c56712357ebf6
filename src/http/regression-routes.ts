import { type Request, type RequestHandler, type Response, Router } from 'express';
import { z } from 'zod';
import type { KnowledgeService } from '../ingest/knowledge-service.js';
import { type RegressionCases, regressionCaseSpec } from '../regression/regression-cases.js';
import type { SharedState } from '../state/shared-state.js';
import { auditTrail } from './audit-trail.js';

export interface RegressionRouteOptions {
  /** Rate limit, admin key, then the JSON body parser. */
  guard: RequestHandler[];
  /** Held versions (approve, discard) and the contradictions of a version. */
  knowledge: Pick<KnowledgeService, 'decideHeld' | 'contradictions'>;
  cases: RegressionCases;
  state: SharedState;
  /** After an approval or a discard: serve the version now (and update the knowledge-version gauge). */
  onPublished?: () => Promise<void>;
}

/**
 * The regression gate and the knowledge base's contradictions (admin scope): `GET/POST /v1/admin/regression-cases`,
 * `DELETE /v1/admin/regression-cases/:id`, `POST /v1/admin/jobs/:id/approve|discard` for a held ingestion, and
 * `GET /v1/admin/contradictions`. Every change is audited.
 */
export function regressionRoutes(options: RegressionRouteOptions): Router {
  const router = Router();
  router.use(['/v1/admin/regression-cases', '/v1/admin/contradictions', '/v1/admin/jobs/:id/approve', '/v1/admin/jobs/:id/discard'], ...options.guard);
  const audit = auditTrail(options.state);

  router.get('/v1/admin/regression-cases', async (request: Request, response: Response) => {
    const origin = z.enum(['file', 'api', 'correction', 'suggestion', 'feedback']).optional().parse(request.query.origin);
    const cases = (await options.cases.all()).filter((entry) => !origin || entry.origin === origin);
    response.json({ cases });
  });
  router.post('/v1/admin/regression-cases', async (request: Request, response: Response) => {
    const entry = await options.cases.add(regressionCaseSpec.parse(request.body ?? {}), request.apiKey?.id ?? 'unknown');
    await audit(request, 'regression-case.create', { case: entry.id, docIds: entry.docIds, curatedId: entry.curatedId ?? null });
    response.status(201).location(`/v1/admin/regression-cases/${entry.id}`).json(entry);
  });
  router.delete('/v1/admin/regression-cases/:id', async (request: Request, response: Response) => {
    const id = z.string().min(1).max(200).parse(request.params.id);
    await options.cases.remove(id, request.apiKey?.id ?? 'unknown');
    await audit(request, 'regression-case.delete', { case: id });
    response.status(204).end();
  });

  const decide = (action: 'approved' | 'discarded') => async (request: Request, response: Response) => {
    const id = z.string().uuid().parse(request.params.id);
    const job = await options.knowledge.decideHeld(id, action, request.apiKey?.id ?? 'unknown');
    await audit(request, action === 'approved' ? 'job.approve' : 'job.discard', { job: id, version: job.decision?.version, heldVersion: job.summary?.version });
    await options.onPublished?.();
    response.json(job);
  };
  router.post('/v1/admin/jobs/:id/approve', decide('approved'));
  router.post('/v1/admin/jobs/:id/discard', decide('discarded'));

  // The contradictions of the serving version (or ?version=), both sources each.
  router.get('/v1/admin/contradictions', async (request: Request, response: Response) => {
    const query = z
      .object({ version: z.coerce.number().int().min(0).optional(), productLine: z.string().max(100).optional() })
      .strict()
      .parse(request.query);
    response.json(await options.knowledge.contradictions(query));
  });
  return router;
}
