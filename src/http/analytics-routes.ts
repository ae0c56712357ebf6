import { type Request, type RequestHandler, type Response, Router } from 'express';
import { z } from 'zod';
import { csatPerDay, type DayRange, gapBacklog, gapSignals, inRange, outcomesPerDay, ratesPerDay, toCsv, topicRows } from '../insights/analytics.js';
import type { GapReporter } from '../insights/gaps.js';
import type { InsightLogs } from '../insights/insight-logs.js';
import type { SharedState } from '../state/shared-state.js';
import { badRequest } from './http-error.js';
import { auditTrail } from './audit-trail.js';

export interface AnalyticsRouteOptions {
  /** Rate limit, admin key, JSON body parser. */
  guard: RequestHandler[];
  logs: InsightLogs;
  /** The gaps report's clustering, over all questions for the topics and over failures for the backlog. */
  clusterer: Pick<GapReporter, 'clusters' | 'onTopic'>;
  /** For the audit trail of CSV exports. */
  state: SharedState;
  now?: () => number;
}

const MAX_DAYS = 366;
/**
 * Topics (and the gap backlog) cluster at most this many of the range's latest questions. Most embeddings are hits
 * in the embedding cache (the answer path embedded the same question), but after a restart each costs a model call: about 35 ms
 * on a busy 2-core machine (npm run bench:dashboard), so 2,000 keep a cold first report near a minute.
 */
export const TOPIC_QUESTIONS_MAX = 2000;

const day = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}($|T)/, 'a date (YYYY-MM-DD) or an ISO date-time')
  // Date.parse takes 2026-02-30 for 2 March: a day that does not exist must be refused, not rolled over.
  .refine((value) => isCalendarDay(value.slice(0, 10)), 'not a calendar date')
  .transform((value) => value.slice(0, 10));

/** A YYYY-MM-DD that names a real day (no 30 February, no month 13). */
function isCalendarDay(value: string): boolean {
  const time = Date.parse(`${value}T00:00:00Z`);
  return !Number.isNaN(time) && new Date(time).toISOString().slice(0, 10) === value;
}

export const rangeQuery = {
  from: day.optional(),
  to: day.optional(),
};

/** `from`/`to` as inclusive UTC days; the last 30 days by default. */
export function dayRange(query: { from?: string; to?: string }, now: number): DayRange {
  const to = query.to ?? new Date(now).toISOString().slice(0, 10);
  const from = query.from ?? new Date(Date.parse(`${to}T00:00:00Z`) - 29 * 86_400_000).toISOString().slice(0, 10);
  if (from > to) throw badRequest(`from (${from}) is after to (${to})`);
  if ((Date.parse(to) - Date.parse(from)) / 86_400_000 + 1 > MAX_DAYS) throw badRequest(`A range covers at most ${MAX_DAYS} days`);
  return { from, to };
}

const query = z
  .object({
    ...rangeQuery,
    format: z.enum(['json', 'csv']).default('json'),
    productLine: z.string().min(1).max(100).optional(),
    channel: z.string().min(1).max(32).optional(),
    limit: z.coerce.number().int().min(1).max(100).optional(),
  })
  .strict();

type Query = z.infer<typeof query>;

interface Chart {
  columns: string[];
  rows: (query: Query, range: DayRange) => Promise<{ rows: object[]; extra?: Record<string, unknown> }>;
}

/**
 * GET /v1/admin/analytics/{outcomes,rates,csat,topics,gaps}: each chart of the dashboard as JSON
 * (`{ chart, from, to, rows }`) or, with `?format=csv`, the same rows as a CSV download.
 */
export function analyticsRoutes(options: AnalyticsRouteOptions): Router {
  const router = Router();
  const now = options.now ?? Date.now;
  const turnsFor = async (query: Query) => {
    const { turns, loneHandoffs } = await options.logs.turns();
    const keep = (item: { productLine: string; channel: string }) => (!query.productLine || item.productLine === query.productLine) && (!query.channel || item.channel === query.channel);
    return { turns: turns.filter(keep), loneHandoffs: loneHandoffs.filter(keep) };
  };
  const charts: Record<string, Chart> = {
    outcomes: {
      columns: ['day', 'questions', 'answered', 'curated', 'suggested', 'refused', 'handed_off', 'thumbs_up', 'thumbs_down'],
      rows: async (query, range) => {
        const { turns, loneHandoffs } = await turnsFor(query);
        return { rows: outcomesPerDay(turns, loneHandoffs, range) };
      },
    },
    rates: {
      columns: ['day', 'questions', 'answered', 'deflected', 'answerRate', 'deflection'],
      rows: async (query, range) => {
        const { turns, loneHandoffs } = await turnsFor(query);
        const rows = ratesPerDay(turns, loneHandoffs, range);
        const total = rows.reduce((sum, row) => ({ questions: sum.questions + row.questions, answered: sum.answered + row.answered, deflected: sum.deflected + row.deflected }), {
          questions: 0,
          answered: 0,
          deflected: 0,
        });
        const share = (part: number) => (total.questions ? Math.round((part / total.questions) * 1000) / 1000 : null);
        return { rows, extra: { total: { ...total, answerRate: share(total.answered), deflection: share(total.deflected) } } };
      },
    },
    csat: {
      columns: ['day', 'ratings', 'satisfied', 'averageStars', 'csat'],
      rows: async (query, range) => {
        const ratings = (await options.logs.ratings()).filter(({ entry }) => !query.productLine || (Array.isArray(entry.productLines) && entry.productLines.includes(query.productLine)));
        const rows = csatPerDay(ratings, range);
        const count = rows.reduce((sum, row) => sum + row.ratings, 0);
        const satisfied = rows.reduce((sum, row) => sum + row.satisfied, 0);
        return { rows, extra: { total: { ratings: count, satisfied, csat: count ? Math.round((satisfied / count) * 1000) / 1000 : null } } };
      },
    },
    topics: {
      columns: ['productLine', 'topic', 'count', 'trend', 'questions', 'daily'],
      rows: async (query, range) => {
        const { turns } = await turnsFor(query);
        const asked = turns.filter((turn) => inRange(turn.at, range)).slice(-TOPIC_QUESTIONS_MAX);
        const clusters = await options.clusterer.clusters(asked.map((turn) => ({ id: turn.answerId, question: turn.question, productLine: turn.productLine, at: turn.at, audiences: turn.audiences })));
        return { rows: topicRows(clusters, range, query.limit ?? 10), extra: { questions: asked.length } };
      },
    },
    gaps: {
      columns: ['productLine', 'example', 'count', 'refused', 'thumbsDown', 'lastSeen', 'impact'],
      rows: async (query, range) => {
        const [unanswered, feedback] = await Promise.all([options.logs.unanswered(), options.logs.feedback()]);
        // The latest failures only, as for the topics: each is embedded and clustered, and the logs may hold 100,000.
        const latest = gapSignals(unanswered, feedback)
          .filter((signal) => inRange(signal.at, range) && (!query.productLine || signal.productLine === query.productLine))
          .sort((a, b) => a.at.localeCompare(b.at))
          .slice(-TOPIC_QUESTIONS_MAX);
        // Off-topic questions are no product line's gap (src/insights/off-topic.ts).
        const signals = await options.clusterer.onTopic(latest);
        return { rows: gapBacklog(await options.clusterer.clusters(signals), now()).slice(0, query.limit ?? 20), extra: { questions: signals.length } };
      },
    },
  };
  const audit = auditTrail(options.state);
  router.get('/v1/admin/analytics/:chart', ...options.guard, async (request: Request, response: Response) => {
    const name = String(request.params.chart);
    const chart = Object.hasOwn(charts, name) ? charts[name] : undefined;
    if (!chart) throw badRequest(`No chart "${name}"; charts: ${Object.keys(charts).join(', ')}`);
    const parsed = query.parse(request.query);
    const range = dayRange(parsed, now());
    const { rows, extra } = await chart.rows(parsed, range);
    if (parsed.format === 'json') return void response.json({ chart: name, from: range.from, to: range.to, ...extra, rows });
    await audit(request, 'export.analytics', { chart: name, from: range.from, to: range.to, rows: rows.length });
    response
      .type('text/csv; charset=utf-8')
      .setHeader('Content-Disposition', `attachment; filename="kefu-${name}-${range.from}-${range.to}.csv"`)
      .send(toCsv(rows as Record<string, unknown>[], chart.columns));
  });
  return router;
}
