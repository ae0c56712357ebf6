/**
 * The record of every answered turn on every channel (the `interactions` log) and of reviewers' corrections
 * (the `corrections` log): the shapes other branches read (the regression gate reads corrections), kept here
 * so the writer and the readers share one definition. Log names are constants so a workspace's prefixed view
 * of shared state scopes them without anyone building keys.
 */
export const INTERACTIONS_LOG = 'interactions';
export const CORRECTIONS_LOG = 'corrections';
/** Entries kept per log (each also expires with its retention). */
export const INSIGHT_LOG_MAX_LENGTH = 100_000;

export type Outcome = 'answered' | 'curated' | 'suggested' | 'refused' | 'handed_off';
export const OUTCOMES: readonly Outcome[] = ['answered', 'curated', 'suggested', 'refused', 'handed_off'];

export interface InteractionSource {
  docId: string;
  title: string;
  chunkId?: string;
}

export interface Interaction {
  id: string;
  at: string;
  sessionId: string;
  /** 1 for a conversation's first question. */
  turn: number;
  /** Where the customer asked: widget, api, email, wechat, wecom, feishu, dingtalk. */
  channel: string;
  /** PII-masked, as every stored customer text. */
  question: string;
  /** The answer as the customer got it (masked): what a reviewer reads in the transcript. */
  answer?: string;
  lang: string;
  productLine: string;
  /** What the answer itself did; a later handoff turns it into `handed_off` when the logs are joined. */
  outcome: Outcome;
  mode: string;
  confidence: number;
  /** The cited sources; for a refusal or suggestions, the nearest ones retrieval found. */
  sources: InteractionSource[];
  answerId: string;
  curatedId?: string;
  /** The asking key's audiences when it sees more than the public (an agent's turn may show internal sources). */
  audiences?: string[];
}

export interface Correction {
  id: string;
  at: string;
  by: string;
  sessionId: string;
  turn: number;
  question: string;
  lang: string;
  productLine: string;
  expected: { docId?: string; curatedId?: string };
  wrong: { outcome: Outcome; sources: string[] };
  note?: string;
}

/** The outcome of an answer by its mode: the middle band's "did you mean" is `suggested`, not an answer. */
export function outcomeOf(mode: string, refused: boolean): Outcome {
  if (refused || mode === 'refusal') return 'refused';
  if (mode === 'curated') return 'curated';
  if (mode === 'suggest') return 'suggested';
  return 'answered';
}

interface SourceLike {
  docId: string;
  title: string;
  chunkId?: string;
}

/** The interaction entry of one finished answer; `question` and `answer` come already masked. */
export function interactionEntry(turn: {
  at: string;
  sessionId: string;
  turn: number;
  channel: string;
  question: string;
  answer: string;
  lang: string;
  done: { answerId: string; mode: string; refused: boolean; productLine: string; confidence: number; citations: SourceLike[]; curated?: { id: string } };
  retrieved: SourceLike[];
}): Interaction {
  const { done } = turn;
  const cited = done.citations.length ? done.citations : turn.retrieved.slice(0, 3);
  return {
    id: done.answerId,
    at: turn.at,
    sessionId: turn.sessionId,
    turn: turn.turn,
    channel: turn.channel,
    question: turn.question,
    answer: turn.answer,
    lang: turn.lang,
    productLine: done.productLine,
    outcome: outcomeOf(done.mode, done.refused),
    mode: done.mode,
    confidence: done.confidence,
    sources: cited.map((source) => ({ docId: source.docId, title: source.title, ...(source.chunkId ? { chunkId: source.chunkId } : {}) })),
    answerId: done.answerId,
    ...(done.curated ? { curatedId: done.curated.id } : {}),
  };
}
