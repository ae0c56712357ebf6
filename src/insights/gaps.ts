import type { Embedder } from '../embed/embedder.js';
import { keyAudiences } from '../store/audiences.js';

/** One customer question the knowledge base failed: refused, or answered and rated thumbs-down. */
export interface GapSignal {
  /** Log entry id: stable, so its embedding is computed once. */
  id: string;
  question: string;
  productLine: string;
  lang: string;
  at: string;
  kind: 'refused' | 'thumbs_down';
  /** The asking key's audiences when not the public alone (an agent's question): never grouped with customers'. */
  audiences?: string[];
}

export interface Gap {
  productLine: string;
  count: number;
  refused: number;
  thumbsDown: number;
  firstSeen: string;
  lastSeen: string;
  /** The question closest to the group's centre: the one to read first. */
  example: string;
  /** A few other wordings, most recent first. */
  questions: string[];
  languages: string[];
  /** Who asked: `['public']` for customers, or the askers' audiences (`['agents', 'public']`). */
  audiences: string[];
}

export interface GapReportOptions {
  /** Cosine similarity to a group's centre at or above which a question joins it. */
  similarity: number;
  /** Questions embedded per call; the report yields between calls so answers are not held up. */
  batchSize?: number;
}

/**
 * Groups failed questions into knowledge gaps: within each product line, a question joins the group whose
 * centre it is most similar to (at least `similarity`), or starts a new group. Leader clustering is one pass
 * and needs no number of groups up front, which an ops team could not know. Embeddings are cached by entry
 * id, so a report over the same window again costs almost nothing.
 */
export class GapReporter {
  private readonly cache = new Map<string, Float32Array>();

  constructor(
    private readonly embedder: Embedder,
    private readonly options: GapReportOptions,
    /** Bound on cached embeddings (oldest dropped first). */
    private readonly maxCached = 50_000,
  ) {}

  async report(signals: GapSignal[]): Promise<Gap[]> {
    const vectors = await this.embed(signals);
    const groups: { productLine: string; audiences: string; centre: Float32Array; members: { signal: GapSignal; vector: Float32Array }[] }[] = [];
    const audiencesOf = (signal: GapSignal) => keyAudiences(signal.audiences).join(',');
    // Oldest first, so a group's first member is the first time it was seen.
    const ordered = signals.map((signal, index) => ({ signal, vector: vectors[index] })).sort((a, b) => a.signal.at.localeCompare(b.signal.at));
    for (const item of ordered) {
      let best: (typeof groups)[number] | undefined;
      let bestScore = this.options.similarity;
      for (const group of groups) {
        if (group.productLine !== item.signal.productLine || group.audiences !== audiencesOf(item.signal)) continue;
        const score = cosine(group.centre, item.vector);
        if (score >= bestScore) {
          best = group;
          bestScore = score;
        }
      }
      if (!best) groups.push({ productLine: item.signal.productLine, audiences: audiencesOf(item.signal), centre: Float32Array.from(item.vector), members: [item] });
      else {
        best.members.push(item);
        // Running mean of the members: the centre moves as wordings accumulate.
        const n = best.members.length;
        for (let d = 0; d < best.centre.length; d++) best.centre[d] += (item.vector[d] - best.centre[d]) / n;
      }
    }
    return groups
      .map((group) => {
        const members = group.members;
        const central = members.reduce((a, b) => (cosine(group.centre, b.vector) > cosine(group.centre, a.vector) ? b : a));
        const distinct = [...new Set(members.map((member) => member.signal.question).reverse())].filter((question) => question !== central.signal.question);
        return {
          productLine: group.productLine,
          count: members.length,
          refused: members.filter((member) => member.signal.kind === 'refused').length,
          thumbsDown: members.filter((member) => member.signal.kind === 'thumbs_down').length,
          firstSeen: members[0].signal.at,
          lastSeen: members[members.length - 1].signal.at,
          example: central.signal.question,
          questions: distinct.slice(0, 5),
          languages: [...new Set(members.map((member) => member.signal.lang))].sort(),
          audiences: group.audiences.split(','),
        };
      })
      .sort((a, b) => b.count - a.count || b.lastSeen.localeCompare(a.lastSeen));
  }

  private async embed(signals: GapSignal[]): Promise<Float32Array[]> {
    const missing = signals.filter((signal) => !this.cache.has(signal.id));
    const size = this.options.batchSize ?? 16;
    for (let start = 0; start < missing.length; start += size) {
      const batch = missing.slice(start, start + size);
      // Questions, not passages: the same side of the model the answer path embeds them with.
      const vectors = await Promise.all(batch.map((signal) => this.embedder.embedQuery(signal.question)));
      batch.forEach((signal, index) => this.cache.set(signal.id, vectors[index]));
      await new Promise((resolve) => setImmediate(resolve));
    }
    while (this.cache.size > this.maxCached) this.cache.delete(this.cache.keys().next().value!);
    return signals.map((signal) => this.cache.get(signal.id)!);
  }
}

function cosine(a: Float32Array, b: Float32Array): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let index = 0; index < a.length; index++) {
    dot += a[index] * b[index];
    na += a[index] * a[index];
    nb += b[index] * b[index];
  }
  return dot / Math.sqrt(na * nb || 1);
}
