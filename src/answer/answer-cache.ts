import { createHash } from 'node:crypto';
import type { SharedState } from '../state/shared-state.js';
import { normalizeForMatch } from '../text/language.js';

/**
 * Answers keyed by the normalised question, product line, language and knowledge version. The version in
 * the key is what invalidates: after a re-ingestion no old key is ever computed again, and old entries expire.
 * What an entry holds is the answer service's business (its CachedAnswer): the cache only keys and stores it.
 */
export class AnswerCache<Value = unknown> {
  constructor(
    private readonly state: SharedState,
    private readonly ttlSeconds: number,
  ) {}

  /** `curatedRevision`: the curated answers in force (see CuratedAnswers.revision); pinning one changes every key. */
  key(question: string, productLine: string, lang: string, knowledgeVersion: number, curatedRevision = ''): string {
    const normalized = normalizeForMatch(question).replace(/[\s?？!！。.,，]+$/u, '');
    return `answer-cache:v${knowledgeVersion}:${createHash('sha256').update(`${productLine}\n${lang}\n${curatedRevision}\n${normalized}`).digest('hex')}`;
  }

  get(key: string): Promise<Value | undefined> {
    return this.state.getJson<Value>(key);
  }

  set(key: string, value: Value): Promise<void> {
    return this.state.setJson(key, value, this.ttlSeconds);
  }
}
