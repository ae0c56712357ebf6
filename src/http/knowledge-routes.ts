import { rm } from 'node:fs/promises';
import { type Request, type Response, Router } from 'express';
import { z } from 'zod';
import type { DocumentFiles } from '../ingest/document-files.js';
import type { IngestJobs, JobKind } from '../ingest/jobs.js';
import { acquireIngestLock, LockHeldError, type LockOptions } from '../ingest/lock.js';
import { audienceList, normalizeAudiences } from '../store/audiences.js';
import type { KnowledgeStore } from '../store/knowledge-store.js';
import { type Audit, actor } from './audit-trail.js';
import { AppError } from './http-error.js';
import { receiveOneFile } from './upload.js';

/** A file in uploads/.incoming/ untouched this long is a leftover (an upload cut off by a crash), not one in progress. */
export const STALE_UPLOAD_MS = 10 * 60_000;

export interface KnowledgeRouteOptions {
  store: KnowledgeStore;
  jobs: Pick<IngestJobs, 'start' | 'get' | 'list'>;
  documents: DocumentFiles;
  /** The table's lock, for rollbacks (jobs take it themselves). */
  lock: Omit<LockOptions, 'purpose' | 'jobId'>;
  maxUploadBytes: number;
  audit: Audit;
  /** A job could not start because another run holds the lock. */
  onConflict?: () => void;
}

/** Counts "another run holds the lock" (a LockHeldError, answered as a conflict that names the running job). */
function conflict(error: unknown, onConflict?: () => void): never {
  if (error instanceof LockHeldError) onConflict?.();
  throw error;
}

/**
 * The knowledge base's lifecycle (admin scope): ingestion jobs, document upload and delete, versions, the
 * calibration in force, rollback. Every change is a job that takes the table's lock, so none interleave.
 */
export function knowledgeRoutes(options: KnowledgeRouteOptions): Router {
  const router = Router();
  // At start-up: what a killed process left half-received is removed (uploads cut off while running remove their own).
  void options.documents.sweepIncoming(STALE_UPLOAD_MS).catch(() => undefined);
  const startJob = async (request: Request, kind: JobKind, reason: string, prepare?: () => Promise<void>) => {
    const job = await options.jobs.start(kind, { reason, startedBy: actor(request), prepare }).catch((error) => conflict(error, options.onConflict));
    await options.audit(request, `job.${kind}`, { job: job.id, reason });
    return job;
  };

  router.post('/v1/admin/ingest', async (request: Request, response: Response) => {
    const job = await startJob(request, 'ingest', 're-ingest the knowledge folder');
    response.status(202).location(`/v1/admin/jobs/${job.id}`).json({ job });
  });
  router.get('/v1/admin/jobs', async (request: Request, response: Response) => {
    response.json({ jobs: await options.jobs.list(z.coerce.number().int().min(1).max(200).default(50).parse(request.query.limit)) });
  });
  router.get('/v1/admin/jobs/:id', async (request: Request, response: Response) => {
    const job = await options.jobs.get(z.string().uuid().parse(request.params.id));
    if (!job) throw new AppError(404, 'job_not_found', 'No ingestion job with this id (job records are kept for INGEST_JOB_RETENTION_DAYS)');
    response.json(job);
  });

  router.post('/v1/admin/documents', async (request: Request, response: Response) => {
    void options.documents.sweepIncoming(STALE_UPLOAD_MS).catch(() => undefined);
    const incoming = await options.documents.incomingFile();
    const received = await receiveOneFile(request, incoming, options.maxUploadBytes);
    let stored: string | undefined;
    try {
      const name = options.documents.safeName(received.fileName);
      // Who may see it (docs/audiences.md): a form field or the query; neither leaves it to the folder's rules (public by default).
      const given = received.fields.audiences ?? (typeof request.query.audiences === 'string' ? request.query.audiences : undefined);
      const audiences = given === undefined ? undefined : normalizeAudiences(audienceList.parse(given));
      // The file goes into place only once this job holds the lock: a running ingestion never sees it half-way.
      const job = await startJob(request, 'upload', `upload ${name}${audiences ? ` for ${audiences.join(', ')}` : ''}`, async () => {
        stored = await options.documents.place(incoming, name, audiences);
      });
      response
        .status(202)
        .location(`/v1/admin/jobs/${job.id}`)
        .json({ document: { path: stored, bytes: received.bytes, ...(audiences ? { audiences } : {}) }, job });
    } finally {
      if (!stored) await rm(incoming, { force: true });
    }
  });
  router.delete('/v1/admin/documents/:docId', async (request: Request, response: Response) => {
    const docId = z.string().min(1).max(1000).parse(request.params.docId);
    const documents = await options.store.documentHashes();
    const document = documents.get(docId);
    if (!document) throw new AppError(404, 'document_not_found', `No document "${docId}" in the current knowledge version`);
    const siblings = [...documents.values()].filter((entry) => entry.sourcePath === document.sourcePath).length;
    if (siblings > 1) {
      throw new AppError(409, 'document_in_sheet', `"${docId}" is one of ${siblings} documents in ${document.sourcePath}: remove its row from that file, then re-ingest`);
    }
    const job = await startJob(request, 'delete', `delete ${docId}`, () => options.documents.remove(document.sourcePath));
    response
      .status(202)
      .location(`/v1/admin/jobs/${job.id}`)
      .json({ document: { docId, path: document.sourcePath }, job });
  });

  router.get('/v1/admin/versions', async (_request: Request, response: Response) => {
    // `current` is the version served (the published one); a held version is newer and not served. Each version
    // the regression gate checked carries its score.
    const [versions, regression] = await Promise.all([options.store.listVersions(), options.store.versionNotes<Record<string, unknown>>('regression')]);
    response.json({
      current: await options.store.servingVersion(),
      published: (await options.store.publishedVersion()) ?? null,
      latest: await options.store.latestVersion(),
      versions: versions.map((entry) => ({ ...entry, ...(regression[String(entry.version)] ? { regression: regression[String(entry.version)] } : {}) })),
    });
  });
  // The serving version's calibration: the band in force and the knowledge base's trade-off curve (README "Refusal"),
  // to choose REFUSAL_THRESHOLD_* / ANSWER_THRESHOLD_* from.
  router.get('/v1/admin/calibration', async (_request: Request, response: Response) => {
    const version = await options.store.servingVersion();
    response.json({ version, calibration: (await options.store.calibration(version)) ?? null });
  });
  router.post('/v1/admin/rollback', async (request: Request, response: Response) => {
    const { version, force } = z
      .object({ version: z.union([z.number().int().positive(), z.string().min(1)]), force: z.boolean().default(false) })
      .strict()
      .parse(request.body ?? {});
    // A rollback commits a version: it takes the lock, like an ingestion, so the two never interleave.
    const lock = await acquireIngestLock({ ...options.lock, purpose: 'rollback' }).catch((error) => conflict(error));
    try {
      const from = await options.store.version();
      const current = await options.store.rollback(version, { force });
      await options.audit(request, 'rollback', { from, to: version, current, force });
      // The rollback restores the table, not the knowledge folder: say what the next ingestion brings back.
      const kept = new Set([...(await options.store.documentHashes()).values()].map((document) => document.sourcePath));
      const comesBack = await options.documents.filesOutside(kept);
      const note = comesBack.length
        ? `Rolled back the table only: ${comesBack.length} file(s) in the knowledge folder are not in this version and will come back at the next ingestion unless you delete them: ${comesBack.slice(0, 20).join(', ')}${comesBack.length > 20 ? ', …' : ''}`
        : 'Rolled back the table only; every file in the knowledge folder is in this version.';
      response.json({ rolledBackTo: version, current, comesBack, note });
    } finally {
      await lock.release();
    }
  });
  return router;
}
