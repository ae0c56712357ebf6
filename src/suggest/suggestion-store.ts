import { createHash } from 'node:crypto';
import { notFound, unavailable } from '../errors.js';
import type { SharedState } from '../state/shared-state.js';
import type { Language } from '../text/language.js';

/**
 * A proposed knowledge-base answer: a question customers asked and the knowledge base failed, with an answer a
 * person gave (an edited e-mail reply, a handoff's resolution) or, for a gap nobody answered, one drafted from the
 * nearest documents. A reviewer accepts it (as a curated answer or a FAQ entry) or rejects it.
 */
export interface Suggestion {
  id: string;
  status: 'open' | 'accepted' | 'rejected';
  /** Where the answer came from: `email` (the draft id), `handoff` (the handoff id), `gap` (the gap id). */
  origin: { kind: 'email' | 'handoff' | 'gap'; ref: string; by?: string };
  question: string;
  /** Other wordings of the question: the gap cluster's. */
  paraphrases: string[];
  lang: Language;
  productLine?: string;
  /** PII masked. Empty when `needsAuthor`. */
  answer: string;
  /** Who wrote the answer: a person, the chat model from the nearest documents, or nobody yet. */
  answerBy: 'human' | 'model' | 'none';
  /** No answer yet: a person must write one before accepting. */
  needsAuthor: boolean;
  /** The knowledge base's documents nearest to the question and answer (retrieval), best first. */
  sources: SuggestionSource[];
  /** The gap it answers: its id and the ids of its signals then (how the gaps report finds it again). */
  gap?: { id: string; signalIds: string[]; similarity: number };
  /** How many customers asked (the gap's questions, or this one), and when first and last. */
  impact: { asked: number; refused: number; thumbsDown: number; firstAsked: string; lastAsked: string };
  /**
   * Who the accepted entry is for, when the question came with an internal audience (a handoff opened with an
   * agent-assist key): the curated answer or FAQ entry it becomes is limited to them. Absent: everyone.
   */
  audiences?: string[];
  /** Set with `audiences`: built from an agent's question and answer, not for customers. */
  internal?: true;
  createdAt: string;
  updatedAt: string;
  decision?: SuggestionDecision;
}

export interface SuggestionSource {
  docId: string;
  title: string;
  heading: string;
  path: string;
  score: number;
}

export interface SuggestionDecision {
  by: string;
  at: string;
  /** Accepted as: a curated answer, or a FAQ entry (a document, ingested by `jobId`). */
  as?: 'curated' | 'faq';
  curatedId?: string;
  docId?: string;
  path?: string;
  jobId?: string;
  reason?: string;
  /** Whether the reviewer changed the question, answer or paraphrases before accepting. */
  edited?: boolean;
}

export const SUGGESTION_LOG = 'suggestions';
/** Written when a suggestion is accepted (the regression gate reads it): the contract between branches. */
export const SUGGESTIONS_ACCEPTED_LOG = 'suggestions-accepted';
const SUGGESTION_LOG_MAX = 100_000;
/** Suggestions and accepted ones stay until the log is full: they are the record of what fixed a gap. */
export const SUGGESTION_LOG_RETENTION_SECONDS = 100 * 365 * 86_400;

/** One id per origin (the same handoff resolved twice is one suggestion): a name-based UUID (version 5 layout, SHA-256). */
export function suggestionId(kind: Suggestion['origin']['kind'], ref: string): string {
  const hex = createHash('sha256').update(`${kind}:${ref}`).digest('hex');
  const variant = ((Number.parseInt(hex[16], 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/**
 * Suggestions in the shared state, as an append-only log of their versions (memory or Redis, so every replica
 * lists the same): the last version of each id is current. A version is small (text and ids), and the log is
 * read whole; a deployment with tens of thousands of suggestions would want an index instead.
 */
export class SuggestionStore {
  constructor(private readonly state: SharedState) {}

  async list(): Promise<Suggestion[]> {
    const entries = await this.state.readLog(SUGGESTION_LOG, SUGGESTION_LOG_MAX);
    const current = new Map<string, Suggestion>();
    for (const { entry } of entries) {
      const suggestion = entry.suggestion as Suggestion | undefined;
      if (entry.action === 'put' && suggestion) current.set(suggestion.id, suggestion);
    }
    return [...current.values()];
  }

  async find(id: string): Promise<Suggestion | undefined> {
    return (await this.list()).find((suggestion) => suggestion.id === id);
  }

  async get(id: string): Promise<Suggestion> {
    const suggestion = await this.find(id);
    if (!suggestion) throw notFound('suggestion_not_found', `No suggestion with id "${id}"`);
    return suggestion;
  }

  async put(suggestion: Suggestion): Promise<Suggestion> {
    // In process memory during a Redis outage, a change would vanish when it returns: refused instead.
    if (this.state.isDegraded) throw unavailable('state_unavailable', 'Suggestions cannot be changed while the shared state (Redis) is unreachable; retry when it is back');
    await this.state.appendLog(SUGGESTION_LOG, { action: 'put', suggestion, at: suggestion.updatedAt }, SUGGESTION_LOG_MAX);
    return suggestion;
  }

  async logAccepted(entry: Record<string, unknown>): Promise<void> {
    await this.state.appendLog(SUGGESTIONS_ACCEPTED_LOG, entry, SUGGESTION_LOG_MAX);
  }
}
