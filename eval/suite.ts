/**
 * The evaluation suite behind `npm run eval -- --suite <dir>`: every folder of `<dir>` holding
 * corpus.jsonl + queries.jsonl is ingested once (the table is cached under a hash of the corpus, the
 * models and the chunking settings), then every query runs through the service's own pipeline object
 * (src/answer/answer-pipeline.ts: scope → retrieve → rerank → decide → select → extract), built from the parsed
 * settings as the service builds it, and is scored against plain full-text search and vector-only search from the
 * same run.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { AnswerPipeline, answerPipelineOptions, configuredThresholds } from '../src/answer/answer-pipeline.js';
import type { AnswerabilityModel } from '../src/answer/answerability.js';
import { auroc } from '../src/calibrate/self-calibration.js';
import { type Band, decideStage, outcomeOf, type Outcome, withoutDocuments } from '../src/answer/stages.js';
import type { ProductLineClassifier } from '../src/classify/product-lines.js';
import type { Config } from '../src/config/config.js';
import type { EmbeddingSpaces } from '../src/embed/embedding-spaces.js';
import { PIPELINE_VERSION, runIngestion } from '../src/ingest/run-ingestion.js';
import { selfCalibrationHook } from '../src/calibrate/calibration-hook.js';
import type { Evidence } from '../src/retrieve/evidence.js';
import type { Candidate, RankedList } from '../src/retrieve/fusion.js';
import type { RetrievalTuning } from '../src/retrieve/tuning.js';
import type { KnowledgeStore } from '../src/store/knowledge-store.js';
import type { Language } from '../src/text/language.js';
import { identifyLanguage, isKbLanguage, kbLanguageFor, normalizeForMatch } from '../src/text/language.js';

export const querySchema = z
  .object({
    id: z.coerce.string(),
    text: z.string().min(1),
    // Optional: a set without it (or with "zh-CN", "en-US") gets the language detected from the text.
    // Any ISO 639-1/639-3 code ("th", "zh-CN" → "zh"); questions in languages the knowledge base is not in are reported per language too.
    lang: z.preprocess((value) => (typeof value === 'string' ? /^[a-z]{2,3}/i.exec(value)?.[0].toLowerCase() : value), z.string().optional().catch(undefined)),
    relevant: z.array(z.coerce.string()).default([]),
    answerable: z.boolean().default(true),
    type: z.string().optional(),
    answers: z.array(z.string()).optional(),
    relevant_other_lang: z.array(z.coerce.string()).optional(),
  })
  .transform((query) => {
    const lang = query.lang ?? identifyLanguage(query.text);
    // A language the knowledge base is not written in (xquad-multilingual's ar, de…) is decided on the multilingual
    // space's cosine, not the fitted models: left out of fitting the decision and of the three-outcome tables.
    return { ...query, lang, otherLanguage: !isKbLanguage(lang) };
  });
export type EvalQuery = z.infer<typeof querySchema>;

/** A JSON Lines file, every line checked against `schema`; a bad line names its file and line number. */
export function readJsonLines<T>(file: string, schema: z.ZodType<T>): T[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line.trim())
    .map((line, index) => {
      const parsed = schema.safeParse(JSON.parse(line));
      if (!parsed.success) throw new Error(`${file}:${index + 1}: ${parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ')}`);
      return parsed.data;
    });
}

export const readQueries = (file: string): EvalQuery[] => readJsonLines(file, querySchema);

export interface EvalSet {
  name: string;
  corpus: string;
  queries: string;
}

export function findSets(dir: string): EvalSet[] {
  return readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => ({ name: entry.name, corpus: path.join(dir, entry.name, 'corpus.jsonl'), queries: path.join(dir, entry.name, 'queries.jsonl') }))
    .filter((set) => existsSync(set.corpus) && existsSync(set.queries))
    .sort((a, b) => a.name.localeCompare(b.name));
}

/** Ingests a corpus once per content, models and settings; later runs reuse the table (and its calibration). */
export async function ensureTable(set: EvalSet, embedders: EmbeddingSpaces, config: Config, dbDir: string, log: (line: string) => void): Promise<string> {
  const hash = createHash('sha256')
    .update(readFileSync(set.corpus))
    .update(JSON.stringify([PIPELINE_VERSION, embedders.modelKey, config.CHUNK_MAX_TOKENS, config.CHUNK_OVERLAP_TOKENS, config.CALIBRATION_FALSE_REFUSAL_TARGET]))
    .digest('hex')
    .slice(0, 12);
  const table = `corpus_${hash}`;
  // A cached table re-runs quickly: nothing is re-embedded, and calibration runs again only when the
  // answerability model changed.
  log(`${set.name}: ${existsSync(path.join(dbDir, `${table}.lance`)) ? 'checking' : 'ingesting'} ${set.corpus} → ${dbDir}/${table}`);
  const summary = await runIngestion({
    source: set.corpus,
    dbDir,
    tableName: table,
    embedders,
    maxFileBytes: config.INGEST_MAX_FILE_BYTES,
    chunkMaxTokens: config.CHUNK_MAX_TOKENS,
    chunkOverlapTokens: config.CHUNK_OVERLAP_TOKENS,
    // The same targets as `npm run ingest`: the table's calibration (the "as served" figures) follows the settings.
    calibration: selfCalibrationHook(embedders, config.CALIBRATION_FALSE_REFUSAL_TARGET, config.CALIBRATION_CONFIDENT_UNANSWERABLE_TARGET),
  });
  log(`${set.name}: ${summary.chunksTotal} chunks, ${summary.seconds.toFixed(0)} s`);
  return table;
}

export interface QueryRun {
  query: EvalQuery;
  /** Documents in ranked order, for Kefu and the two single retrievers of the same run. */
  kefu: string[];
  lexical: string[];
  dense: string[];
  evidence: Evidence;
  answerability: number;
  threshold: number;
  /** The band in force (refusal cut, confident cut) and the outcome it gives. */
  band: Band;
  outcome: Outcome;
  /** The documents the middle band would suggest (suggestStage), best first. */
  suggested: string[];
  /** An unanswerable twin: an answerable query asked with its relevant documents removed from the knowledge base. */
  twin?: boolean;
  /** Documents of Kefu's ranking not in the question's language. */
  otherLanguageDocs: Set<string>;
  /** The extractive answer's text (null when refused or nothing was quoted; undefined when not run). */
  extractive?: string | null;
  /** The document the extractive answer quoted (null when refused or nothing was quoted; undefined when not run). */
  extractiveDoc?: string | null;
  /** The head of the ranking, compact, for `--dump` (offline analysis of the decision and the suggestions). */
  head?: CompactCandidate[];
}

export interface CompactCandidate {
  doc: string;
  lang: string;
  kind: string;
  title: string;
  heading: string;
  fused: number;
  scores: Candidate['scores'];
  ranks: Candidate['ranks'];
}

const compact = (ranked: Candidate[], depth = 20): CompactCandidate[] =>
  ranked.slice(0, depth).map((candidate) => ({ doc: candidate.docId, lang: candidate.lang, kind: candidate.kind, title: candidate.title, heading: candidate.headingPath, fused: candidate.fusedScore, scores: candidate.scores, ranks: candidate.ranks }));

/**
 * The service's answer pipeline over an eval table, from the parsed settings (RETRIEVAL_*, RERANKER_*,
 * REFUSAL_THRESHOLD_*, ANSWER_THRESHOLD_*) as buildService makes it. The band follows the calibration of the table
 * as written (its latest version: an eval table is never held). `threshold` overrides the refusal cuts (the eval's
 * `--threshold`, fitting's 0); `tuning` varies retrieval (`--translation-agreement`).
 */
export function evalPipeline(
  config: Config,
  store: KnowledgeStore,
  parts: { embedders: EmbeddingSpaces; classifier?: ProductLineClassifier; model?: AnswerabilityModel; threshold?: Partial<Record<Language | 'other', number>>; tuning?: Partial<RetrievalTuning> },
): AnswerPipeline {
  const thresholds = configuredThresholds(config, store, { currentVersion: () => store.version(), explicit: parts.threshold, model: parts.model });
  return new AnswerPipeline(
    answerPipelineOptions(config, {
      embedders: parts.embedders,
      store,
      classifier: parts.classifier,
      answerabilityModel: parts.model,
      tuning: parts.tuning,
      refusalThreshold: thresholds.band,
    }),
  );
}

export interface RunOptions {
  /** Also run every answerable query's unanswerable twin (its relevant documents removed). */
  twins?: boolean;
  extractive?: boolean;
  /** Quote middle-band questions too (the service suggests there): measures the quote apart from the decision. */
  quoteMiddleBand?: boolean;
  /** Keep the head of each ranking on the run (`--dump`). */
  dump?: boolean;
}

const documents = (ranked: { docId: string }[]) => [...new Set(ranked.map((hit) => hit.docId))];

/** Runs every query of one set through the service's answer pipeline (evalPipeline). */
export async function runQueries(pipeline: AnswerPipeline, queries: EvalQuery[], options: RunOptions = {}): Promise<QueryRun[]> {
  const model = pipeline.options.answerabilityModel;
  // One band per question language, read once (the table's calibration does not change during a run).
  const bands = new Map<string, Promise<Band>>();
  const bandFor = (lang: string) => bands.get(lang) ?? bands.set(lang, pipeline.band(lang)).get(lang)!;
  const runs: QueryRun[] = [];
  for (const query of queries) {
    const band = await bandFor(query.lang);
    const threshold = band.refuse;
    // Thresholds and answerability models exist per knowledge-base language: another language is decided on the multilingual cosine.
    const kbLang = kbLanguageFor(query.lang);
    // Every chunk: the eval is a trusted caller (no audiences).
    const run = await pipeline.run(query.text, pipeline.scope(query.text), { customer: query.lang, band });
    const list = (source: string) => run.lists.find((entry: RankedList) => entry.source === source)?.hits ?? [];
    // The vector-only reference: the language's own model, else the primary, else the one searched (multilingual).
    const denseSource = [`dense:vector_${query.lang}`, 'dense:vector'].find((source) => run.lists.some((entry) => entry.source === source)) ?? run.lists.find((entry) => entry.source.startsWith('dense:'))?.source ?? 'dense:vector';
    const decision = run.decision;
    let extractive: string | null | undefined;
    let extractiveDoc: string | null | undefined;
    // Every answerable query is answered extractively: a gold span (passage sets) or a relevant document (FAQ
    // sets, where the whole answer is the unit) says whether the quote is the right one. Unanswerable queries
    // too, so that extractive mode's own refusals (the threshold's, and any quote it gives up on) are measured.
    if (options.extractive && (!query.answerable || query.answers?.length || query.relevant.length)) {
      extractive = extractiveDoc = null;
      // Quoted only when confidently answered: the middle band suggests, it never quotes.
      if (decision.outcome === 'answer' || (options.quoteMiddleBand && decision.outcome === 'uncertain')) {
        const selected = pipeline.select(run.ranked);
        const result = await pipeline.extract(query.text, query.lang, selected);
        extractive = result?.text ?? null;
        extractiveDoc = result ? selected[result.used[0] - 1].docId : null;
      }
    }
    runs.push({
      query,
      kefu: documents(run.ranked),
      otherLanguageDocs: new Set(run.ranked.filter((candidate) => candidate.lang !== query.lang).map((candidate) => candidate.docId)),
      lexical: documents(list('lexical')),
      dense: documents(list(denseSource)),
      evidence: decision.evidence,
      answerability: decision.answerability,
      threshold,
      band,
      outcome: decision.outcome,
      suggested: (await pipeline.suggest(run.ranked, kbLang)).map((suggestion) => suggestion.docId),
      extractive,
      extractiveDoc,
      head: options.dump ? compact(run.ranked) : undefined,
    });
    const removed = new Set([...query.relevant, ...(query.relevant_other_lang ?? [])]);
    if (options.twins && query.answerable && removed.size) {
      // The same question, its answer gone from the knowledge base (as the ECS set removed a third of its answers).
      const twin = withoutDocuments({ lists: run.lists, ranked: run.ranked }, removed);
      const twinDecision = decideStage(query.text, kbLang, twin.lists, twin.ranked, band, model);
      runs.push({
        query: { ...query, id: `${query.id}~twin`, answerable: false, type: 'twin_removed', relevant: [], relevant_other_lang: undefined, answers: undefined },
        twin: true,
        kefu: documents(twin.ranked),
        otherLanguageDocs: new Set(),
        lexical: [],
        dense: [],
        evidence: twinDecision.evidence,
        answerability: twinDecision.answerability,
        threshold,
        band,
        outcome: twinDecision.outcome,
        suggested: (await pipeline.suggest(twin.ranked, kbLang)).map((suggestion) => suggestion.docId),
      });
    }
  }
  return runs;
}

const mean = (values: number[]) => (values.length ? values.reduce((sum, value) => sum + value, 0) / values.length : Number.NaN);

export function rankMetrics(runs: QueryRun[], pick: (run: QueryRun) => string[], relevant: (query: EvalQuery) => string[] = (query) => query.relevant) {
  const answerable = runs.filter((run) => run.query.answerable && relevant(run.query).length);
  const rank = (run: QueryRun) => pick(run).findIndex((doc) => relevant(run.query).includes(doc));
  const hit = (k: number) => mean(answerable.map((run) => (rank(run) >= 0 && rank(run) < k ? 1 : 0)));
  return {
    queries: answerable.length,
    hitAt1: hit(1),
    hitAt5: hit(5),
    hitAt10: hit(10),
    mrrAt10: mean(answerable.map((run) => (rank(run) >= 0 && rank(run) < 10 ? 1 / (rank(run) + 1) : 0))),
  };
}

/** AUROC of a score (answerability by default) between answerable and unanswerable queries. */
export function aurocOf(runs: QueryRun[], score: (run: QueryRun) => number = (run) => run.answerability): number {
  return auroc(runs.filter((run) => run.query.answerable).map(score), runs.filter((run) => !run.query.answerable).map(score));
}

/** Refused by the answerability threshold. */
export const refusedByThreshold = (run: QueryRun) => run.answerability < run.threshold;

/**
 * The three outcomes (answered / suggested / refused) over answerable and unanswerable queries, under a band per
 * run (and, for held-out figures, an answerability recomputed by a model fitted without the run's set). For
 * answerable queries in the middle band: the share whose suggestions include a relevant document.
 */
export function outcomeTable(runs: QueryRun[], outcome: (run: QueryRun) => Outcome = (run) => run.outcome) {
  const share = (subset: QueryRun[], kind: Outcome) => (subset.length ? subset.filter((run) => outcome(run) === kind).length / subset.length : Number.NaN);
  const answerable = runs.filter((run) => run.query.answerable);
  const unanswerable = runs.filter((run) => !run.query.answerable);
  const suggestedAnswerable = answerable.filter((run) => outcome(run) === 'uncertain' && run.query.relevant.length);
  const row = (subset: QueryRun[]) => ({ n: subset.length, answered: share(subset, 'answer'), suggested: share(subset, 'uncertain'), refused: share(subset, 'refuse') });
  const byType: Record<string, ReturnType<typeof row>> = {};
  for (const type of new Set(unanswerable.map((run) => run.query.type ?? 'unanswerable'))) byType[type] = row(unanswerable.filter((run) => (run.query.type ?? 'unanswerable') === type));
  return {
    answerable: row(answerable),
    unanswerable: row(unanswerable),
    byType,
    relevantSuggested: suggestedAnswerable.length ? suggestedAnswerable.filter((run) => run.suggested.some((doc) => run.query.relevant.includes(doc) || run.query.relevant_other_lang?.includes(doc))).length / suggestedAnswerable.length : Number.NaN,
  };
}

export { outcomeOf };

/** Refusals by the threshold; `extractiveMode` also counts answers extractive mode had nothing to quote for (when it ran). */
export function refusalMetrics(runs: QueryRun[], extractiveMode = false) {
  // In extractive mode a confident answer with nothing to quote is refused too (the middle band suggests: not a refusal).
  const refused = (run: QueryRun) => refusedByThreshold(run) || (extractiveMode && run.outcome === 'answer' && run.extractive === null);
  const answerable = runs.filter((run) => run.query.answerable);
  const unanswerable = runs.filter((run) => !run.query.answerable);
  const byType: Record<string, number> = {};
  for (const type of new Set(unanswerable.map((run) => run.query.type ?? 'unanswerable'))) {
    const ofType = unanswerable.filter((run) => (run.query.type ?? 'unanswerable') === type);
    byType[type] = mean(ofType.map((run) => (refused(run) ? 1 : 0)));
  }
  return {
    falseRefusals: mean(answerable.map((run) => (refused(run) ? 1 : 0))),
    refusalRecall: mean(unanswerable.map((run) => (refused(run) ? 1 : 0))),
    byType,
    auroc: aurocOf(runs),
  };
}

/**
 * Share of answerable queries with gold answers whose extractive answer contains one: over all of them
 * (a refusal or a declined quote counts as a miss) and over those that got a quote.
 */
export function extractiveAccuracy(runs: QueryRun[]) {
  const scored = runs.filter((run) => run.query.answerable && run.query.answers?.length && run.extractive !== undefined);
  const contains = (run: QueryRun) => Boolean(run.extractive && run.query.answers!.some((answer) => normalizeForMatch(run.extractive!).includes(normalizeForMatch(answer))));
  const answered = scored.filter((run) => run.extractive);
  // The quoted document among the relevant ones: the measure for FAQ sets, whose queries carry no answer span.
  const quoted = runs.filter((run) => run.query.answerable && run.query.relevant.length && run.extractiveDoc !== undefined);
  return {
    queries: scored.length,
    containsGold: scored.length ? mean(scored.map((run) => (contains(run) ? 1 : 0))) : Number.NaN,
    ofAnswered: answered.length ? mean(answered.map((run) => (contains(run) ? 1 : 0))) : Number.NaN,
    quotesRelevant: quoted.length ? mean(quoted.map((run) => (run.extractiveDoc && run.query.relevant.includes(run.extractiveDoc) ? 1 : 0))) : Number.NaN,
  };
}

export function summarize(allRuns: QueryRun[]) {
  // The columns measured before twins existed stay comparable: twins are reported in the outcome table only.
  const runs = allRuns.filter((run) => !run.twin);
  // Cross-lingual: the other-language answer among the other-language documents of Kefu's ranking, as if
  // the knowledge base held only the other language.
  const crossLingual = runs
    .filter((run) => run.query.relevant_other_lang?.length)
    .map((run) => ({ ...run, kefu: run.kefu.filter((doc) => !run.query.relevant.includes(doc) && run.otherLanguageDocs.has(doc)) }));
  return {
    queries: runs.length,
    kefu: rankMetrics(runs, (run) => run.kefu),
    lexical: rankMetrics(runs, (run) => run.lexical),
    dense: rankMetrics(runs, (run) => run.dense),
    crossLingualHitAt10: crossLingual.length ? rankMetrics(crossLingual, (run) => run.kefu, (query) => query.relevant_other_lang ?? []).hitAt10 : Number.NaN,
    refusal: refusalMetrics(runs),
    extractiveModeRefusal: runs.some((run) => run.extractive !== undefined) ? refusalMetrics(runs, true) : undefined,
    thresholds: [...new Set(runs.map((run) => run.threshold))],
    extractive: extractiveAccuracy(runs),
    outcomes: outcomeTable(allRuns),
  };
}
