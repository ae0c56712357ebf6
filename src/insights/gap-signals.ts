import type { GapSignal } from './gaps.js';

/** Where failed questions are logged: the `unanswered` and `feedback` logs (Conversations.readLog or the shared state). */
export interface GapLogs {
  readLog(name: string, count: number): Promise<{ id: string; entry: Record<string, unknown> }[]>;
}

export interface GapWindow {
  since: string;
  until: string;
  productLine?: string;
  /** Entries read from each log, newest first. */
  limit: number;
}

/** The default window of the gaps report and of the gap a human reply is matched to: the last 30 days. */
export const defaultGapWindow = (limit = 1000, now = Date.now()): GapWindow => ({ since: new Date(now - 30 * 86_400_000).toISOString(), until: new Date(now).toISOString(), limit });

/**
 * The failed questions of a window: refusals (and the middle band's suggestions) from `unanswered`, thumbs-down
 * answers from `feedback`. One reader for the gaps report and the suggestions made from human replies, so both
 * see the same gaps.
 */
export async function readGapSignals(logs: GapLogs, window: GapWindow): Promise<GapSignal[]> {
  const [refused, feedback] = await Promise.all([logs.readLog('unanswered', window.limit), logs.readLog('feedback', window.limit)]);
  const unansweredIds = new Set(refused.map(({ entry }) => String(entry.answerId)));
  const since = Date.parse(window.since);
  const until = Date.parse(window.until);
  return [
    ...refused.map(({ id, entry }) => ({
      id,
      question: String(entry.question ?? ''),
      productLine: String(entry.productLine ?? 'general'),
      lang: String(entry.lang ?? ''),
      at: String(entry.at ?? ''),
      kind: 'refused' as const,
    })),
    ...feedback
      // A thumbs-down on an answer already logged as unanswered (the middle band's suggestions) is the same failure: once.
      .filter(({ entry }) => entry.rating === 'down' && typeof entry.question === 'string' && !unansweredIds.has(String(entry.answerId)))
      .map(({ id, entry }) => ({
        id,
        question: String(entry.question),
        productLine: String(entry.productLine ?? 'general'),
        lang: String(entry.lang ?? ''),
        at: String(entry.answeredAt ?? entry.at ?? ''),
        kind: 'thumbs_down' as const,
      })),
  ].filter((signal) => signal.question && Date.parse(signal.at) >= since && Date.parse(signal.at) <= until && (!window.productLine || signal.productLine === window.productLine));
}
