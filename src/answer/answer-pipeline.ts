import type { ProductLineClassifier } from '../classify/product-lines.js';
import type { Config } from '../config/config.js';
import type { EmbeddingSpaces } from '../embed/embedding-spaces.js';
import type { Candidate, RankedList } from '../retrieve/fusion.js';
import { HybridRetriever, type RetrievalObserver } from '../retrieve/hybrid-retriever.js';
import { HttpReranker, type Reranker } from '../retrieve/reranker.js';
import { DEFAULT_TUNING, type RetrievalTuning } from '../retrieve/tuning.js';
import type { KnowledgeStore } from '../store/knowledge-store.js';
import { isKbLanguage, kbLanguageFor, type Language, type LanguageCode } from '../text/language.js';
import type { AnswerabilityModel } from './answerability.js';
import type { ExtractiveAnswer } from './extractive.js';
import { RefusalThresholds } from './refusal-threshold.js';
import type { StageClock } from './stage-clock.js';
import {
  asBand,
  type Band,
  type Decision,
  decideStage,
  extractStage,
  rerankStage,
  retrieveStage,
  type Scope,
  scopeQuestion,
  selectSources,
  type Suggestion,
  chooseSuggestions,
  suggestionPool,
} from './stages.js';
import { sameMeaningIn } from './suggestion-dedup.js';

/*
 * The answer path's stages as one object: scope → retrieve → rerank → decide, then select and extract (or suggest).
 * The answer service runs it for every question and `npm run eval` runs it for every query, built from the same
 * settings (answerPipelineOptions), so what the eval measures is what customers get and the two cannot drift.
 * What happens around a stage (timings, metrics) is the caller's: a StageClock handed in times the stages.
 */

export interface AnswerPipelineOptions {
  retriever: HybridRetriever;
  /** Embedding models; extractive answers score sentences with the question language's model. */
  embedders: EmbeddingSpaces;
  /** Guesses a question's product line (undefined: every question is about no line in particular). */
  classifier?: ProductLineClassifier;
  reranker?: Reranker;
  /** How many of the fused ranking the reranker reorders (default 20). */
  rerankTopN?: number;
  /** Undefined: the shipped model (answerability-model.json). */
  answerabilityModel?: AnswerabilityModel;
  /** Sources an answer is given and cites. */
  sources: number;
  /**
   * The answerability cuts in force for a language: a setting, the calibrated one, or the model default.
   * `version`: the knowledge version being answered from, when known.
   */
  refusalThreshold: (lang: Language | 'other', version?: number) => Promise<number | Band>;
}

/** One reading of a question through scope → retrieve → rerank → decide. */
export interface PipelineRun {
  question: string;
  scope: Scope;
  /** Each search's own ranked list (full-text, each vector space), before fusion. */
  lists: RankedList[];
  /** The fused ranking, reranked when a reranker is configured. */
  ranked: Candidate[];
  decision: Decision;
  /** The reranker failed: the fused order stands (a reranker outage never fails an answer). */
  rerankError?: Error;
}

export class AnswerPipeline {
  constructor(readonly options: AnswerPipelineOptions) {}

  get retriever(): HybridRetriever {
    return this.options.retriever;
  }

  /** Stage "scope": the line stated by the caller, or guessed from the question (and its conversation's `context`). */
  scope(question: string, stated?: string, context?: string): Scope {
    return scopeQuestion(this.options.classifier, question, stated, context);
  }

  /** The band in force for a question in `customer`'s language; another language than the knowledge base's has its own. */
  async band(customer: LanguageCode, version?: number): Promise<Band> {
    return asBand(await this.options.refusalThreshold(isKbLanguage(customer) ? kbLanguageFor(customer) : 'other', version));
  }

  /**
   * Retrieve, rerank and decide. Retrieval searches the spaces of the customer's own language (the multilingual one
   * for a Thai question) and only what `audiences` may see (undefined: everything, for trusted callers such as the
   * eval). With a `clock`, each stage is timed on it (rerank only when there is a reranker).
   */
  async run(question: string, scope: Scope, context: { customer: LanguageCode; band: Band; audiences?: readonly string[]; signal?: AbortSignal; clock?: StageClock }): Promise<PipelineRun> {
    const { retriever, reranker, rerankTopN, answerabilityModel } = this.options;
    const { customer, band, audiences, signal, clock } = context;
    const retrieved = await retrieveStage(retriever, question, customer, scope, audiences);
    if (clock) {
      // The retriever splits its own time (embedding, each search, fusion); the caller observes it once per answer.
      clock.add('embedMs', retrieved.timings.embedMs);
      clock.add('retrieveMs', retrieved.timings.embedMs + retrieved.timings.searchMs + retrieved.timings.fuseMs);
      for (const split of ['vectorMs', 'fullTextMs', 'fuseMs'] as const) clock.add(split, retrieved.timings[split]);
    }
    const rerank = () => rerankStage(reranker, retrieved, rerankTopN ?? 20, signal);
    // Without a reranker the stage does nothing, and is not timed.
    const reranked = clock && reranker ? await clock.stage('rerank', rerank) : await rerank();
    const decide = () => decideStage(question, kbLanguageFor(customer), retrieved.lists, reranked.ranked, band, answerabilityModel);
    const decision = clock ? await clock.stage('decide', decide) : decide();
    return { question, scope, lists: retrieved.lists, ranked: reranked.ranked, decision, ...(reranked.error ? { rerankError: reranked.error } : {}) };
  }

  /** Stage "select": the sources shown and given to the model, a few per document. */
  select(ranked: Candidate[]): Candidate[] {
    return selectSources(ranked, this.options.retriever.tuning.perDocument, this.options.sources);
  }

  /** Stage "extract": a cited quote from the selected sources, in the customer's language's scoring model. */
  extract(question: string, customer: LanguageCode, selected: Candidate[]): Promise<ExtractiveAnswer | undefined> {
    return extractStage(question, customer, selected, this.options.embedders);
  }

  /**
   * The middle band without a model: questions the knowledge base answers, near this one, none two saying the same
   * thing (their labels read by the question language's own model: suggestion-dedup.ts).
   */
  async suggest(ranked: Candidate[], lang: Language): Promise<Suggestion[]> {
    const pool = suggestionPool(ranked, lang);
    const embedder = this.options.embedders.covering(lang).at(-1)?.embedder;
    // The duplicate test is a refinement: if its embedding fails (a remote embedder down), the suggestions go out
    // without it rather than the answer failing.
    const same = embedder ? await sameMeaningIn(pool, embedder).catch(() => undefined) : undefined;
    return chooseSuggestions(pool, 3, same);
  }
}

/** The reranker the settings configure (RERANKER_URL), if any. */
export function configuredReranker(config: Config): Reranker | undefined {
  return config.RERANKER_URL ? new HttpReranker({ url: config.RERANKER_URL, model: config.RERANKER_MODEL, apiKey: config.RERANKER_API_KEY, timeoutMs: config.RERANKER_TIMEOUT_MS }) : undefined;
}

/**
 * The cuts in force as the settings give them (REFUSAL_THRESHOLD_*, ANSWER_THRESHOLD_*), else the table's calibration
 * of `currentVersion` (default: the serving version), else the model's defaults. `explicit` overrides the settings'
 * refusal cuts (the eval's `--threshold`).
 */
export function configuredThresholds(
  config: Config,
  store: Pick<KnowledgeStore, 'servingVersion' | 'calibration'>,
  options: { currentVersion?: () => Promise<number>; explicit?: Partial<Record<Language | 'other', number>>; model?: AnswerabilityModel } = {},
): RefusalThresholds {
  return new RefusalThresholds({
    explicit: options.explicit ?? { zh: config.REFUSAL_THRESHOLD_ZH, en: config.REFUSAL_THRESHOLD_EN },
    explicitAnswer: { zh: config.ANSWER_THRESHOLD_ZH, en: config.ANSWER_THRESHOLD_EN },
    currentVersion: options.currentVersion ?? (() => store.servingVersion()),
    calibration: (version) => store.calibration(version),
    ...(options.model ? { model: options.model } : {}),
  });
}

/**
 * The pipeline's settings from the parsed configuration: retrieval tuning (RETRIEVAL_CANDIDATES, SENTENCE_MATCH_TIMEOUT_MS), the reranker and
 * how much it reorders (RERANKER_*), the sources per answer (RETRIEVAL_SOURCES). The one place the service and the
 * eval take them from; `parts.tuning` varies retrieval for an experiment (the eval's `--translation-agreement`).
 */
export function answerPipelineOptions(
  config: Config,
  parts: {
    embedders: EmbeddingSpaces;
    store: KnowledgeStore;
    refusalThreshold: AnswerPipelineOptions['refusalThreshold'];
    classifier?: ProductLineClassifier;
    /** Undefined: the configured one; null: none. */
    reranker?: Reranker | null;
    answerabilityModel?: AnswerabilityModel;
    tuning?: Partial<RetrievalTuning>;
    /** Told when retrieval gives something up without failing (the service's metrics). */
    retrievalObserver?: RetrievalObserver;
  },
): AnswerPipelineOptions {
  const tuning: RetrievalTuning = {
    ...DEFAULT_TUNING,
    candidates: config.RETRIEVAL_CANDIDATES,
    sentenceMatch: { ...DEFAULT_TUNING.sentenceMatch, timeoutMs: config.SENTENCE_MATCH_TIMEOUT_MS },
    ...parts.tuning,
  };
  const reranker = parts.reranker === null ? undefined : (parts.reranker ?? configuredReranker(config));
  return {
    retriever: new HybridRetriever(parts.embedders, parts.store, tuning, parts.retrievalObserver),
    embedders: parts.embedders,
    classifier: parts.classifier,
    reranker,
    rerankTopN: config.RERANKER_TOP_N,
    answerabilityModel: parts.answerabilityModel,
    sources: config.RETRIEVAL_SOURCES,
    refusalThreshold: parts.refusalThreshold,
  };
}
