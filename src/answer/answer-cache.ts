import { createHash } from 'node:crypto';
import type { SharedState } from '../state/shared-state.js';
import { normalizeForMatch } from '../text/language.js';
import type { AnswerDone, AnswerMeta } from './answer-service.js';

export interface CachedAnswer {
  meta: Omit<AnswerMeta, 'answerId'>;
  done: Omit<AnswerDone, 'answerId' | 'timings'>;
}

/**
 * Answers keyed by the normalised question, product line, language and knowledge version. The version in
 * the key is what invalidates: after a re-ingestion no old key is ever computed again, and old entries expire.
 */
export class AnswerCache {
  constructor(
    private readonly state: SharedState,
    private readonly ttlSeconds: number,
  ) {}

  /** `curatedRevision`: the curated answers in force (see CuratedAnswers.revision); pinning one changes every key. */
  key(question: string, productLine: string, lang: string, knowledgeVersion: number, curatedRevision = ''): string {
    const normalized = normalizeForMatch(question).replace(/[\s?？!！。.,，]+$/u, '');
    return `answer-cache:v${knowledgeVersion}:${createHash('sha256').update(`${productLine}\n${lang}\n${curatedRevision}\n${normalized}`).digest('hex')}`;
  }

  get(key: string): Promise<CachedAnswer | undefined> {
    return this.state.getJson<CachedAnswer>(key);
  }

  set(key: string, value: CachedAnswer): Promise<void> {
    return this.state.setJson(key, value, this.ttlSeconds);
  }
}
