import { isPublicOnly } from '../store/audiences.js';
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
  /**
   * Whose questions: customers' (`public`, the default), agents' and partners' (`internal`: a key that sees more than
   * the public; their questions may name internal things, so they never become a public gap quietly), or `all`.
   */
  audience?: 'public' | 'internal' | 'all';
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
  const audience = window.audience ?? 'public';
  return [
    ...refused.map(({ id, entry }) => ({
      id,
      question: String(entry.question ?? ''),
      productLine: String(entry.productLine ?? 'general'),
      lang: String(entry.lang ?? ''),
      at: String(entry.at ?? ''),
      kind: 'refused' as const,
      audiences: askedBy(entry),
      similarity: similarityOf(entry),
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
        audiences: askedBy(entry),
        similarity: similarityOf(entry),
      })),
  ].filter(
    (signal) =>
      signal.question &&
      Date.parse(signal.at) >= since &&
      Date.parse(signal.at) <= until &&
      (!window.productLine || signal.productLine === window.productLine) &&
      (audience === 'all' || (audience === 'public') === isPublicOnly(signal.audiences)),
  );
}

/** The question's best cosine to the knowledge base, as the answer record kept it (absent in older entries). */
export const similarityOf = (entry: Record<string, unknown>) => (typeof entry.similarity === 'number' ? entry.similarity : undefined);

/** The audiences of the key that asked, as the answer record kept them (absent: the public). */
const askedBy = (entry: Record<string, unknown>) => (Array.isArray(entry.audiences) ? entry.audiences.map(String) : undefined);
