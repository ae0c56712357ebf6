import { type Request, type Response, Router } from 'express';
import { z } from 'zod';
import type { Conversations } from '../chat/conversation.js';
import { defaultGapWindow, readGapSignals } from '../insights/gap-signals.js';
import type { GapFix, GapReporter } from '../insights/gaps.js';
import type { SharedState } from '../state/shared-state.js';
import { isPublicOnly } from '../store/audiences.js';
import type { Audit } from './audit-trail.js';

export interface InsightRouteOptions {
  conversations: Conversations;
  /** The audit log's reader. */
  state: Pick<SharedState, 'readLog'>;
  gaps: GapReporter;
  /** Accepted suggestions: the gaps report links each gap to what fixed it. */
  gapFixes?: () => Promise<GapFix[]>;
  /** PII masking applied again to exported text (it was masked when stored; rules may have grown since). */
  mask?: (text: string) => string;
  audit: Audit;
}

const limit = z.coerce.number().int().min(1).max(10_000).default(500);

/**
 * What customers asked and how it went (admin scope): the audit trail, knowledge gaps, feedback and ratings,
 * unanswered questions, and rated answers exported as fine-tuning examples.
 */
export function insightRoutes(options: InsightRouteOptions): Router {
  const router = Router();
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
    const window = {
      ...defaultGapWindow(query.limit),
      ...(query.since ? { since: query.since } : {}),
      ...(query.until ? { until: query.until } : {}),
      productLine: query.productLine,
      audience: query.audience,
    };
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
    response.json({
      count: stars.length,
      averageStars: stars.length ? Math.round((stars.reduce((sum, value) => sum + value, 0) / stars.length) * 100) / 100 : null,
      ratings: entries.map(({ id, entry }) => ({ id, ...entry })),
    });
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
    await options.audit(request, 'export.finetune', { examples: written, rating: query.rating ?? null });
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
