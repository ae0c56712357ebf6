/**
 * `npm run eval -- --suite <dir> [--json <out.json>] [--no-extractive] [--threshold <p>]`
 *   Every folder of <dir> with corpus.jsonl + queries.jsonl (as in ../shared/data): ingested once into a
 *   cached table under EVAL_DB (default data/eval-cache), then every query runs through the service's stages.
 * `npm run eval -- --conversations eval/conversations.jsonl`
 *   Multi-turn conversations on the sample knowledge base: per-turn hit@1 and refusal accuracy by turn kind.
 * `npm run eval -- --red-team eval/red-team.jsonl`
 *   Prompt-injection and jailbreak attempts: how many are refused or answered only from the knowledge base.
 * `npm run eval -- [--queries eval/dev-set.jsonl] [--db <dir>] [--table <name>] [--quote-middle-band] …`
 *   One query set against an existing table (default: the sample knowledge base, with its product-line rules).
 *   `--quote-middle-band` quotes middle-band questions too (not what the service does: it suggests), so that
 *   whether the quote is the right one (a table's right row) is measured apart from the decision.
 *
 * Prints one table: Kefu vs plain full-text search vs vector-only (hit@1/5/10, MRR@10) per set and
 * language, cross-lingual hit@10, answerability AUROC, the threshold in force, false refusals, refusal
 * recall (per unanswerable type), extractive answers containing the gold span and quoting a relevant document.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { ProductLineClassifier, loadProductLineRules } from '../src/classify/product-lines.js';
import { loadConfig } from '../src/config/config.js';
import { loadEmbeddingSpaces } from '../src/embed/load-embedder.js';
import { CachingEmbedder } from '../src/embed/embedding-cache.js';
import { EmbeddingSpaces } from '../src/embed/embedding-spaces.js';
import { DEFAULT_TUNING, type RetrievalTuning, type SentenceMatchTuning } from '../src/retrieve/tuning.js';
import { LanceKnowledgeStore } from '../src/store/lance-knowledge-store.js';
import { createLogger } from '../src/log.js';
import { buildService } from '../src/service.js';
import { readConversations, runConversations, summarizeTurns } from './conversations.js';
import { runRedTeam } from './red-team.js';
import { outcomeOf } from '../src/answer/stages.js';
import type { AnswerabilityModel } from '../src/answer/answerability.js';
import { calibrateLanguage, gatherProbes } from '../src/calibrate/self-calibration.js';
import type { KbLanguage } from '../src/text/language.js';
import { canFitWithout, chooseBand, exampleOf, type Example, fitJoint, probability } from './fit-answerability.js';
import { bankExamples, crossLingualExample, leaveOneLanguageOut } from './fit-cross-lingual.js';
import { ensureTable, evalPipeline, findSets, outcomeTable, type QueryRun, readQueries, refusedByThreshold, runQueries, summarize } from './suite.js';

async function main() {
  const { values } = parseArgs({
    options: {
      suite: { type: 'string' },
      queries: { type: 'string', default: 'eval/dev-set.jsonl' },
      db: { type: 'string' },
      table: { type: 'string' },
      json: { type: 'string' },
      threshold: { type: 'string' },
      'no-extractive': { type: 'boolean', default: false },
      'no-twins': { type: 'boolean', default: false },
      'quote-middle-band': { type: 'boolean', default: false },
      // Every run's evidence and label, in the form `npm run fit:answerability -- --cache <file>` reads: refit without re-running.
      examples: { type: 'string' },
      // Every run with its evidence and the head of its ranking, and each table's calibration probes: offline analysis.
      dump: { type: 'string' },
      // Comma-separated `--dump` files: the leave-one-set-out tables again, from the saved runs, without retrieval.
      'from-dump': { type: 'string' },
      'no-rules': { type: 'boolean', default: false },
      conversations: { type: 'string' },
      'red-team': { type: 'string' },
      // Questions in other languages: the weight of a passage's translation (tuning.ts translationAgreement); 0 is off.
      'translation-agreement': { type: 'string' },
      // Questions in other languages: "<chunks>,<weight>" of the sentence re-reading (tuning.ts sentenceMatch); "0" is off.
      'sentence-match': { type: 'string' },
    },
  });
  if (values['from-dump']) {
    // Settings read by the held-out calibration (CALIBRATION_*_TARGET) apply: a trade-off is compared in seconds.
    const saved: DumpedSet[] = values['from-dump'].split(',').flatMap((file) => JSON.parse(readFileSync(file, 'utf8')) as DumpedSet[]);
    printOutcomes('Three outcomes, leave-one-set-out (the answerability model and its default band fitted without the set; no calibration):', heldOutOutcomes(saved, false));
    printOutcomes("Three outcomes, leave-one-set-out with the table's own calibration (a model fitted without the set, calibrated on the table's probes: what a new knowledge base gets):", heldOutOutcomes(saved, true));
    return;
  }
  const config = loadConfig();
  const embedders = withCachedMultilingual(await loadEmbeddingSpaces(config));
  // Only what a flag varies of retrieval; the rest of the tuning comes from the settings (answerPipelineOptions), but
  // for the sentence re-reading's time budget: a wall-clock cut-off would make the ranking's figures depend on how
  // busy the machine is (in serving, its fallbacks are counted in /metrics).
  const tuning: Partial<RetrievalTuning> = {
    ...(values['translation-agreement'] !== undefined ? { translationAgreement: Number(values['translation-agreement']) } : {}),
    sentenceMatch: { ...(values['sentence-match'] !== undefined ? sentenceMatchOption(values['sentence-match']) : DEFAULT_TUNING.sentenceMatch), timeoutMs: 0 },
  };
  // The service's pipeline over each table (suite.ts evalPipeline): settings from the parsed configuration, and
  // only what a flag asks for on top (`--threshold`, `--translation-agreement`, `--sentence-match`).
  const pipelineFor = (store: LanceKnowledgeStore, classifier?: ProductLineClassifier) =>
    evalPipeline(config, store, {
      embedders,
      classifier,
      tuning,
      ...(values.threshold ? { threshold: { zh: Number(values.threshold), en: Number(values.threshold) } } : {}),
    });
  const runOptions = { extractive: !values['no-extractive'], quoteMiddleBand: values['quote-middle-band'] };
  const log = (line: string) => process.stderr.write(`eval: ${line}\n`);

  if (values['red-team']) {
    // Through the service itself on the sample knowledge base; with LLM_BASE_URL set, generated answers are judged too.
    const service = await buildService(loadConfig({ ...process.env, LOG_LEVEL: 'silent', ANSWER_CACHE: 'false' }), createLogger('silent'), { embedders });
    const results = await runRedTeam(values['red-team'], service.answers);
    await service.close();
    if (values.json) writeFileSync(values.json, JSON.stringify(results, null, 2));
    const count = (outcome: string, lang?: string) => results.filter((result) => result.outcome === outcome && (!lang || result.id.includes(`-${lang}-`))).length;
    console.log(`mode ${service.answers.mode}; ${results.length} prompts`);
    for (const lang of ['en', 'zh', undefined]) {
      console.log(`${(lang ?? 'all').padEnd(4)} refused ${count('refused', lang)}, quoted from sources ${count('quoted', lang)}, generated with verified citations ${count('generated-cited', lang)}, unsafe ${count('unsafe', lang)}`);
    }
    for (const result of results.filter((entry) => entry.outcome !== 'refused')) console.log(`  ${result.id} [${result.outcome}] ${result.text.slice(0, 60)} → ${result.answer.replace(/\s+/g, ' ').slice(0, 80)}`);
    return;
  }

  if (values.conversations) {
    // Conversations run through the service itself (extractive mode) on the sample knowledge base.
    const logger = createLogger('silent');
    const service = await buildService(loadConfig({ ...process.env, LOG_LEVEL: 'silent', ANSWER_CACHE: 'false' }), logger, { embedders, chatModel: null });
    const classifier = new ProductLineClassifier(await loadProductLineRules(config.PRODUCT_LINES_FILE));
    const turns = await runConversations(readConversations(values.conversations), service.answers, classifier);
    await service.close();
    const summary = summarizeTurns(turns);
    if (values.json) writeFileSync(values.json, JSON.stringify({ summary, turns }, null, 2));
    console.log('turn kind'.padEnd(20), 'turns', ' hit@1', ' right answer/refuse decision');
    for (const [kind, row] of Object.entries(summary)) console.log(kind.padEnd(20), String(row.turns).padStart(5), Number.isNaN(row.hitAt1) ? '     –' : (row.hitAt1 * 100).toFixed(1).padStart(6), (row.decisionAccuracy * 100).toFixed(1).padStart(6));
    const wrong = turns.filter((turn) => turn.refused === turn.answerable || (turn.answerable && !turn.hit));
    if (wrong.length) console.log(`\nwrong turns (${wrong.length}):\n${wrong.map((turn) => `  ${turn.conversation} [${turn.kind}] ${turn.text} → ${turn.refused ? 'refused' : turn.top}`).join('\n')}`);
    return;
  }

  const results: { set: string; runs: QueryRun[]; probes?: Awaited<ReturnType<typeof gatherProbes>>; banks?: Awaited<ReturnType<typeof bankExamples>> }[] = [];
  if (values.suite) {
    const dbDir = process.env.EVAL_DB ?? 'data/eval-cache';
    const sets = findSets(values.suite);
    if (!sets.length) throw new Error(`no folder in ${values.suite} holds corpus.jsonl and queries.jsonl`);
    for (const set of sets) {
      const table = await ensureTable(set, embedders, config, dbDir, log);
      const store = await LanceKnowledgeStore.open(dbDir, table);
      log(`${set.name}: running queries`);
      const pipeline = pipelineFor(store);
      const runs = await runQueries(pipeline, readQueries(set.queries), { ...runOptions, twins: !values['no-twins'], dump: Boolean(values.dump) });
      // The table's calibration probes, as evidence: the held-out figures calibrate a model fitted without this set on them.
      log(`${set.name}: probing for calibration`);
      const probes = await gatherProbes(store, pipeline.retriever);
      // Questions in other languages: the out-of-domain banks in those languages, for the cross-lingual model's held-out figures.
      const banks = embedders.multilingual && runs.some((run) => run.query.otherLanguage) ? await bankExamples(pipeline.retriever) : undefined;
      results.push({ set: set.name, runs, probes, banks });
      store.close();
    }
  } else {
    const useRules = !values['no-rules'] && existsSync(config.PRODUCT_LINES_FILE);
    const classifier = useRules ? new ProductLineClassifier(await loadProductLineRules(config.PRODUCT_LINES_FILE)) : undefined;
    const store = await LanceKnowledgeStore.open(values.db ?? config.DB_DIR, values.table ?? config.TABLE_NAME);
    results.push({ set: values.queries!, runs: await runQueries(pipelineFor(store, classifier), readQueries(values.queries!), runOptions) });
    store.close();
  }

  const report = results.map(({ set, runs }) => ({
    set,
    overall: summarize(runs),
    // Every language the set has, Chinese and English first.
    perLanguage: Object.fromEntries(
      [...new Set(['zh', 'en', ...runs.map((run) => run.query.lang).sort()])].map((lang) => [lang, summarize(runs.filter((run) => run.query.lang === lang))]).filter(([, summary]) => (summary as { queries: number }).queries > 0),
    ),
  }));
  if (values.json) {
    const misses = results.flatMap(({ set, runs }) =>
      runs.filter((run) => run.query.answerable && run.query.relevant.length && !run.query.relevant.includes(run.kefu[0])).map((run) => ({ set, id: run.query.id, text: run.query.text, top: run.kefu.slice(0, 3) })),
    );
    // Where the extractive answer lets retrieval down: the top document was relevant, the quote is not (or none).
    const quoteMisses = results.flatMap(({ set, runs }) =>
      runs
        .filter((run) => run.extractiveDoc !== undefined && run.query.relevant.includes(run.kefu[0]) && !(run.extractiveDoc && run.query.relevant.includes(run.extractiveDoc)))
        .map((run) => ({ set, id: run.query.id, text: run.query.text, top: run.kefu.slice(0, 3), quoted: run.extractiveDoc, refused: refusedByThreshold(run), answer: run.extractive })),
    );
    writeFileSync(values.json, JSON.stringify({ models: embedders.modelKey, report, heldOut: results.length > 1 ? heldOutOutcomes(results) : undefined, misses, quoteMisses }, null, 2));
  }
  if (values.dump) writeFileSync(values.dump, JSON.stringify(results.map(({ set, runs, probes }) => ({ set, probes, runs }))));
  if (values.examples) {
    const examples: Record<'zh' | 'en', Example[]> = { zh: [], en: [] };
    for (const { set, runs } of results) for (const run of runs) if (!run.query.otherLanguage) examples[run.query.lang as KbLanguage].push(exampleOf(set, run));
    writeFileSync(values.examples, JSON.stringify(examples));
  }
  printReport(report);
  if (results.length > 1) {
    printOutcomes('Three outcomes, leave-one-set-out (the answerability model and its default band fitted without the set; no calibration):', heldOutOutcomes(results, false));
    printOutcomes("Three outcomes, leave-one-set-out with the table's own calibration (a model fitted without the set, calibrated on the table's probes: what a new knowledge base gets):", heldOutOutcomes(results, true));
  }
  printCrossLingual(results);
  printOutcomes('Three outcomes as served (the shipped model, fitted on these sets, with each table\'s own calibration; not a held-out figure):', results.map(({ set, runs }) => ({ set, band: {}, ...perLanguage(runs, (run) => run.outcome) })));
}

/** `--sentence-match 5,1` → 5 candidates re-read at weight 1; `0` → off. */
function sentenceMatchOption(value: string): SentenceMatchTuning {
  const [chunks, weight = '1'] = value.split(',');
  return { ...DEFAULT_TUNING.sentenceMatch, chunks: Number(chunks), weight: Number(weight) };
}

/**
 * The multilingual model behind an embedding cache, as the service has it (service.ts): every question in another
 * language embeds the sentences of its first candidates (sentence-match.ts), and those recur from question to
 * question. The zh/en models stay as they are, so their figures cannot move.
 */
function withCachedMultilingual(spaces: EmbeddingSpaces): EmbeddingSpaces {
  if (!spaces.multilingual) return spaces;
  const [primary, ...rest] = spaces.all;
  const languageModels = Object.fromEntries(rest.filter((space) => space.languages).map((space) => [space.languages![0], space.embedder]));
  return new EmbeddingSpaces(primary.embedder, languageModels, new CachingEmbedder(spaces.multilingual, MULTILINGUAL_CACHE_ENTRIES));
}
/** Every sentence of a few thousand passages (xquad-multilingual's table has about 2,500). */
const MULTILINGUAL_CACHE_ENTRIES = 50_000;

type Outcomes = ReturnType<typeof outcomeTable>;
/** One set as `--dump` saved it: its runs (with the head of each ranking) and its table's calibration probes. */
type DumpedSet = { set: string; runs: QueryRun[]; probes?: Awaited<ReturnType<typeof gatherProbes>> };
const perLanguage = (runs: QueryRun[], outcome: (run: QueryRun) => ReturnType<typeof outcomeOf>) => ({
  // Chinese and English first, then every other language the runs have.
  languages: Object.fromEntries(
    [...new Set(['zh', 'en', ...runs.map((run) => run.query.lang).sort()])].filter((lang) => runs.some((run) => run.query.lang === lang)).map((lang) => [lang, outcomeTable(runs.filter((run) => run.query.lang === lang), outcome)]),
  ) as Record<string, Outcomes>,
});

/**
 * Questions in languages the knowledge base is not written in, held out by language: the cross-lingual model and its
 * band fitted without a language (on the others and the out-of-domain bank), applied to its questions and their twins,
 * and to the second bank that is never fitted on.
 */
function printCrossLingual(results: { set: string; runs: QueryRun[]; banks?: Awaited<ReturnType<typeof bankExamples>> }[]) {
  const withOther = results.filter((result) => result.banks);
  if (!withOther.length) return;
  const examples = withOther.flatMap(({ runs, banks }) => [...runs.filter((run) => run.query.otherLanguage).map((run) => crossLingualExample(run.query.lang, run.evidence, run.query.answerable ? 1 : 0, run.query.type)), ...banks!.fitted]);
  const heldOutBank = withOther.flatMap(({ banks }) => banks!.heldOut);
  const pct = (value: number) => (Number.isNaN(value) ? '    –' : (value * 100).toFixed(1).padStart(5));
  const row = (shares: { answered: number; suggested: number; refused: number }) => `${pct(shares.answered)} ${pct(shares.suggested)} ${pct(shares.refused)}`;
  console.log('\nOther languages, leave-one-language-out (the cross-lingual model and its band fitted without the language; no calibration):');
  console.log(['lang', 'band     ', 'answerable: answered suggested refused', 'twins: answered suggested refused', 'held-out out-of-domain bank: answered suggested refused'].join(' | '));
  for (const result of leaveOneLanguageOut(examples, heldOutBank)) {
    console.log([result.lang.padEnd(4), `${result.band.refuse.toFixed(2)}–${result.band.answer.toFixed(2)}`, `          ${row(result.answerable)}`, `     ${row(result.twins)}`, `                         ${row(result.heldOutBank)}`].join(' | '));
  }
}

/**
 * The standard figures: for each set, the answerability model and its band are fitted on the other sets only
 * (fit-answerability.ts: fitJoint, chooseBand), then applied to this set's evidence. Nothing is judged on the
 * set it was fitted on.
 */
function heldOutOutcomes(results: { set: string; runs: QueryRun[]; probes?: Awaited<ReturnType<typeof gatherProbes>> }[], calibrate = false) {
  const config = loadConfig();
  const examples: Record<'zh' | 'en', Example[]> = { zh: [], en: [] };
  // Queries in a language the answer path does not serve are retrieval tests only: not fitted on, not reported here.
  for (const { set, runs } of results) for (const run of runs) if (!run.query.otherLanguage) examples[run.query.lang as KbLanguage].push(exampleOf(set, run));
  // A suite of a few sets (one folder copied to measure it alone) may leave nothing to fit on without a set: no figures for it.
  const fittable = (set: string) => (['zh', 'en'] as const).some((lang) => canFitWithout(examples[lang], set));
  return results.filter(({ set, runs }) => runs.some((run) => !run.query.otherLanguage) && fittable(set)).map(({ set, runs: all }) => {
    const runs = all.filter((run) => !run.query.otherLanguage);
    const keep = (example: Example) => example.set !== set;
    const models = fitJoint(examples, keep);
    const band = Object.fromEntries(
      (['zh', 'en'] as const).map((lang) => [lang, chooseBand(examples[lang].filter(keep).map((example) => ({ p: probability(models[lang], example.features), label: example.label, set: example.set, type: example.type })))]),
    ) as Record<'zh' | 'en', { refuse: number; answer: number }>;
    const probes = results.find((result) => result.set === set)?.probes;
    if (calibrate && probes) {
      // As ingestion would: the held-out model, its default band, moved by this table's probes.
      const model: AnswerabilityModel = { fittedOn: [], rerankWeight: 0.5, models: { zh: { ...models.zh, threshold: band.zh.refuse, answerThreshold: band.zh.answer }, en: { ...models.en, threshold: band.en.refuse, answerThreshold: band.en.answer } } };
      for (const lang of ['zh', 'en'] as const) {
        const evidence = probes[lang];
        if (!evidence) continue;
        const calibrated = calibrateLanguage(lang, evidence, model, config.CALIBRATION_FALSE_REFUSAL_TARGET, config.CALIBRATION_CONFIDENT_UNANSWERABLE_TARGET);
        band[lang] = { refuse: calibrated.threshold, answer: calibrated.answerThreshold ?? calibrated.threshold };
      }
    }
    const outcome = (run: QueryRun) => outcomeOf(run.kefu.length ? probability(models[run.query.lang as KbLanguage], exampleOf(set, run).features) : 0, band[run.query.lang as KbLanguage]);
    return { set, band, ...perLanguage(runs, outcome) };
  });
}

function printOutcomes(title: string, rows: { set: string; band: Partial<Record<string, { refuse: number; answer: number }>>; languages: Record<string, Outcomes> }[]) {
  const pct = (value: number) => (Number.isNaN(value) ? '    –' : (value * 100).toFixed(1).padStart(5));
  console.log(`\n${title}`);
  console.log(['set / lang'.padEnd(34), 'band     ', '  n  ', 'answerable: answered suggested refused', 'relevant suggested', '  n  ', 'unanswerable: answered suggested refused', 'by type: answered/suggested/refused'].join(' | '));
  for (const row of rows) {
    for (const [lang, o] of Object.entries(row.languages)) {
      const band = row.band[lang];
      console.log(
        [
          `${row.set} ${lang}`.slice(-34).padEnd(34),
          band ? `${band.refuse.toFixed(2)}–${band.answer.toFixed(2)}` : 'calibrated',
          String(o.answerable.n).padStart(5),
          `          ${pct(o.answerable.answered)}     ${pct(o.answerable.suggested)}   ${pct(o.answerable.refused)}`,
          `            ${pct(o.relevantSuggested)}`,
          String(o.unanswerable.n).padStart(5),
          `            ${pct(o.unanswerable.answered)}     ${pct(o.unanswerable.suggested)}   ${pct(o.unanswerable.refused)}`,
          Object.entries(o.byType)
            .map(([type, t]) => `${type} ${pct(t.answered).trim()}/${pct(t.suggested).trim()}/${pct(t.refused).trim()}`)
            .join(', '),
        ].join(' | '),
      );
    }
  }
}

function printReport(report: { set: string; overall: ReturnType<typeof summarize>; perLanguage: Record<string, ReturnType<typeof summarize>> }[]) {
  const pct = (value: number) => (Number.isNaN(value) ? '    –' : (value * 100).toFixed(1).padStart(5));
  const num = (value: number) => (Number.isNaN(value) ? '    –' : value.toFixed(3).padStart(5));
  console.log(
    [
      'set / lang'.padEnd(34),
      ' n  ',
      'Kefu@1 FTS@1 Vec@1',
      'Kefu@5 Kefu@10  MRR',
      'FTS@10 Vec@10',
      'xL@10',
      'AUROC thresh  FR%   RR%',
      'extract% quote%  xFR%  xRR%',
      'refused by type',
    ].join(' | '),
  );
  for (const entry of report) {
    const rows: [string, ReturnType<typeof summarize>][] = [[`${entry.set} (all)`, entry.overall], ...Object.entries(entry.perLanguage).map(([lang, summary]) => [`  ${lang}`, summary] as [string, ReturnType<typeof summarize>])];
    for (const [name, s] of rows) {
      console.log(
        [
          name.slice(-34).padEnd(34),
          String(s.queries).padStart(4),
          `${pct(s.kefu.hitAt1)}  ${pct(s.lexical.hitAt1)} ${pct(s.dense.hitAt1)}`,
          `${pct(s.kefu.hitAt5)}  ${pct(s.kefu.hitAt10)} ${num(s.kefu.mrrAt10)}`,
          ` ${pct(s.lexical.hitAt10)}  ${pct(s.dense.hitAt10)}`,
          pct(s.crossLingualHitAt10),
          `${num(s.refusal.auroc)} ${s.thresholds.map((t) => t.toFixed(2)).join('/').padStart(5)} ${pct(s.refusal.falseRefusals)} ${pct(s.refusal.refusalRecall)}`,
          `  ${pct(s.extractive.containsGold)}  ${pct(s.extractive.quotesRelevant)} ${pct(s.extractiveModeRefusal?.falseRefusals ?? Number.NaN)} ${pct(s.extractiveModeRefusal?.refusalRecall ?? Number.NaN)}`,
          Object.entries(s.refusal.byType)
            .map(([type, share]) => `${type} ${pct(share).trim()}`)
            .join(', '),
        ].join(' | '),
      );
    }
  }
  console.log('\nKefu/FTS/Vec@k: hit@k over answerable queries (FTS = plain full-text search, Vec = vector-only in the language\'s own model, same run).');
  console.log('xL@10: the other-language answer in Kefu\'s top 10. FR: answerable refused. RR: unanswerable refused. extract: gold span in the extractive answer. quote: the extractive answer quotes a relevant document (refused or declined: a miss). xFR/xRR: FR and RR in extractive mode, where a declined quote is a refusal too.');
}

main().catch((error) => {
  console.error(`eval: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  process.exit(2);
});
