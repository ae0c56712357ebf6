import { type Request, type Response, Router } from 'express';
import { z } from 'zod';
import type { KnowledgeService } from '../ingest/knowledge-service.js';
import type { IngestJobRecord, JobKind } from '../ingest/jobs.js';
import { type Audit, actor } from './audit-trail.js';
import { receiveOneFile } from './upload.js';

export interface KnowledgeRouteOptions {
  knowledge: KnowledgeService;
  maxUploadBytes: number;
  audit: Audit;
}

/**
 * The knowledge base's lifecycle (admin scope) over the knowledge service: ingestion jobs, document upload and
 * delete, versions, the calibration in force, rollback. The routes read requests, audit and answer; the service
 * owns the store, the documents folder and the table's lock.
 */
export function knowledgeRoutes(options: KnowledgeRouteOptions): Router {
  const router = Router();
  const { knowledge } = options;
  // At start-up: what a killed process left half-received is removed.
  void knowledge.sweepIncoming();
  const auditJob = (request: Request, kind: JobKind, job: IngestJobRecord) => options.audit(request, `job.${kind}`, { job: job.id, reason: job.reason });

  router.post('/v1/admin/ingest', async (request: Request, response: Response) => {
    const job = await knowledge.startJob('ingest', { reason: 're-ingest the knowledge folder', startedBy: actor(request) });
    await auditJob(request, 'ingest', job);
    response.status(202).location(`/v1/admin/jobs/${job.id}`).json({ job });
  });
  router.get('/v1/admin/jobs', async (request: Request, response: Response) => {
    response.json({ jobs: await knowledge.listJobs(z.coerce.number().int().min(1).max(200).default(50).parse(request.query.limit)) });
  });
  router.get('/v1/admin/jobs/:id', async (request: Request, response: Response) => {
    response.json(await knowledge.job(z.string().uuid().parse(request.params.id)));
  });

  router.post('/v1/admin/documents', async (request: Request, response: Response) => {
    void knowledge.sweepIncoming();
    const incoming = await knowledge.incomingFile();
    const received = await receiveOneFile(request, incoming, options.maxUploadBytes);
    // Who may see it (docs/audiences.md): a form field or the query; neither leaves it to the folder's rules (public by default).
    const audiences = received.fields.audiences ?? (typeof request.query.audiences === 'string' ? request.query.audiences : undefined);
    const placed = await knowledge.upload(incoming, { fileName: received.fileName, audiences, startedBy: actor(request) });
    await auditJob(request, 'upload', placed.job);
    response
      .status(202)
      .location(`/v1/admin/jobs/${placed.job.id}`)
      .json({ document: { path: placed.path, bytes: received.bytes, ...(placed.audiences ? { audiences: placed.audiences } : {}) }, job: placed.job });
  });
  router.delete('/v1/admin/documents/:docId', async (request: Request, response: Response) => {
    const docId = z.string().min(1).max(1000).parse(request.params.docId);
    const deleted = await knowledge.deleteDocument(docId, actor(request));
    await auditJob(request, 'delete', deleted.job);
    response
      .status(202)
      .location(`/v1/admin/jobs/${deleted.job.id}`)
      .json({ document: { docId, path: deleted.path }, job: deleted.job });
  });

  router.get('/v1/admin/versions', async (_request: Request, response: Response) => {
    response.json(await knowledge.versions());
  });
  // The serving version's calibration: the band in force and the knowledge base's trade-off curve (README "Refusal"),
  // to choose REFUSAL_THRESHOLD_* / ANSWER_THRESHOLD_* from.
  router.get('/v1/admin/calibration', async (_request: Request, response: Response) => {
    response.json(await knowledge.calibration());
  });
  router.post('/v1/admin/rollback', async (request: Request, response: Response) => {
    const { version, force } = z
      .object({ version: z.union([z.number().int().positive(), z.string().min(1)]), force: z.boolean().default(false) })
      .strict()
      .parse(request.body ?? {});
    const rolledBack = await knowledge.rollback(version, { force, rolledBack: ({ from, current }) => options.audit(request, 'rollback', { from, to: version, current, force }) });
    response.json({ rolledBackTo: version, current: rolledBack.current, comesBack: rolledBack.comesBack, note: rolledBack.note });
  });
  return router;
}
