import { rm } from 'node:fs/promises';
import { type Request, type RequestHandler, type Response, Router } from 'express';
import { z } from 'zod';
import type { Conversations } from '../chat/conversation.js';
import { AppError } from '../errors.js';
import type { DocumentFiles } from '../ingest/document-files.js';
import type { GapReporter, GapSignal } from '../insights/gaps.js';
import type { IngestJobs, JobKind } from '../ingest/jobs.js';
import { acquireIngestLock, type LockHeldError, type LockOptions } from '../ingest/lock.js';
import type { SharedState } from '../state/shared-state.js';
import { EmptyVersionError, type KnowledgeStore, VersionNotFoundError } from '../store/knowledge-store.js';
import { keySpec } from './access.js';
import type { KeyRegistry } from './key-registry.js';
import { receiveOneFile } from './upload.js';

export interface AdminRouteOptions {
  /** Rate limit, admin key, then the JSON body parser. */
  guard: RequestHandler[];
  conversations: Conversations;
  store: KnowledgeStore;
  jobs: Pick<IngestJobs, 'start' | 'get' | 'list'>;
  documents: DocumentFiles;
  state: SharedState;
  /** The table's lock, for rollbacks (jobs take it themselves). */
  lock: Omit<LockOptions, 'purpose' | 'jobId'>;
  maxUploadBytes: number;
  gaps: GapReporter;
  keys: KeyRegistry;
  /** A job could not start because another run holds the lock. */
  onConflict?: () => void;
}

const limit = z.coerce.number().int().min(1).max(10_000).default(500);
const AUDIT_MAX_LENGTH = 10_000;

/** Turns "another run holds the lock" into a 409 that names the running job. */
function conflict(error: unknown, onConflict?: () => void): never {
  if ((error as Error)?.name === 'LockHeldError') {
    onConflict?.();
    const holder = (error as LockHeldError).holder;
    throw new AppError(409, 'ingestion_running', (error as Error).message, holder ? { runningJob: holder.jobId, purpose: holder.purpose, since: holder.startedAt } : undefined);
  }
  throw error;
}

/**
 * Admin endpoints (admin scope): ingestion jobs, document upload and delete, versions and rollback,
 * feedback / unanswered-question exports and the audit trail.
 */
export function adminRoutes(options: AdminRouteOptions): Router {
  const router = Router();
  router.use('/v1/admin', ...options.guard);
  const audit = (request: Request, action: string, details: Record<string, unknown>) =>
    options.state.appendLog('audit', { action, by: request.apiKey?.id ?? 'unknown', at: new Date().toISOString(), ...details }, AUDIT_MAX_LENGTH).catch(() => undefined);
  const startJob = async (request: Request, kind: JobKind, reason: string, prepare?: () => Promise<void>) => {
    const job = await options.jobs.start(kind, { reason, startedBy: request.apiKey?.id, prepare }).catch((error) => conflict(error, options.onConflict));
    await audit(request, `job.${kind}`, { job: job.id, reason });
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
    const incoming = await options.documents.incomingFile();
    const received = await receiveOneFile(request, incoming, options.maxUploadBytes);
    let stored: string | undefined;
    try {
      const name = options.documents.safeName(received.fileName);
      // The file goes into place only once this job holds the lock: a running ingestion never sees it half-way.
      const job = await startJob(request, 'upload', `upload ${name}`, async () => {
        stored = await options.documents.place(incoming, name);
      });
      response.status(202).location(`/v1/admin/jobs/${job.id}`).json({ document: { path: stored, bytes: received.bytes }, job });
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
    response.status(202).location(`/v1/admin/jobs/${job.id}`).json({ document: { docId, path: document.sourcePath }, job });
  });

  router.get('/v1/admin/versions', async (_request: Request, response: Response) => {
    response.json({ current: await options.store.version(), versions: await options.store.listVersions() });
  });
  router.post('/v1/admin/rollback', async (request: Request, response: Response) => {
    const { version, force } = z.object({ version: z.union([z.number().int().positive(), z.string().min(1)]), force: z.boolean().default(false) }).strict().parse(request.body ?? {});
    // A rollback commits a version: it takes the lock, like an ingestion, so the two never interleave.
    const lock = await acquireIngestLock({ ...options.lock, purpose: 'rollback' }).catch((error) => conflict(error));
    try {
      const from = await options.store.version();
      const current = await options.store.rollback(version, { force });
      await audit(request, 'rollback', { from, to: version, current, force });
      response.json({ rolledBackTo: version, current });
    } catch (error) {
      if (error instanceof VersionNotFoundError) throw new AppError(404, 'version_not_found', error.message);
      if (error instanceof EmptyVersionError) throw new AppError(409, 'empty_version', error.message);
      throw error;
    } finally {
      await lock.release();
    }
  });
  router.get('/v1/admin/keys', (_request: Request, response: Response) => {
    response.json({ keys: options.keys.list() });
  });
  router.post('/v1/admin/keys', async (request: Request, response: Response) => {
    const spec = keySpec.extend({ id: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'id: 1–64 letters, digits, _ . -') }).strict().parse(request.body ?? {});
    const created = await options.keys.create(spec, request.apiKey?.id ?? 'unknown');
    await audit(request, 'key.create', { key: spec.id, scopes: spec.scopes });
    // The only time the key is shown: it is stored as a hash.
    response.status(201).json({ key: created.key, ...created.info });
  });
  router.delete('/v1/admin/keys/:id', async (request: Request, response: Response) => {
    const id = z.string().min(1).max(64).parse(request.params.id);
    await options.keys.revoke(id, request.apiKey?.id ?? 'unknown');
    await audit(request, 'key.revoke', { key: id });
    response.status(204).end();
  });
  router.get('/v1/admin/audit', async (request: Request, response: Response) => {
    const entries = await options.state.readLog('audit', limit.parse(request.query.limit));
    response.json({ audit: entries.map(({ id, entry }) => ({ id, ...entry })) });
  });
  router.get('/v1/admin/gaps', async (request: Request, response: Response) => {
    const query = z
      .object({
        since: z.iso.datetime({ offset: true }).optional(),
        until: z.iso.datetime({ offset: true }).optional(),
        productLine: z.string().max(100).optional(),
        limit: z.coerce.number().int().min(1).max(5000).default(1000),
      })
      .parse(request.query);
    const since = query.since ?? new Date(Date.now() - 30 * 86_400_000).toISOString();
    const until = query.until ?? new Date().toISOString();
    const [refused, feedback] = await Promise.all([options.conversations.readLog('unanswered', query.limit), options.conversations.readLog('feedback', query.limit)]);
    const signals: GapSignal[] = [
      ...refused.map(({ id, entry }) => ({ id, question: String(entry.question ?? ''), productLine: String(entry.productLine ?? 'general'), lang: String(entry.lang ?? ''), at: String(entry.at ?? ''), kind: 'refused' as const })),
      ...feedback
        .filter(({ entry }) => entry.rating === 'down' && typeof entry.question === 'string')
        .map(({ id, entry }) => ({ id, question: String(entry.question), productLine: String(entry.productLine ?? 'general'), lang: String(entry.lang ?? ''), at: String(entry.answeredAt ?? entry.at ?? ''), kind: 'thumbs_down' as const })),
    ].filter((signal) => signal.question && Date.parse(signal.at) >= Date.parse(since) && Date.parse(signal.at) <= Date.parse(until) && (!query.productLine || signal.productLine === query.productLine));
    response.json({ since, until, productLine: query.productLine ?? null, questions: signals.length, gaps: await options.gaps.report(signals) });
  });
  router.get('/v1/admin/feedback', async (request: Request, response: Response) => {
    const rating = z.enum(['up', 'down']).optional().parse(request.query.rating);
    const entries = await options.conversations.readLog('feedback', limit.parse(request.query.limit));
    response.json({ feedback: entries.filter(({ entry }) => !rating || entry.rating === rating).map(({ id, entry }) => ({ id, ...entry })) });
  });
  router.get('/v1/admin/unanswered', async (request: Request, response: Response) => {
    const entries = await options.conversations.readLog('unanswered', limit.parse(request.query.limit));
    response.json({ unanswered: entries.map(({ id, entry }) => ({ id, ...entry })) });
  });
  return router;
}
