import type { SharedState } from '../state/shared-state.js';

/** One question and its answer, as kept in a conversation. */
export interface Turn {
  answerId: string;
  question: string;
  answer: string;
  lang: 'zh' | 'en';
  productLine: string;
  mode: string;
  citations: { n: number; title: string; path: string }[];
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
