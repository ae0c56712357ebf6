import { type Request, type RequestHandler, type Response, Router } from 'express';
import { z } from 'zod';
import { conflict } from '../errors.js';
import { LockHeldError } from '../ingest/lock.js';
import type { SnapshotStore } from '../ingest/sources/snapshot.js';
import type { SourceRegistry, SourceSpec } from '../ingest/sources/source-config.js';
import type { SourceSyncs } from '../ingest/sources/source-syncs.js';
import type { SharedState } from '../state/shared-state.js';
import { auditTrail } from './audit-trail.js';

export interface SourceRouteOptions {
  /** Rate limit, admin key, then the JSON body parser. */
  guard: RequestHandler[];
  registry: SourceRegistry;
  syncs: SourceSyncs;
  snapshots: SnapshotStore;
  state: SharedState;
  onConflict?: () => void;
}

const sourceId = z.string().regex(/^[a-z0-9][a-z0-9_-]{0,47}$/);

/**
 * Knowledge sources (admin scope): `GET/POST /v1/admin/sources`, `GET/PATCH/DELETE /v1/admin/sources/:id`,
 * `POST /v1/admin/sources/:id/sync` ("sync now", 202 with the job). Changes edit SOURCES_FILE and are audited.
 */
export function sourceRoutes(options: SourceRouteOptions): Router {
  const router = Router();
  router.use('/v1/admin/sources', ...options.guard);
  const audit = auditTrail(options.state);
  const withStatus = async (source: SourceSpec) => ({ ...source, status: (await options.syncs.status(source.id)) ?? null });
  // LockHeldError is a conflict that names the running job; it is only counted here.
  const sync = async (request: Request, sources: SourceSpec[], reason: string) =>
    options.syncs.syncNow(sources, request.apiKey?.id ?? 'unknown', reason).catch((error) => {
      if (error instanceof LockHeldError) options.onConflict?.();
      throw error;
    });

  router.get('/v1/admin/sources', async (_request: Request, response: Response) => {
    response.json({ sources: await Promise.all((await options.registry.list()).map(withStatus)) });
  });
  router.post('/v1/admin/sources', async (request: Request, response: Response) => {
    const source = await options.registry.create(request.body ?? {});
    await audit(request, 'source.create', { source: source.id, type: source.type });
    response
      .status(201)
      .location(`/v1/admin/sources/${source.id}`)
      .json(await withStatus(source));
  });
  router.get('/v1/admin/sources/:id', async (request: Request, response: Response) => {
    response.json(await withStatus(await options.registry.get(sourceId.parse(request.params.id))));
  });
  router.patch('/v1/admin/sources/:id', async (request: Request, response: Response) => {
    const changes = z.record(z.string(), z.unknown()).parse(request.body ?? {});
    const source = await options.registry.update(sourceId.parse(request.params.id), changes);
    await audit(request, 'source.update', { source: source.id, changed: Object.keys(changes) });
    response.json(await withStatus(source));
  });
  // Its documents leave the knowledge at the next ingestion; one starts now when none runs.
  router.delete('/v1/admin/sources/:id', async (request: Request, response: Response) => {
    const source = await options.registry.remove(sourceId.parse(request.params.id));
    await options.snapshots.remove(source.id);
    await audit(request, 'source.delete', { source: source.id });
    const folder = (await options.registry.list()).filter((entry) => entry.type === 'folder');
    const job = await options.syncs.syncNow(folder, request.apiKey?.id ?? 'unknown', `remove the documents of source ${source.id}`).catch(() => undefined);
    response.status(200).json({ deleted: source.id, job: job ?? null });
  });
  router.post('/v1/admin/sources/:id/sync', async (request: Request, response: Response) => {
    const source = await options.registry.get(sourceId.parse(request.params.id));
    if (!source.enabled) throw conflict('source_disabled', `Source "${source.id}" is switched off (PATCH it with "enabled": true)`);
    const job = await sync(request, [source], `sync ${source.id}`);
    await audit(request, 'source.sync', { source: source.id, job: job.id });
    response.status(202).location(`/v1/admin/jobs/${job.id}`).json({ job });
  });
  return router;
}
