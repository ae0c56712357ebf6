import type { GapSignal } from './gaps.js';
import { type Interaction, type Outcome, OUTCOMES } from './interactions.js';
import { similarityOf } from './gap-signals.js';

/**
 * The dashboard's numbers, as small pure functions over log entries: the logs are joined once (a turn, the
 * thumbs on its answer, the handoff that followed it), then each chart is one function of the joined turns and
 * a range of UTC days. No I/O here, so every number a chart shows is unit-tested.
 */

export interface LogItem {
  id: string;
  entry: Record<string, unknown>;
}

/** Inclusive UTC days, `YYYY-MM-DD`. */
export interface DayRange {
  from: string;
  to: string;
}

export interface JoinedTurn extends Interaction {
  /** The answer's outcome, or `handed_off` when the customer asked for a person after it. */
  final: Outcome;
  rating?: 'up' | 'down';
  handedOff: boolean;
}

/** A request for a person that follows no recorded answer ("转人工" on WeChat, a form sent before any answer). */
export interface LoneHandoff {
  at: string;
  channel: string;
  productLine: string;
  question: string;
}

const text = (value: unknown, fallback = '') => (typeof value === 'string' ? value : fallback);
export const dayOf = (at: string) => at.slice(0, 10);

export function daysIn(range: DayRange): string[] {
  const days: string[] = [];
  for (let time = Date.parse(`${range.from}T00:00:00Z`); time <= Date.parse(`${range.to}T00:00:00Z`); time += 86_400_000) days.push(new Date(time).toISOString().slice(0, 10));
  return days;
}

export const inRange = (at: string, range: DayRange) => {
  const day = dayOf(at);
  return day >= range.from && day <= range.to;
};

/** Joins each interaction with the last thumbs on its answer and any handoff that names it. */
export function joinTurns(interactions: LogItem[], feedback: LogItem[], handoffs: LogItem[]): { turns: JoinedTurn[]; loneHandoffs: LoneHandoff[] } {
  const ratings = new Map<string, 'up' | 'down'>();
  for (const { entry } of feedback) if (entry.rating === 'up' || entry.rating === 'down') ratings.set(text(entry.answerId), entry.rating);
  const known = new Set(interactions.map(({ entry }) => text(entry.answerId)));
  const handedOff = new Set<string>();
  const loneHandoffs: LoneHandoff[] = [];
  for (const { entry } of handoffs) {
    const answerId = text(entry.answerId);
    if (answerId && known.has(answerId)) handedOff.add(answerId);
    else loneHandoffs.push({ at: text(entry.at), channel: text(entry.channel, 'widget'), productLine: text(entry.productLine, 'general'), question: text(entry.question) });
  }
  const turns = interactions.map(({ entry }) => {
    const interaction = entry as unknown as Interaction;
    const handed = handedOff.has(interaction.answerId);
    const rating = ratings.get(interaction.answerId);
    return { ...interaction, final: handed ? ('handed_off' as const) : interaction.outcome, handedOff: handed, ...(rating ? { rating } : {}) };
  });
  return { turns, loneHandoffs };
}

/** Resolved without a person and without a thumbs-down: what a support lead counts as deflected. */
export const deflected = (turn: JoinedTurn) => (turn.final === 'answered' || turn.final === 'curated') && turn.rating !== 'down';

export type OutcomeRow = { day: string; questions: number; thumbs_up: number; thumbs_down: number } & Record<Outcome, number>;

/** Questions per day by final outcome, with the thumbs given to that day's answers. */
export function outcomesPerDay(turns: JoinedTurn[], loneHandoffs: LoneHandoff[], range: DayRange): OutcomeRow[] {
  const rows = new Map(daysIn(range).map((day) => [day, { day, questions: 0, ...Object.fromEntries(OUTCOMES.map((outcome) => [outcome, 0])), thumbs_up: 0, thumbs_down: 0 } as OutcomeRow]));
  for (const turn of turns) {
    const row = rows.get(dayOf(turn.at));
    if (!row) continue;
    row.questions++;
    row[turn.final]++;
    if (turn.rating === 'up') row.thumbs_up++;
    if (turn.rating === 'down') row.thumbs_down++;
  }
  for (const handoff of loneHandoffs) {
    const row = rows.get(dayOf(handoff.at));
    if (!row) continue;
    row.questions++;
    row.handed_off++;
  }
  return [...rows.values()];
}

export interface RateRow {
  day: string;
  questions: number;
  answered: number;
  deflected: number;
  /** Answered or curated, of all questions (null on a day without questions). */
  answerRate: number | null;
  /** Answered or curated with no handoff and no thumbs-down, of all questions. */
  deflection: number | null;
}

const ratio = (part: number, whole: number) => (whole ? Math.round((part / whole) * 1000) / 1000 : null);

export function ratesPerDay(turns: JoinedTurn[], loneHandoffs: LoneHandoff[], range: DayRange): RateRow[] {
  const rows = new Map(daysIn(range).map((day) => [day, { day, questions: 0, answered: 0, deflected: 0 }]));
  for (const turn of turns) {
    const row = rows.get(dayOf(turn.at));
    if (!row) continue;
    row.questions++;
    if (turn.outcome === 'answered' || turn.outcome === 'curated') row.answered++;
    if (deflected(turn)) row.deflected++;
  }
  for (const handoff of loneHandoffs) {
    const row = rows.get(dayOf(handoff.at));
    if (row) row.questions++;
  }
  return [...rows.values()].map((row) => ({ ...row, answerRate: ratio(row.answered, row.questions), deflection: ratio(row.deflected, row.questions) }));
}

export interface CsatRow {
  day: string;
  ratings: number;
  satisfied: number;
  averageStars: number | null;
  /** Share of ratings with 4 or 5 stars (the usual CSAT). */
  csat: number | null;
}

/** CSAT per day from the visitors' conversation ratings (1–5 stars). */
export function csatPerDay(ratings: LogItem[], range: DayRange): CsatRow[] {
  const rows = new Map(daysIn(range).map((day) => [day, { day, ratings: 0, satisfied: 0, stars: 0 }]));
  for (const { entry } of ratings) {
    const row = rows.get(dayOf(text(entry.at)));
    const stars = Number(entry.stars);
    if (!row || !(stars >= 1 && stars <= 5)) continue;
    row.ratings++;
    row.stars += stars;
    if (stars >= 4) row.satisfied++;
  }
  return [...rows.values()].map(({ stars, ...row }) => ({ ...row, averageStars: row.ratings ? Math.round((stars / row.ratings) * 100) / 100 : null, csat: ratio(row.satisfied, row.ratings) }));
}

export interface Cluster<T> {
  productLine: string;
  members: T[];
  central: T;
}

export interface TopicRow {
  productLine: string;
  topic: string;
  count: number;
  /** A few other wordings. */
  questions: string[];
  /** Questions per day of the range. */
  daily: number[];
  /** Questions in the range's second half minus its first half: above 0, asked more and more. */
  trend: number;
}

/** The `perLine` largest topics of each product line, each with its questions per day and trend. */
export function topicRows(clusters: Cluster<{ question: string; at: string }>[], range: DayRange, perLine: number): TopicRow[] {
  const days = daysIn(range);
  const index = new Map(days.map((day, position) => [day, position]));
  const half = Math.floor(days.length / 2);
  const rows = clusters.map((cluster) => {
    const daily = days.map(() => 0);
    for (const member of cluster.members) {
      const position = index.get(dayOf(member.at));
      if (position !== undefined) daily[position]++;
    }
    const first = daily.slice(0, half).reduce((sum, value) => sum + value, 0);
    const second = daily.slice(days.length - half).reduce((sum, value) => sum + value, 0);
    const others = [...new Set(cluster.members.map((member) => member.question).reverse())].filter((question) => question !== cluster.central.question);
    return { productLine: cluster.productLine, topic: cluster.central.question, count: cluster.members.length, questions: others.slice(0, 3), daily, trend: second - first };
  });
  const byLine = new Map<string, TopicRow[]>();
  for (const row of rows.sort((a, b) => b.count - a.count || a.topic.localeCompare(b.topic))) {
    const line = byLine.get(row.productLine) ?? [];
    if (line.length < perLine) line.push(row);
    byLine.set(row.productLine, line);
  }
  return [...byLine.keys()].sort().flatMap((line) => byLine.get(line)!);
}

/** The failures the gaps report clusters: refused or suggested turns, and thumbs-down answers not already among them. */
export function gapSignals(unanswered: LogItem[], feedback: LogItem[]): GapSignal[] {
  const unansweredIds = new Set(unanswered.map(({ entry }) => text(entry.answerId)));
  // An agent's question may name internal things: kept apart from the customers' (absent: the public).
  const audiences = (entry: Record<string, unknown>) => (Array.isArray(entry.audiences) ? { audiences: entry.audiences.map(String) } : {});
  return [
    ...unanswered.map(({ id, entry }) => ({
      id,
      question: text(entry.question),
      productLine: text(entry.productLine, 'general'),
      lang: text(entry.lang),
      at: text(entry.at),
      kind: 'refused' as const,
      ...audiences(entry),
      similarity: similarityOf(entry),
    })),
    ...feedback
      .filter(({ entry }) => entry.rating === 'down' && typeof entry.question === 'string' && !unansweredIds.has(text(entry.answerId)))
      .map(({ id, entry }) => ({
        id,
        question: text(entry.question),
        productLine: text(entry.productLine, 'general'),
        lang: text(entry.lang),
        at: text(entry.answeredAt, text(entry.at)),
        kind: 'thumbs_down' as const,
        ...audiences(entry),
        similarity: similarityOf(entry),
      })),
  ].filter((signal) => signal.question && signal.at);
}

export interface BacklogRow {
  productLine: string;
  example: string;
  count: number;
  refused: number;
  thumbsDown: number;
  lastSeen: string;
  /** Each ask weighs 1 today, halving every `halfLifeDays` of age: many customers, recently, first. */
  impact: number;
}

export function gapBacklog(clusters: Cluster<GapSignal>[], now: number, halfLifeDays = 14): BacklogRow[] {
  return clusters
    .map((cluster) => ({
      productLine: cluster.productLine,
      example: cluster.central.question,
      count: cluster.members.length,
      refused: cluster.members.filter((member) => member.kind === 'refused').length,
      thumbsDown: cluster.members.filter((member) => member.kind === 'thumbs_down').length,
      lastSeen: cluster.members[cluster.members.length - 1].at,
      impact: Math.round(cluster.members.reduce((sum, member) => sum + 0.5 ** (Math.max(0, now - Date.parse(member.at)) / 86_400_000 / halfLifeDays), 0) * 100) / 100,
    }))
    .sort((a, b) => b.impact - a.impact || b.count - a.count);
}

/** RFC 4180 CSV: fields with a comma, quote or line break quoted; arrays joined with " | ". */
export function toCsv(rows: Record<string, unknown>[], columns: string[]): string {
  const field = (value: unknown) => {
    const raw = value === null || value === undefined ? '' : Array.isArray(value) ? value.join(' | ') : String(value);
    // A leading = + - @ would be a formula in a spreadsheet: quoted with a leading apostrophe (OWASP CSV injection).
    // Only a whole negative number is left as it is: "-1+cmd|…" starts like one and is a formula.
    const safe = /^[=+\-@\t\r]/.test(raw) && !/^-\d+(\.\d+)?$/.test(raw) ? `'${raw}` : raw;
    return /[",\r\n]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
  };
  return [columns.join(','), ...rows.map((row) => columns.map((column) => field(row[column])).join(','))].join('\r\n') + '\r\n';
}
