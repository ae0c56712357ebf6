import path from 'node:path';
import { type Request, type RequestHandler, type Response, Router } from 'express';
import { z } from 'zod';
import type { Conversations } from '../chat/conversation.js';
import { AppError } from '../errors.js';
import { LockHeldError } from '../ingest/lock.js';
import type { IngestSummary } from '../ingest/run-ingestion.js';
import { EmptyVersionError, type KnowledgeStore, VersionNotFoundError } from '../store/knowledge-store.js';

export interface AdminRouteOptions {
  /** Rate limit, admin key, then the JSON body parser. */
  guard: RequestHandler[];
  conversations: Conversations;
  store: KnowledgeStore;
  /** Runs an ingestion of the knowledge folder (in a child process; the table lock guards against other runs). */
  ingest: () => Promise<IngestSummary>;
  onIngest?: (result: 'success' | 'partial' | 'failed' | 'conflict', seconds: number) => void;
}

const limit = z.coerce.number().int().min(1).max(10_000).default(500);

/** Admin endpoints (admin scope): re-ingest, versions, rollback, and feedback / unanswered-question exports. */
export function adminRoutes(options: AdminRouteOptions): Router {
  const router = Router();
  router.use('/v1/admin', ...options.guard);
  router.post('/v1/admin/ingest', async (_request: Request, response: Response) => {
    const started = performance.now();
    try {
      const summary = await options.ingest();
      await options.store.checkoutLatest();
      options.onIngest?.(summary.documents.failed ? 'partial' : 'success', (performance.now() - started) / 1000);
      // Server paths are not the caller's business: name the knowledge folder and table, not where they live.
      response.json({ ...summary, source: path.basename(summary.source), db: path.basename(summary.db) });
    } catch (error) {
      // A run refused because another holds the lock did not fail: it never started.
      options.onIngest?.(error instanceof LockHeldError ? 'conflict' : 'failed', (performance.now() - started) / 1000);
      if (error instanceof LockHeldError) throw new AppError(409, 'ingestion_running', error.message);
      throw error;
    }
  });
  router.get('/v1/admin/versions', async (_request: Request, response: Response) => {
    response.json({ current: await options.store.version(), versions: await options.store.listVersions() });
  });
  router.post('/v1/admin/rollback', async (request: Request, response: Response) => {
    const { version, force } = z.object({ version: z.union([z.number().int().positive(), z.string().min(1)]), force: z.boolean().default(false) }).strict().parse(request.body ?? {});
    try {
      response.json({ rolledBackTo: version, current: await options.store.rollback(version, { force }) });
    } catch (error) {
      if (error instanceof VersionNotFoundError) throw new AppError(404, 'version_not_found', error.message);
      if (error instanceof EmptyVersionError) throw new AppError(409, 'empty_version', error.message);
      throw error;
    }
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
