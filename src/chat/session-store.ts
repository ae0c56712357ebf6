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
  citations: { n: number; title: string; heading?: string; path: string; url?: string; internal?: true }[];
  at: string;
  /** The turn's number in the conversation (1 first): it goes on counting past the turns kept. */
  turn?: number;
}

/** Whose a session is, from the caller's side: theirs, nobody's (never asked in, or expired), or another key's. */
export type SessionAccess = 'own' | 'unknown' | 'foreign';

/**
 * Conversations: the last `maxTurns` turns per session id, expiring `ttlSeconds` after the last turn. A session
 * belongs to the API key that asked its first question (`owner`, the key id; '' when keys are off): another key
 * that learns the id (widget keys are public) may neither read, continue, delete nor rate it.
 */
export class SessionStore {
  constructor(
    private readonly state: SharedState,
    private readonly maxTurns: number,
    private readonly ttlSeconds: number,
  ) {}

  history(sessionId: string): Promise<Turn[]> {
    return this.state.readList<Turn>(`session:${sessionId}`);
  }

  async access(sessionId: string, owner: string): Promise<SessionAccess> {
    const bound = await this.state.getJson<{ owner: string }>(`session-owner:${sessionId}`);
    if (!bound) return 'unknown';
    return bound.owner === owner ? 'own' : 'foreign';
  }

  async append(sessionId: string, turn: Turn, owner = ''): Promise<void> {
    // The owner is (re)written with the turns' expiry: it lives exactly as long as the conversation.
    await this.state.setJson(`session-owner:${sessionId}`, { owner }, this.ttlSeconds);
    await this.state.pushList(`session:${sessionId}`, turn, this.maxTurns, this.ttlSeconds);
  }

  async clear(sessionId: string): Promise<void> {
    await this.state.delete(`session:${sessionId}`);
    await this.state.delete(`session-owner:${sessionId}`);
  }
}
