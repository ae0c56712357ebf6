import type { Embedder } from '../embed/embedder.js';
import { keyAudiences } from '../store/audiences.js';
import { OFF_TOPIC, type OffTopicJudge } from './off-topic.js';

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
  /** The question's best cosine to the knowledge base when it was answered: how the off-topic ones are told apart. */
  similarity?: number;
}

/** What can be clustered: a question with a stable id (its embedding is cached by it), its line and time. */
export interface ClusterItem {
  id: string;
  question: string;
  productLine: string;
  at: string;
  /** Who asked (absent: the public); questions of different audiences are never grouped together. */
  audiences?: string[];
}

export interface Gap {
  /** The id of its first signal: the same gap keeps it from report to report while that question is in the window. */
  id: string;
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
  /** The accepted suggestion that answered this gap, when one did. */
  fixedBy?: GapFixReference;
  /** Questions of this gap that still failed after the fix: zero is a fix that works. */
  questionsSinceFix?: number;
  /** Who asked: `['public']` for customers, or the askers' audiences (`['agents', 'public']`). */
  audiences: string[];
}

/** What fixed a gap, as the gaps report shows it. */
export interface GapFixReference {
  suggestionId: string;
  at: string;
  as: 'curated' | 'faq';
  curatedId?: string;
  docId?: string;
}

/** An accepted suggestion, as the report needs it to find the gap it fixed. */
export interface GapFix extends GapFixReference {
  /** The signals of the gap the suggestion was made for: the gap holding any of them is the one it fixed. */
  signalIds: string[];
  /** Its question, for a gap none of whose first signals is in the window any more. */
  question: string;
}

/** The gap a question belongs to, with the ids of its signals (what a suggestion keeps to find it again). */
export interface LocatedGap {
  gap: Gap;
  signalIds: string[];
  similarity: number;
}

type Member<T extends ClusterItem = GapSignal> = { item: T; vector: Float32Array };
type Group<T extends ClusterItem = GapSignal> = { productLine: string; audiences: string; centre: Float32Array; members: Member<T>[] };

export interface GapReportOptions {
  /** Cosine similarity to a group's centre at or above which a question joins it. */
  similarity: number;
  /** Questions embedded per call; the report yields between calls so answers are not held up. */
  batchSize?: number;
  /** Which failed questions are off-topic (src/insights/off-topic.ts): they are no product line's gaps. */
  offTopic?: OffTopicJudge;
  /** Embeddings kept beyond this process (src/insights/question-embeddings.ts): a restart does not embed again. */
  memo?: EmbeddingMemo;
}

/** Question vectors by text, kept where another process finds them. */
export interface EmbeddingMemo {
  lookup(texts: string[]): Promise<(Float32Array | undefined)[]>;
  remember(entries: { text: string; vector: Float32Array }[]): Promise<void>;
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

  /** The gaps in `signals`, largest first; each linked to the fix (of `fixes`) that answered it, if any. Off-topic questions are left out. */
  async report(signals: GapSignal[], fixes: GapFix[] = []): Promise<Gap[]> {
    return (await this.reportWithSignals(signals, fixes)).map((item) => item.gap);
  }

  /**
   * The report and, apart, the off-topic questions grouped the same way (under the product line "off-topic"):
   * what the gaps page shows, so that an operator sees how much is asked that no documentation should answer.
   */
  async reportWithOffTopic(signals: GapSignal[], fixes: GapFix[] = []): Promise<{ gaps: Gap[]; offTopic: Gap[] }> {
    const offTopic = await this.offTopicIds(signals);
    const gaps = await this.report(signals, fixes);
    const groups = await this.cluster(signals.filter((signal) => offTopic.has(signal.id)).map((signal) => ({ ...signal, productLine: OFF_TOPIC })));
    return { gaps, offTopic: groups.map(summarise).sort((a, b) => b.count - a.count || b.lastSeen.localeCompare(a.lastSeen)) };
  }

  /** `signals` without the off-topic ones: what is a knowledge gap at all (the dashboard's backlog clusters these). */
  async onTopic<T extends GapSignal>(signals: T[]): Promise<T[]> {
    const offTopic = await this.offTopicIds(signals);
    return offTopic.size ? signals.filter((signal) => !offTopic.has(signal.id)) : signals;
  }

  private offTopicIds(signals: GapSignal[]): Promise<Set<string>> {
    return this.options.offTopic ? this.options.offTopic(signals) : Promise.resolve(new Set());
  }

  /** The report with each gap's signal ids (what a suggestion keeps to find its gap again). */
  async reportWithSignals(signals: GapSignal[], fixes: GapFix[] = []): Promise<{ gap: Gap; signalIds: string[] }[]> {
    const groups = await this.cluster(await this.onTopic(signals));
    const fixVectors = await this.embedTexts(fixes.map((fix) => ({ key: `fix:${fix.suggestionId}`, text: fix.question })));
    return groups
      .map((group) => {
        const ids = new Set(group.members.map((member) => member.item.id));
        // Its own signals first; by meaning only when none of them is left in the window.
        const fix =
          fixes.find((candidate) => candidate.signalIds.some((id) => ids.has(id))) ??
          fixes.find((candidate, index) => candidate.signalIds.every((id) => !ids.has(id)) && cosine(group.centre, fixVectors[index]) >= this.options.similarity);
        const gap = summarise(group);
        const signalIds = [...ids];
        if (!fix) return { gap, signalIds };
        const { signalIds: _signals, question: _question, ...fixedBy } = fix;
        return { gap: { ...gap, fixedBy, questionsSinceFix: group.members.filter((member) => member.item.at > fix.at).length }, signalIds };
      })
      .sort((a, b) => b.gap.count - a.gap.count || b.gap.lastSeen.localeCompare(a.gap.lastSeen));
  }

  /**
   * The gap `question` belongs to: the group with the member (or centre) most similar to it, at least `similarity`.
   * A human reply is matched to the gap it answers this way.
   */
  async locate(signals: GapSignal[], question: string): Promise<LocatedGap | undefined> {
    const groups = await this.cluster(await this.onTopic(signals));
    const [vector] = await this.embedTexts([{ key: `question:${question}`, text: question }]);
    let best: LocatedGap | undefined;
    for (const group of groups) {
      const similarity = Math.max(cosine(group.centre, vector), ...group.members.map((member) => cosine(member.vector, vector)));
      if (similarity >= this.options.similarity && (!best || similarity > best.similarity)) best = { gap: summarise(group), signalIds: group.members.map((member) => member.item.id), similarity };
    }
    return best;
  }

  /**
   * The groups themselves, members oldest first, with the member closest to the centre: the gaps report and the
   * dashboard's topics of all questions (src/insights/analytics.ts) are both made of these.
   */
  async clusters<T extends ClusterItem>(items: T[]): Promise<{ productLine: string; members: T[]; central: T }[]> {
    return (await this.cluster(items)).map((group) => ({ productLine: group.productLine, members: group.members.map((member) => member.item), central: centralMember(group).item }));
  }

  private async cluster<T extends ClusterItem>(items: T[]): Promise<Group<T>[]> {
    const vectors = await this.embed(items);
    const groups: Group<T>[] = [];
    // Oldest first, so a group's first member is the first time it was seen.
    const ordered = items.map((entry, index) => ({ item: entry, vector: vectors[index] })).sort((a, b) => a.item.at.localeCompare(b.item.at));
    for (const item of ordered) {
      let best: Group<T> | undefined;
      let bestScore = this.options.similarity;
      for (const group of groups) {
        if (group.productLine !== item.item.productLine || group.audiences !== audiencesOf(item.item)) continue;
        const score = cosine(group.centre, item.vector);
        if (score >= bestScore) {
          best = group;
          bestScore = score;
        }
      }
      if (!best) groups.push({ productLine: item.item.productLine, audiences: audiencesOf(item.item), centre: Float32Array.from(item.vector), members: [item] });
      else {
        best.members.push(item);
        // Running mean of the members: the centre moves as wordings accumulate.
        const n = best.members.length;
        for (let d = 0; d < best.centre.length; d++) best.centre[d] += (item.vector[d] - best.centre[d]) / n;
      }
    }
    return groups;
  }

  private async embed(items: ClusterItem[]): Promise<Float32Array[]> {
    return this.embedTexts(items.map((item) => ({ key: item.id, text: item.question })));
  }

  private async embedTexts(items: { key: string; text: string }[]): Promise<Float32Array[]> {
    let missing = [...new Map(items.filter((item) => !this.cache.has(item.key)).map((item) => [item.key, item])).values()];
    if (missing.length && this.options.memo) {
      const known = await this.options.memo.lookup(missing.map((item) => item.text));
      missing.forEach((item, index) => known[index] && this.cache.set(item.key, known[index]));
      missing = missing.filter((_, index) => !known[index]);
    }
    const size = this.options.batchSize ?? 16;
    for (let start = 0; start < missing.length; start += size) {
      const batch = missing.slice(start, start + size);
      // Questions, not passages: the same side of the model the answer path embeds them with.
      const vectors = await Promise.all(batch.map((item) => this.embedder.embedQuery(item.text)));
      batch.forEach((item, index) => this.cache.set(item.key, vectors[index]));
      await this.options.memo?.remember(batch.map((item, index) => ({ text: item.text, vector: vectors[index] })));
      await new Promise((resolve) => setImmediate(resolve));
    }
    const result = items.map((item) => this.cache.get(item.key)!);
    while (this.cache.size > this.maxCached) this.cache.delete(this.cache.keys().next().value!);
    return result;
  }
}

function centralMember<T extends ClusterItem>(group: Group<T>): Member<T> {
  return group.members.reduce((a, b) => (cosine(group.centre, b.vector) > cosine(group.centre, a.vector) ? b : a));
}

function summarise(group: Group): Gap {
  const members = group.members;
  const central = centralMember(group);
  const distinct = [...new Set(members.map((member) => member.item.question).reverse())].filter((question) => question !== central.item.question);
  return {
    id: members[0].item.id,
    productLine: group.productLine,
    count: members.length,
    refused: members.filter((member) => member.item.kind === 'refused').length,
    thumbsDown: members.filter((member) => member.item.kind === 'thumbs_down').length,
    firstSeen: members[0].item.at,
    lastSeen: members[members.length - 1].item.at,
    example: central.item.question,
    questions: distinct.slice(0, 5),
    languages: [...new Set(members.map((member) => member.item.lang))].sort(),
    audiences: group.audiences.split(','),
  };
}

const audiencesOf = (item: ClusterItem) => keyAudiences(item.audiences).join(',');

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
