import { createHash } from 'node:crypto';
import type { SharedState } from '../state/shared-state.js';
import type { EmbeddingMemo } from './gaps.js';

/** The log of question embeddings the dashboard's topics and the gaps report cluster (docs/dashboard.md). */
export const QUESTION_EMBEDDINGS_LOG = 'question_embeddings';
/**
 * Entries kept: ten times what one report clusters (the latest 2,000 questions of the topics, as many failures for
 * the backlog), about 2 KB each with the 384-dimension models (40 MB at most).
 */
export const QUESTION_EMBEDDINGS_MAX = 20_000;

/**
 * Question embeddings kept in shared state, so that a restarted process or another replica clusters the dashboard's
 * questions without embedding them again (about 35 ms each on a CPU: 50 s for the 1,360 questions of the bench).
 * Each entry is `{ k, v }`: `k` a hash of the model key and the question's text (a model change never matches an
 * old vector; the text itself is not stored again), `v` the vector's float32 bytes in base64. It is a log, not keys,
 * so it persists in Redis and in the `STATE_LOG_DIR` files alike, bounded and expiring like the other logs.
 *
 * A process reads the log once, at its first lookup; after that, a lookup that misses reads only the log's tail,
 * where other replicas append what they embedded since. A failed read or write costs only an embedding.
 */
export class SharedQuestionEmbeddings implements EmbeddingMemo {
  private readonly vectors = new Map<string, Float32Array>();
  private loaded?: Promise<void>;

  constructor(
    private readonly state: Pick<SharedState, 'appendLog' | 'readLog'>,
    private readonly modelKey: string,
    private readonly options: { maxEntries: number; dimension: number },
  ) {}

  private hash(text: string): string {
    return createHash('sha256').update(this.modelKey).update('\u0000').update(text).digest('base64url').slice(0, 32);
  }

  private async read(count: number): Promise<void> {
    const entries = await this.state.readLog(QUESTION_EMBEDDINGS_LOG, count).catch(() => []);
    for (const { entry } of entries) {
      if (typeof entry.k !== 'string' || typeof entry.v !== 'string' || this.vectors.has(entry.k)) continue;
      const bytes = Buffer.from(entry.v, 'base64');
      if (bytes.length !== this.options.dimension * 4) continue;
      // A copy: the buffer may be a slice of a shared pool, not aligned for a Float32Array view.
      this.vectors.set(entry.k, new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length)));
    }
    while (this.vectors.size > this.options.maxEntries) this.vectors.delete(this.vectors.keys().next().value!);
  }

  async lookup(texts: string[]): Promise<(Float32Array | undefined)[]> {
    if (!this.loaded) this.loaded = this.read(this.options.maxEntries);
    await this.loaded;
    const keys = texts.map((text) => this.hash(text));
    const misses = keys.filter((key) => !this.vectors.has(key)).length;
    // What another replica embedded since this one read the log is at its end.
    if (misses) await this.read(Math.min(this.options.maxEntries, 2 * misses + 256));
    return keys.map((key) => this.vectors.get(key));
  }

  async remember(entries: { text: string; vector: Float32Array }[]): Promise<void> {
    await Promise.all(
      entries.map(({ text, vector }) => {
        const k = this.hash(text);
        this.vectors.set(k, vector);
        const v = Buffer.from(vector.buffer, vector.byteOffset, vector.byteLength).toString('base64');
        return this.state.appendLog(QUESTION_EMBEDDINGS_LOG, { k, v }, this.options.maxEntries).catch(() => undefined);
      }),
    );
  }
}
