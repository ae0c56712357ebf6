import { type Request, type RequestHandler, type Response, Router } from 'express';
import { z } from 'zod';
import type { KnowledgeService } from '../ingest/knowledge-service.js';
import type { SharedState } from '../state/shared-state.js';
import { actor, auditTrail } from './audit-trail.js';

/**
 * What a rollback does to uploads (issue 26, item 13): it restores the table, never the files. An uploaded file
 * stays in the uploads folder, so the next ingestion (any: a re-ingest, another upload, a sync) brings its content
 * back; to keep it out, delete the upload.
 */
export const UPLOAD_ROLLBACK_NOTE =
  'A rollback restores the knowledge table, not the files: an upload stays in the uploads folder and comes back at the next ingestion. Delete the upload to keep it out.';

/**
 * Uploads as the admin page manages them (admin scope): the uploads folder's files, each with the documents the
 * serving version holds from it (none: rolled back, or not ingested yet), and deleting one (the file, then an
 * ingestion job that removes its documents). Uploading is `POST /v1/admin/documents` (admin-routes.ts).
 */
export function uploadRoutes(options: {
  guard: RequestHandler[];
  /** The uploads folder and the served documents; a delete is a job under the table's lock (a lock conflict counted there). */
  knowledge: Pick<KnowledgeService, 'uploads' | 'deleteUpload'>;
  state: SharedState;
}): Router {
  const router = Router();
  const audit = auditTrail(options.state);
  router.get('/v1/admin/uploads', ...options.guard, async (_request: Request, response: Response) => {
    response.json({
      uploads: await options.knowledge.uploads(),
      rollback: UPLOAD_ROLLBACK_NOTE,
    });
  });
  router.delete('/v1/admin/uploads/:name', ...options.guard, async (request: Request, response: Response) => {
    const name = z.string().min(1).max(255).parse(request.params.name);
    const { upload: file, job } = await options.knowledge.deleteUpload(name, actor(request));
    await audit(request, 'upload.delete', { upload: file.path, job: job.id });
    response.status(202).location(`/v1/admin/jobs/${job.id}`).json({ upload: file, job });
  });
  return router;
}
