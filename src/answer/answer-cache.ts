import { createHash } from 'node:crypto';
import type { SharedState } from '../state/shared-state.js';
import { normalizeForMatch } from '../text/language.js';
import { keyAudiences, PUBLIC_AUDIENCE, PUBLIC_ONLY } from '../store/audiences.js';

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

  /**
   * `curatedRevision`: the curated answers in force (see CuratedAnswers.revision); pinning one changes every key.
   * `audiences`: what the asker may see (docs/audiences.md). Answers to the same question differ by audience set, so
   * each set has its own entries; the public alone keeps the key it had before audiences, so upgrading keeps the cache.
   */
  key(question: string, productLine: string, lang: string, knowledgeVersion: number, curatedRevision = '', audiences: readonly string[] = PUBLIC_ONLY): string {
    const normalized = normalizeForMatch(question).replace(/[\s?？!！。.,，]+$/u, '');
    const set = keyAudiences(audiences);
    const audienceLine = set.length === 1 && set[0] === PUBLIC_AUDIENCE ? '' : `audiences:${set.join(',')}\n`;
    return `answer-cache:v${knowledgeVersion}:${createHash('sha256').update(`${audienceLine}${productLine}\n${lang}\n${curatedRevision}\n${normalized}`).digest('hex')}`;
  }

  get(key: string): Promise<Value | undefined> {
    return this.state.getJson<Value>(key);
  }

  set(key: string, value: Value): Promise<void> {
    return this.state.setJson(key, value, this.ttlSeconds);
  }
}
