import { type Request, type Response, Router } from 'express';
import { type CuratedAnswers, curatedSpec } from '../answer/curated.js';
import { type Audit, actor } from './audit-trail.js';

export interface CuratedRouteOptions {
  curated: CuratedAnswers;
  audit: Audit;
}

/** Curated answers (admin scope): the answers a company writes itself, served before retrieval when they match. */
export function curatedRoutes(options: CuratedRouteOptions): Router {
  const router = Router();
  router.get('/v1/admin/curated', (_request: Request, response: Response) => {
    response.json({ curated: options.curated.list() });
  });
  router.post('/v1/admin/curated', async (request: Request, response: Response) => {
    const entry = await options.curated.create(curatedSpec.parse(request.body ?? {}), actor(request));
    await options.audit(request, 'curated.create', { curated: entry.id, question: entry.question });
    response.status(201).location(`/v1/admin/curated/${entry.id}`).json(entry);
  });
  router.get('/v1/admin/curated/:id', (request: Request, response: Response) => {
    response.json(options.curated.get(String(request.params.id)));
  });
  router.patch('/v1/admin/curated/:id', async (request: Request, response: Response) => {
    const changes = curatedSpec
      .partial()
      .strict()
      .parse(request.body ?? {});
    const entry = await options.curated.update(String(request.params.id), changes, actor(request));
    await options.audit(request, 'curated.update', { curated: entry.id, changed: Object.keys(changes) });
    response.json(entry);
  });
  router.delete('/v1/admin/curated/:id', async (request: Request, response: Response) => {
    await options.curated.delete(String(request.params.id), actor(request));
    await options.audit(request, 'curated.delete', { curated: request.params.id });
    response.status(204).end();
  });
  return router;
}
