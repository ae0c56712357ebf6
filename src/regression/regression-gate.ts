import { decideStage, retrieveStage, scopeQuestion, selectSources } from '../answer/stages.js';
import { RefusalThresholds } from '../answer/refusal-threshold.js';
import type { ProductLineClassifier } from '../classify/product-lines.js';
import { type Embedder, embedQueriesInBatches } from '../embed/embedder.js';
import type { EmbeddingSpaces } from '../embed/embedding-spaces.js';
import type { ChangedAnswer, GateAnswer, RegressionGateHook } from '../ingest/regression-gate.js';
import { HybridRetriever } from '../retrieve/hybrid-retriever.js';
import { DEFAULT_TUNING, type RetrievalTuning } from '../retrieve/tuning.js';
import type { KnowledgeStore } from '../store/knowledge-store.js';
import { detectLanguage, type Language } from '../text/language.js';
import type { RegressionCase } from './regression-cases.js';

/** The note kind each version's answers to the regression set are kept under. */
const ANSWERS_NOTE = 'regression-answers';

export interface GateOptions {
  embedders: EmbeddingSpaces;
  classifier?: ProductLineClassifier;
  /** The regression set, read when a version is checked (the file and logs may have changed since start-up). */
  cases: () => Promise<RegressionCase[]>;
  /** Pinned cases that may break before a version is held (default 0). */
  tolerancePinned: number;
  /** Share of the unpinned cases right before that may break (thumbs-up answers: weaker evidence). */
  toleranceShare: number;
  /** How many sources an answer cites (RETRIEVAL_SOURCES): the expected document must be among them. */
  sources: number;
  tuning?: RetrievalTuning;
  /** Thresholds set by hand (REFUSAL_THRESHOLD_* / ANSWER_THRESHOLD_*), as the service applies them. */
  explicit?: Partial<Record<Language | 'other', number>>;
  explicitAnswer?: Partial<Record<Language, number>>;
}

/**
 * Every question embedded once for the whole set, in batches, then served from memory: the gate asks each
 * question of two versions, and a model call costs more than the searches it feeds.
 */
class PresetQueries implements Embedder {
  constructor(
    private readonly inner: Embedder,
    private readonly vectors: Map<string, Float32Array>,
  ) {}
  get modelKey() {
    return this.inner.modelKey;
  }
  get dimension() {
    return this.inner.dimension;
  }
  get maxEmbeddingsPerCall() {
    return this.inner.maxEmbeddingsPerCall;
  }
  embedPassages(texts: string[]) {
    return this.inner.embedPassages(texts);
  }
  async embedQuery(text: string) {
    return this.vectors.get(text) ?? this.inner.embedQuery(text);
  }
  countTokens(text: string) {
    return this.inner.countTokens(text);
  }
}

/** The note kind question vectors are remembered under (one entry, key 0: they belong to no version), per model. */
const VECTORS_NOTE = 'regression-question-vectors';
const toBase64 = (vector: Float32Array) => Buffer.from(vector.buffer, vector.byteOffset, vector.byteLength).toString('base64');
const fromBase64 = (text: string) => {
  const bytes = Buffer.from(text, 'base64');
  return new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4).slice();
};

/**
 * The set's questions embedded for every space that searches them. Vectors are remembered beside the table per
 * model, so a run embeds only questions it has not seen (a question costs a model call; the searches it feeds
 * cost less): on the 10k bench table the embedding was 6.8 of the gate's 11.6 s before.
 */
async function presetSpaces(embedders: EmbeddingSpaces, asked: { question: string; lang: Language }[], notes: KnowledgeStore): Promise<EmbeddingSpaces> {
  const remembered = (await notes.versionNotes<Record<string, Record<string, string>>>(VECTORS_NOTE))['0'] ?? {};
  const keep: Record<string, Record<string, string>> = {};
  let embedded = 0;
  const byModel = new Map<Embedder, Map<string, Float32Array>>();
  for (const space of embedders.all) {
    const texts = [...new Set(asked.filter((entry) => embedders.covering(entry.lang).includes(space)).map((entry) => entry.question))];
    const known = remembered[space.embedder.modelKey] ?? {};
    const missing = texts.filter((text) => !known[text]);
    const vectors = await embedQueriesInBatches(space.embedder, missing);
    embedded += missing.length;
    const fresh = new Map(missing.map((text, index) => [text, vectors[index]]));
    byModel.set(space.embedder, new Map(texts.map((text) => [text, fresh.get(text) ?? fromBase64(known[text])])));
    keep[space.embedder.modelKey] = Object.fromEntries(texts.map((text) => [text, known[text] ?? toBase64(fresh.get(text)!)]));
  }
  // Only this set's questions are kept: a deleted case's vector goes with it.
  const count = (all: Record<string, Record<string, string>>) => Object.values(all).reduce((sum, entries) => sum + Object.keys(entries).length, 0);
  if (embedded || count(remembered) !== count(keep)) await notes.saveVersionNote(VECTORS_NOTE, 0, keep);
  return embedders.map((embedder) => new PresetQueries(embedder, byModel.get(embedder) ?? new Map()));
}

/**
 * The regression gate (ingestion's RegressionGateHook): each case is asked of the new version and of the published
 * one through the service's own stages (scope → retrieve → decide; no reranker, no LLM), with each version's own
 * calibrated thresholds. A case is right when it is not refused and one of its documents is among the sources the
 * answer would cite. A version is held when more pinned cases broke (right before, wrong now) than the tolerance,
 * or a larger share of the unpinned ones.
 */
export function regressionGateHook(options: GateOptions): RegressionGateHook {
  return {
    check: async ({ store, version, baseline }) => {
      const started = performance.now();
      const asked = (await options.cases()).filter((entry) => entry.docIds.length > 0).map((entry) => ({ entry, question: entry.question, lang: entry.lang ?? detectLanguage(entry.question) }));
      const spaces = await presetSpaces(options.embedders, asked, store);
      const embedSeconds = (performance.now() - started) / 1000;
      // A version's answers are kept with it: the published version was gated as a new version once, so its
      // answers are read back, not asked again (only cases added since are). Halves the gate's work.
      const keyOf = (entry: RegressionCase, question: string) =>
        JSON.stringify([question, entry.docIds, entry.origin === 'file' || entry.origin === 'api' ? entry.productLine : null, options.sources, options.explicit, options.explicitAnswer]);
      const answersOf = async (versionStore: KnowledgeStore, at: number, known: Record<string, GateAnswer> = {}) => {
        const retriever = new HybridRetriever(spaces, versionStore, options.tuning ?? DEFAULT_TUNING);
        const thresholds = new RefusalThresholds({
          explicit: options.explicit ?? {},
          explicitAnswer: options.explicitAnswer,
          currentVersion: async () => at,
          calibration: (calibrated) => versionStore.calibration(calibrated),
        });
        const answers: GateAnswer[] = [];
        for (const { entry, question, lang } of asked) {
          const remembered = known[keyOf(entry, question)];
          if (remembered) {
            answers.push(remembered);
            continue;
          }
          // A line stated with a written case filters, as the widget's stated line does; otherwise it is guessed.
          const stated = entry.origin === 'file' || entry.origin === 'api' ? entry.productLine : undefined;
          const scope = scopeQuestion(options.classifier, question, stated);
          const retrieved = await retrieveStage(retriever, question, lang, scope);
          const decision = decideStage(question, lang, retrieved.lists, retrieved.ranked, await thresholds.band(lang, at));
          const sources = selectSources(retrieved.ranked, retriever.tuning.perDocument, options.sources);
          const expected = new Set(entry.docIds);
          answers.push(
            decision.outcome === 'refuse'
              ? { outcome: 'refused', right: false }
              : { outcome: 'answered', docId: sources[0]?.docId, title: sources[0]?.title, right: sources.some((source) => expected.has(source.docId)) },
          );
        }
        return answers;
      };
      const now = await answersOf(store, version);
      await store.saveVersionNote(ANSWERS_NOTE, version, Object.fromEntries(asked.map(({ entry, question }, index) => [keyOf(entry, question), now[index]])));
      const before = baseline ? await answersOf(baseline.store, baseline.version, (await store.versionNotes<Record<string, GateAnswer>>(ANSWERS_NOTE))[String(baseline.version)]) : undefined;
      const changed: ChangedAnswer[] = [];
      const broken = { pinned: 0, other: 0 };
      let otherRightBefore = 0;
      asked.forEach(({ entry }, index) => {
        const old = before?.[index];
        if (!old) return;
        if (old.right && !entry.pinned) otherRightBefore++;
        if (old.right === now[index].right) return;
        const change = old.right ? 'broke' : 'fixed';
        if (change === 'broke') broken[entry.pinned ? 'pinned' : 'other']++;
        changed.push({ caseId: entry.id, question: entry.question, origin: entry.origin, pinned: entry.pinned, expected: entry.docIds, old, new: now[index], change });
      });
      const right = now.filter((answer) => answer.right).length;
      const reasons: string[] = [];
      if (broken.pinned > options.tolerancePinned)
        reasons.push(`${broken.pinned} pinned case(s) answered right by version ${baseline?.version} are not by version ${version} (tolerance ${options.tolerancePinned})`);
      if (otherRightBefore && broken.other / otherRightBefore > options.toleranceShare) {
        reasons.push(`${broken.other} of ${otherRightBefore} thumbs-up answers broke (tolerance ${Math.round(options.toleranceShare * 100)} %)`);
      }
      return {
        version,
        baselineVersion: baseline?.version,
        cases: asked.length,
        right,
        score: asked.length ? Math.round((right / asked.length) * 1000) / 1000 : 1,
        broken,
        otherRightBefore,
        held: reasons.length > 0,
        ...(reasons.length ? { reason: reasons.join('; ') } : {}),
        // The broken first: they are what an admin decides on.
        changed: changed.sort((a, b) => (a.change === b.change ? Number(b.pinned) - Number(a.pinned) : a.change === 'broke' ? -1 : 1)),
        seconds: Math.round((performance.now() - started) / 10) / 100,
        embedSeconds: Math.round(embedSeconds * 100) / 100,
      };
    },
  };
}
