import { rm } from 'node:fs/promises';
import { type Request, type RequestHandler, type Response, Router } from 'express';
import { z } from 'zod';
import type { Conversations } from '../chat/conversation.js';
import { AppError } from './http-error.js';
import type { DocumentFiles } from '../ingest/document-files.js';
import type { GapFix, GapReporter } from '../insights/gaps.js';
import { defaultGapWindow, readGapSignals } from '../insights/gap-signals.js';
import type { IngestJobs, JobKind } from '../ingest/jobs.js';
import { acquireIngestLock, LockHeldError, type LockOptions } from '../ingest/lock.js';
import type { SharedState } from '../state/shared-state.js';
import type { KnowledgeStore } from '../store/knowledge-store.js';
import { keySpec } from './access.js';
import type { KeyRegistry } from './key-registry.js';
import { type CuratedAnswers, curatedSpec } from '../answer/curated.js';
import { receiveOneFile } from './upload.js';
import { audienceList, isPublicOnly, normalizeAudiences } from '../store/audiences.js';

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
  /** Accepted suggestions: the gaps report links each gap to what fixed it. */
  gapFixes?: () => Promise<GapFix[]>;
  /** The keys of this workspace (src/workspaces/workspace-access.ts). */
  keys: Pick<KeyRegistry, 'list' | 'create' | 'revoke'>;
  curated: CuratedAnswers;
  /** PII masking applied again to exported text (it was masked when stored; rules may have grown since). */
  mask?: (text: string) => string;
  /** A job could not start because another run holds the lock. */
  onConflict?: () => void;
}

const limit = z.coerce.number().int().min(1).max(10_000).default(500);
const AUDIT_MAX_LENGTH = 10_000;

/** Counts "another run holds the lock" (a LockHeldError, answered as a conflict that names the running job). */
function conflict(error: unknown, onConflict?: () => void): never {
  if (error instanceof LockHeldError) onConflict?.();
  throw error;
}

/**
 * Admin endpoints (admin scope): ingestion jobs, document upload and delete, versions and rollback,
 * feedback / unanswered-question exports and the audit trail.
 */
/** A file in uploads/.incoming/ untouched this long is a leftover (an upload cut off by a crash), not one in progress. */
export const STALE_UPLOAD_MS = 10 * 60_000;

export function adminRoutes(options: AdminRouteOptions): Router {
  const router = Router();
  // At start-up: what a killed process left half-received is removed (uploads cut off while running remove their own).
  void options.documents.sweepIncoming(STALE_UPLOAD_MS).catch(() => undefined);
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
      response.status(202).location(`/v1/admin/jobs/${job.id}`).json({ document: { path: stored, bytes: received.bytes, ...(audiences ? { audiences } : {}) }, job });
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
    const { version, force } = z.object({ version: z.union([z.number().int().positive(), z.string().min(1)]), force: z.boolean().default(false) }).strict().parse(request.body ?? {});
    // A rollback commits a version: it takes the lock, like an ingestion, so the two never interleave.
    const lock = await acquireIngestLock({ ...options.lock, purpose: 'rollback' }).catch((error) => conflict(error));
    try {
      const from = await options.store.version();
      const current = await options.store.rollback(version, { force });
      await audit(request, 'rollback', { from, to: version, current, force });
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
  router.get('/v1/admin/keys', (_request: Request, response: Response) => {
    response.json({ keys: options.keys.list() });
  });
  router.post('/v1/admin/keys', async (request: Request, response: Response) => {
    const spec = keySpec.extend({ id: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'id: 1–64 letters, digits, _ . -') }).strict().parse(request.body ?? {});
    const created = await options.keys.create(spec, request.apiKey?.id ?? 'unknown');
    await audit(request, 'key.create', { key: spec.id, scopes: spec.scopes, audiences: created.info.audiences });
    // The only time the key is shown: it is stored as a hash.
    response.status(201).json({ key: created.key, ...created.info });
  });
  router.delete('/v1/admin/keys/:id', async (request: Request, response: Response) => {
    const id = z.string().min(1).max(64).parse(request.params.id);
    await options.keys.revoke(id, request.apiKey?.id ?? 'unknown');
    await audit(request, 'key.revoke', { key: id });
    response.status(204).end();
  });
  router.get('/v1/admin/curated', (_request: Request, response: Response) => {
    response.json({ curated: options.curated.list() });
  });
  router.post('/v1/admin/curated', async (request: Request, response: Response) => {
    const entry = await options.curated.create(curatedSpec.parse(request.body ?? {}), request.apiKey?.id ?? 'unknown');
    await audit(request, 'curated.create', { curated: entry.id, question: entry.question });
    response.status(201).location(`/v1/admin/curated/${entry.id}`).json(entry);
  });
  router.get('/v1/admin/curated/:id', (request: Request, response: Response) => {
    response.json(options.curated.get(String(request.params.id)));
  });
  router.patch('/v1/admin/curated/:id', async (request: Request, response: Response) => {
    const changes = curatedSpec.partial().strict().parse(request.body ?? {});
    const entry = await options.curated.update(String(request.params.id), changes, request.apiKey?.id ?? 'unknown');
    await audit(request, 'curated.update', { curated: entry.id, changed: Object.keys(changes) });
    response.json(entry);
  });
  router.delete('/v1/admin/curated/:id', async (request: Request, response: Response) => {
    await options.curated.delete(String(request.params.id), request.apiKey?.id ?? 'unknown');
    await audit(request, 'curated.delete', { curated: request.params.id });
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
        // Whose failed questions (docs/audiences.md): customers' by default; an agent's may name internal things.
        audience: z.enum(['public', 'internal', 'all']).default('public'),
      })
      .parse(request.query);
    const window = { ...defaultGapWindow(query.limit), ...(query.since ? { since: query.since } : {}), ...(query.until ? { until: query.until } : {}), productLine: query.productLine, audience: query.audience };
    const { since, until } = window;
    const signals = await readGapSignals(options.conversations, window);
    // Off-topic questions (no product line, nowhere near the knowledge base) are their own bucket, not a line's gaps.
    const { gaps, offTopic } = await options.gaps.reportWithOffTopic(signals, (await options.gapFixes?.()) ?? []);
    response.json({ since, until, productLine: query.productLine ?? null, audience: query.audience, questions: signals.length, gaps, offTopic });
  });
  router.get('/v1/admin/feedback', async (request: Request, response: Response) => {
    const rating = z.enum(['up', 'down']).optional().parse(request.query.rating);
    const entries = await options.conversations.readLog('feedback', limit.parse(request.query.limit));
    response.json({ feedback: entries.filter(({ entry }) => !rating || entry.rating === rating).map(({ id, entry }) => ({ id, ...entry })) });
  });
  router.get('/v1/admin/ratings', async (request: Request, response: Response) => {
    const entries = await options.conversations.readLog('conversation_ratings', limit.parse(request.query.limit));
    const stars = entries.map(({ entry }) => Number(entry.stars));
    response.json({ count: stars.length, averageStars: stars.length ? Math.round((stars.reduce((sum, value) => sum + value, 0) / stars.length) * 100) / 100 : null, ratings: entries.map(({ id, entry }) => ({ id, ...entry })) });
  });
  // Rated answers as chat fine-tuning examples (JSON Lines, one conversation per line), PII masked: what a
  // company feeds its own model training. Streamed, so a large export does not sit in memory.
  router.get('/v1/admin/export/finetune', async (request: Request, response: Response) => {
    const query = z
      .object({
        rating: z.enum(['up', 'down']).optional(),
        since: z.iso.datetime({ offset: true }).optional(),
        until: z.iso.datetime({ offset: true }).optional(),
        limit: z.coerce.number().int().min(1).max(100_000).default(10_000),
        // Agents' rated answers quote internal sources: a model trained on them could tell customers (docs/audiences.md).
        audience: z.enum(['public', 'all']).default('public'),
      })
      .strict()
      .parse(request.query);
    const entries = (await options.conversations.readLog('feedback', query.limit)).filter(
      ({ entry }) => query.audience === 'all' || isPublicOnly(Array.isArray(entry.audiences) ? entry.audiences.map(String) : undefined),
    );
    response.status(200).type('application/x-ndjson').setHeader('Content-Disposition', 'attachment; filename="kefu-finetune.jsonl"');
    let written = 0;
    for (const { id, entry } of entries) {
      const example = finetuneExample(id, entry, options.mask ?? ((text) => text));
      if (!example) continue;
      const at = Date.parse(example.metadata.answeredAt ?? example.metadata.ratedAt);
      if (query.rating && example.rating !== query.rating) continue;
      if ((query.since && at < Date.parse(query.since)) || (query.until && at > Date.parse(query.until))) continue;
      if (!response.write(`${JSON.stringify(example)}\n`)) await new Promise((resolve) => response.once('drain', resolve));
      written++;
    }
    await audit(request, 'export.finetune', { examples: written, rating: query.rating ?? null });
    response.end();
  });
  router.get('/v1/admin/unanswered', async (request: Request, response: Response) => {
    const entries = await options.conversations.readLog('unanswered', limit.parse(request.query.limit));
    response.json({ unanswered: entries.map(({ id, entry }) => ({ id, ...entry })) });
  });
  return router;
}

/** One feedback entry as a chat fine-tuning example; undefined when the answer it rated is not known. */
export function finetuneExample(id: string, entry: Record<string, unknown>, mask: (text: string) => string) {
  if (typeof entry.question !== 'string' || typeof entry.answer !== 'string') return undefined;
  const context = Array.isArray(entry.context) ? (entry.context as { question?: unknown; answer?: unknown }[]) : [];
  const messages = [
    ...context.flatMap((turn) =>
      typeof turn.question === 'string' && typeof turn.answer === 'string'
        ? [
            { role: 'user' as const, content: mask(turn.question) },
            { role: 'assistant' as const, content: mask(turn.answer) },
          ]
        : [],
    ),
    { role: 'user' as const, content: mask(entry.question) },
    { role: 'assistant' as const, content: mask(entry.answer) },
  ];
  return {
    messages,
    rating: entry.rating as 'up' | 'down',
    comment: typeof entry.comment === 'string' ? mask(entry.comment) : null,
    metadata: {
      feedbackId: id,
      mode: entry.mode ?? null,
      lang: entry.lang ?? null,
      productLine: entry.productLine ?? null,
      channel: entry.channel ?? null,
      answeredAt: typeof entry.answeredAt === 'string' ? entry.answeredAt : undefined,
      ratedAt: String(entry.at ?? ''),
    },
  };
}
