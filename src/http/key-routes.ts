import { type Request, type Response, Router } from 'express';
import { z } from 'zod';
import { keySpec } from './access.js';
import { type Audit, actor } from './audit-trail.js';
import type { KeyRegistry } from './key-registry.js';

export interface KeyRouteOptions {
  /** The keys of this workspace (src/workspaces/workspace-access.ts). */
  keys: Pick<KeyRegistry, 'list' | 'create' | 'revoke'>;
  audit: Audit;
}

/** API keys (admin scope): list, create (the key is shown once: it is stored as a hash), revoke. */
export function keyRoutes(options: KeyRouteOptions): Router {
  const router = Router();
  router.get('/v1/admin/keys', (_request: Request, response: Response) => {
    response.json({ keys: options.keys.list() });
  });
  router.post('/v1/admin/keys', async (request: Request, response: Response) => {
    const spec = keySpec
      .extend({ id: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'id: 1–64 letters, digits, _ . -') })
      .strict()
      .parse(request.body ?? {});
    const created = await options.keys.create(spec, actor(request));
    await options.audit(request, 'key.create', { key: spec.id, scopes: spec.scopes, audiences: created.info.audiences });
    // The only time the key is shown: it is stored as a hash.
    response.status(201).json({ key: created.key, ...created.info });
  });
  router.delete('/v1/admin/keys/:id', async (request: Request, response: Response) => {
    const id = z.string().min(1).max(64).parse(request.params.id);
    await options.keys.revoke(id, actor(request));
    await options.audit(request, 'key.revoke', { key: id });
    response.status(204).end();
  });
  return router;
}
