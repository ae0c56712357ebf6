import { type Request, type RequestHandler, type Response, Router } from 'express';
import { pipeline } from 'node:stream/promises';
import { z } from 'zod';
import type { WorkspaceServices } from './workspace-services.js';
import { workspaceId } from '../workspaces/workspace-registry.js';

export interface WorkspaceRouteOptions {
  /** Rate limit, an operator key, then the JSON body parser. */
  guard: RequestHandler[];
  workspaces: WorkspaceServices;
}

/**
 * Operator endpoints (operator scope): list, create, rename or reconfigure, export and delete workspaces.
 * Every change is audited in the deployment's workspace audit log (GET /v1/admin/workspaces/audit), not in a
 * workspace's own audit trail, which that workspace's admins read.
 */
export function workspaceRoutes(options: WorkspaceRouteOptions): Router {
  const router = Router();
  const { workspaces } = options;
  const by = (request: Request) => request.apiKey?.id ?? 'unknown';
  const id = (request: Request) => workspaceId.parse(request.params.id);
  router.use('/v1/admin/workspaces', ...options.guard);

  router.get('/v1/admin/workspaces', async (_request: Request, response: Response) => {
    await workspaces.registry.refresh().catch(() => undefined);
    response.json({ workspaces: workspaces.registry.list() });
  });
  router.post('/v1/admin/workspaces', async (request: Request, response: Response) => {
    const workspace = await workspaces.create(request.body ?? {}, by(request));
    response.status(201).location(`/v1/admin/workspaces/${workspace.id}`).json(workspace);
  });
  router.get('/v1/admin/workspaces/audit', async (request: Request, response: Response) => {
    const entries = await workspaces.auditLog(z.coerce.number().int().min(1).max(10_000).default(500).parse(request.query.limit));
    response.json({ audit: entries.map(({ id: entryId, entry }) => ({ id: entryId, ...entry })) });
  });
  router.get('/v1/admin/workspaces/:id', async (request: Request, response: Response) => {
    const workspace = workspaces.registry.require(id(request));
    // Which secrets each channel still needs in WORKSPACE_SECRETS (names only): what the admin page's form shows.
    const missingSecrets = await workspaces.missingSecrets(workspace.id);
    response.json({ ...workspace, ...(missingSecrets ? { missingSecrets } : {}) });
  });
  router.patch('/v1/admin/workspaces/:id', async (request: Request, response: Response) => {
    response.json(await workspaces.update(id(request), request.body ?? {}, by(request)));
  });
  router.delete('/v1/admin/workspaces/:id', async (request: Request, response: Response) => {
    const deleted = await workspaces.delete(id(request), by(request));
    response.json({ deleted: request.params.id, ...deleted });
  });
  router.get('/v1/admin/workspaces/:id/export', async (request: Request, response: Response) => {
    const workspace = id(request);
    const zip = await workspaces.export(workspace, by(request));
    response.status(200).type('application/zip').setHeader('Content-Disposition', `attachment; filename="kefu-workspace-${workspace}.zip"`);
    // Streamed as it is written; a failure half-way (a file deleted meanwhile) cuts the download off, which the
    // client sees as an incomplete zip rather than a complete one missing a file.
    await pipeline(zip, response);
  });
  return router;
}
