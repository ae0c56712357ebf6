import { randomUUID } from 'node:crypto';
import { type DayRange, inRange, type JoinedTurn, type LogItem } from './analytics.js';
import type { Correction, Outcome } from './interactions.js';

/** Conversation review: the recorded turns grouped into conversations, filtered, and read as a transcript. */

export interface ConversationSummary {
  sessionId: string;
  channel: string;
  productLines: string[];
  firstAt: string;
  lastAt: string;
  turns: number;
  outcomes: Outcome[];
  thumbsUp: number;
  thumbsDown: number;
  /** The visitor's rating of the whole conversation (1–5), when given. */
  stars: number | null;
  lastQuestion: string;
}

export interface ConversationFilter {
  productLine?: string;
  outcome?: Outcome;
  /** `up` / `down`: a turn got that thumb; `1`–`5`: the conversation's stars; `none`: neither. */
  rating?: 'up' | 'down' | 'none' | '1' | '2' | '3' | '4' | '5';
  channel?: string;
  range?: DayRange;
}

const starsBySession = (ratings: LogItem[]) => new Map(ratings.map(({ entry }) => [String(entry.sessionId), Number(entry.stars)]));

function bySession(turns: JoinedTurn[]): Map<string, JoinedTurn[]> {
  const sessions = new Map<string, JoinedTurn[]>();
  for (const turn of turns) {
    const list = sessions.get(turn.sessionId);
    if (list) list.push(turn);
    else sessions.set(turn.sessionId, [turn]);
  }
  for (const list of sessions.values()) list.sort((a, b) => a.turn - b.turn || a.at.localeCompare(b.at));
  return sessions;
}

/** Conversations that match every filter given, the most recent first. */
export function conversationSummaries(turns: JoinedTurn[], ratings: LogItem[], filter: ConversationFilter): ConversationSummary[] {
  const stars = starsBySession(ratings);
  const summaries: ConversationSummary[] = [];
  for (const [sessionId, list] of bySession(turns)) {
    const last = list[list.length - 1];
    const summary: ConversationSummary = {
      sessionId,
      channel: list[0].channel,
      productLines: [...new Set(list.map((turn) => turn.productLine))],
      firstAt: list[0].at,
      lastAt: last.at,
      turns: list.length,
      outcomes: [...new Set(list.map((turn) => turn.final))],
      thumbsUp: list.filter((turn) => turn.rating === 'up').length,
      thumbsDown: list.filter((turn) => turn.rating === 'down').length,
      stars: stars.get(sessionId) ?? null,
      lastQuestion: last.question,
    };
    if (matches(summary, filter)) summaries.push(summary);
  }
  return summaries.sort((a, b) => b.lastAt.localeCompare(a.lastAt));
}

function matches(summary: ConversationSummary, filter: ConversationFilter): boolean {
  if (filter.productLine && !summary.productLines.includes(filter.productLine)) return false;
  if (filter.outcome && !summary.outcomes.includes(filter.outcome)) return false;
  if (filter.channel && summary.channel !== filter.channel) return false;
  // A conversation is in the range when any of its turns is.
  if (
    filter.range &&
    !(inRange(summary.lastAt, filter.range) || inRange(summary.firstAt, filter.range) || (summary.firstAt.slice(0, 10) < filter.range.from && summary.lastAt.slice(0, 10) > filter.range.to))
  )
    return false;
  switch (filter.rating) {
    case undefined:
      return true;
    case 'up':
      return summary.thumbsUp > 0;
    case 'down':
      return summary.thumbsDown > 0;
    case 'none':
      return summary.thumbsUp + summary.thumbsDown === 0 && summary.stars === null;
    default:
      return summary.stars === Number(filter.rating);
  }
}

export interface TranscriptTurn extends JoinedTurn {
  /** Reviewers' corrections of this turn, newest last. */
  corrections: Correction[];
}

/** One conversation's turns in order with their sources, confidence, mode, thumbs and corrections; undefined when none are recorded. */
export function transcript(turns: JoinedTurn[], sessionId: string, ratings: LogItem[], corrections: LogItem[]): { sessionId: string; stars: number | null; turns: TranscriptTurn[] } | undefined {
  const list = bySession(turns.filter((turn) => turn.sessionId === sessionId)).get(sessionId);
  if (!list) return undefined;
  const mine = corrections.map(({ entry }) => entry as unknown as Correction).filter((correction) => correction.sessionId === sessionId);
  return {
    sessionId,
    stars: starsBySession(ratings).get(sessionId) ?? null,
    turns: list.map((turn) => ({ ...turn, corrections: mine.filter((correction) => correction.turn === turn.turn) })),
  };
}

/** The `corrections` entry for a turn a reviewer marked wrong, naming what should have answered it. */
export function correctionEntry(turn: JoinedTurn, details: { by: string; expected: { docId?: string; curatedId?: string }; note?: string; at?: string }): Correction {
  return {
    id: randomUUID(),
    at: details.at ?? new Date().toISOString(),
    by: details.by,
    sessionId: turn.sessionId,
    turn: turn.turn,
    question: turn.question,
    lang: turn.lang,
    productLine: turn.productLine,
    expected: details.expected,
    wrong: { outcome: turn.final, sources: [...new Set(turn.sources.map((source) => source.docId))] },
    ...(details.note ? { note: details.note } : {}),
  };
}
