import { type Request, type RequestHandler, type Response, Router } from 'express';
import { z } from 'zod';
import { notFound } from '../errors.js';
import type { DocumentFiles } from '../ingest/document-files.js';
import type { IngestJobs } from '../ingest/jobs.js';
import { LockHeldError } from '../ingest/lock.js';
import type { SharedState } from '../state/shared-state.js';
import type { KnowledgeStore } from '../store/knowledge-store.js';
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
  documents: DocumentFiles;
  store: Pick<KnowledgeStore, 'documentHashes'>;
  jobs: Pick<IngestJobs, 'start'>;
  state: SharedState;
  onConflict?: () => void;
}): Router {
  const router = Router();
  const audit = auditTrail(options.state);
  router.get('/v1/admin/uploads', ...options.guard, async (_request: Request, response: Response) => {
    const [files, documents] = await Promise.all([options.documents.uploads(), options.store.documentHashes()]);
    const docIds = new Map<string, string[]>();
    // Appended in place: a FAQ sheet is a document per row, and copying the list per row was quadratic in them.
    for (const [docId, document] of documents) {
      const ids = docIds.get(document.sourcePath);
      if (ids) ids.push(docId);
      else docIds.set(document.sourcePath, [docId]);
    }
    response.json({
      uploads: files.map((file) => ({ ...file, docIds: docIds.get(file.path) ?? [], served: docIds.has(file.path) })),
      rollback: UPLOAD_ROLLBACK_NOTE,
    });
  });
  router.delete('/v1/admin/uploads/:name', ...options.guard, async (request: Request, response: Response) => {
    const name = z.string().min(1).max(255).parse(request.params.name);
    const file = (await options.documents.uploads()).find((upload) => upload.name === name);
    if (!file) throw notFound('upload_not_found', `No upload "${name}" in the uploads folder`);
    // The file goes under the job's lock, as an upload arrives: a running ingestion never sees it half-way.
    const job = await options.jobs.start('delete', { reason: `delete upload ${name}`, startedBy: actor(request), prepare: () => options.documents.remove(file.path) }).catch((error) => {
      if (error instanceof LockHeldError) options.onConflict?.();
      throw error;
    });
    await audit(request, 'upload.delete', { upload: file.path, job: job.id });
    response.status(202).location(`/v1/admin/jobs/${job.id}`).json({ upload: file, job });
  });
  return router;
}
