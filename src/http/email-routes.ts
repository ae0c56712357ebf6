import express, { type Request, type RequestHandler, type Response, Router } from 'express';
import { z } from 'zod';
import { DRAFT_QUEUE, type EmailChannel, SEND_QUEUE } from '../email/email-channel.js';
import { DRAFT_STATES, type DraftRecord, type EmailStore } from '../email/email-store.js';
import { AppError, badRequest } from './http-error.js';

export interface EmailRouteOptions {
  /** Undefined while EMAIL_ENABLED is off: the routes say how to turn it on. */
  channel?: EmailChannel;
  store?: EmailStore;
  /** Rate limit and the `integration` (or admin) key, for intake. */
  intakeGuard: RequestHandler[];
  /** Rate limit, the admin key and the JSON body parser, for review. */
  adminGuard: RequestHandler[];
  maxBytes: number;
}

const RAW_TYPES = ['message/rfc822', 'text/plain', 'application/octet-stream'];
const draftId = z.string().uuid('draft ids are UUIDs');

/**
 * POST /v1/email takes a raw RFC 5322 message and queues it (202); review under /v1/admin/drafts; dead letters
 * under /v1/admin/email. Drafts carry the customer's mail and reply in full: admin keys only.
 */
export function emailRoutes(options: EmailRouteOptions): Router {
  const router = Router();
  const enabled = (): { channel: EmailChannel; store: EmailStore } => {
    if (!options.channel || !options.store) throw new AppError(404, 'email_disabled', 'The e-mail channel is off: set EMAIL_ENABLED=true with REDIS_URL and SMTP_URL');
    return { channel: options.channel, store: options.store };
  };

  router.post('/v1/email', ...options.intakeGuard, express.raw({ type: RAW_TYPES, limit: options.maxBytes }), async (request: Request, response: Response) => {
    const { channel } = enabled();
    if (!Buffer.isBuffer(request.body)) throw new AppError(415, 'unsupported_media_type', `Send the raw message with Content-Type ${RAW_TYPES.join(', ')}`);
    const result = await channel.intake(request.body, 'api', request.apiKey?.id);
    response
      .status(result.duplicate ? 200 : 202)
      .location(`/v1/admin/drafts/${result.id}`)
      .json({ ...result, status: result.duplicate ? 'duplicate' : 'queued' });
  });

  router.get('/v1/admin/drafts', ...options.adminGuard, async (request: Request, response: Response) => {
    const { store } = enabled();
    const query = z.object({ state: z.enum(DRAFT_STATES as [string, ...string[]]).optional(), limit: z.coerce.number().int().min(1).max(1000).default(100) }).parse(request.query);
    const drafts = await store.drafts({ state: query.state as DraftRecord['state'] | undefined, limit: query.limit });
    response.json({ drafts });
  });
  router.get('/v1/admin/drafts/:id', ...options.adminGuard, async (request: Request, response: Response) => {
    const { store } = enabled();
    const id = draftId.parse(request.params.id);
    const draft = await store.draft(id);
    if (draft) return void response.json(draft);
    // Not drafted yet, or failed: say which.
    const email = await store.email(id);
    if (!email) throw new AppError(404, 'draft_not_found', `No e-mail or draft ${id}`);
    response.status(email.state === 'failed' ? 200 : 202).json({ id, email });
  });
  const edits = z.object({ text: z.string().trim().min(1).max(50_000).optional(), subject: z.string().trim().min(1).max(500).optional() }).strict();
  router.post('/v1/admin/drafts/:id/approve', ...options.adminGuard, async (request: Request, response: Response) => {
    const { channel } = enabled();
    response.json(await channel.approve(draftId.parse(request.params.id), request.apiKey?.id ?? 'unknown', edits.parse(request.body ?? {})));
  });
  router.post('/v1/admin/drafts/:id/reject', ...options.adminGuard, async (request: Request, response: Response) => {
    const { channel } = enabled();
    const body = z.object({ reason: z.string().trim().max(2000).optional() }).strict().parse(request.body ?? {});
    response.json(await channel.reject(draftId.parse(request.params.id), request.apiKey?.id ?? 'unknown', body.reason));
  });
  router.get('/v1/admin/email/dead-letters', ...options.adminGuard, async (request: Request, response: Response) => {
    const { channel } = enabled();
    response.json({ deadLetters: await channel.deadLetters(z.coerce.number().int().min(1).max(1000).default(100).parse(request.query.limit)) });
  });
  router.post('/v1/admin/email/dead-letters/:queue/:jobId/retry', ...options.adminGuard, async (request: Request, response: Response) => {
    const { channel } = enabled();
    const queue = String(request.params.queue);
    if (queue !== DRAFT_QUEUE && queue !== SEND_QUEUE) throw badRequest(`queue must be ${DRAFT_QUEUE} or ${SEND_QUEUE}`);
    await channel.retry(queue, String(request.params.jobId));
    response.status(202).json({ queue, jobId: request.params.jobId, status: 'retrying' });
  });
  router.get('/v1/admin/email/queues', ...options.adminGuard, async (_request: Request, response: Response) => {
    const { channel } = enabled();
    response.json(await channel.counts());
  });
  return router;
}
