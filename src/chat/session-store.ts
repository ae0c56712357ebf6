import type { SharedState } from '../state/shared-state.js';

/** One question and its answer, as kept in a conversation. */
export interface Turn {
  answerId: string;
  question: string;
  answer: string;
  lang: 'zh' | 'en';
  productLine: string;
  /** Shown again when the conversation is reloaded: the badge and the quoted-text notice the live answer had. */
  productLineName?: string | null;
  notice?: string | null;
  mode: string;
  citations: { n: number; title: string; heading?: string; path: string; url?: string }[];
  at: string;
}

/** Conversations: the last `maxTurns` turns per session id, expiring `ttlSeconds` after the last turn. */
export class SessionStore {
  constructor(
    private readonly state: SharedState,
    private readonly maxTurns: number,
    private readonly ttlSeconds: number,
  ) {}

  history(sessionId: string): Promise<Turn[]> {
    return this.state.readList<Turn>(`session:${sessionId}`);
  }

  append(sessionId: string, turn: Turn): Promise<void> {
    return this.state.pushList(`session:${sessionId}`, turn, this.maxTurns, this.ttlSeconds);
  }

  clear(sessionId: string): Promise<void> {
    return this.state.delete(`session:${sessionId}`);
  }
}
