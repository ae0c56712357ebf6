/**
 * `npm run fit:answerability -- [--suite ../shared/data] [--out src/answer/answerability-model.json]`
 *
 * Fits the answerability model (one logistic regression per language over the retrieval evidence,
 * src/retrieve/evidence.ts) on labelled sets: every query is run through the service's own stages and
 * labelled answerable or not. Classes are weighted to balance, and every set weighs the same within a
 * language, so the largest set does not decide alone. It prints leave-one-set-out AUROC — the number that
 * says whether the model transfers to a knowledge base it was not fitted on — and writes the model with a
 * default threshold: the highest whose false refusals stay within `--budget` (5 %) on every set.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { AnswerabilityModel } from '../src/answer/answerability.js';
import { auroc } from '../src/calibrate/self-calibration.js';
import { loadConfig } from '../src/config/config.js';
import { loadEmbeddingSpaces } from '../src/embed/load-embedder.js';
import { EVIDENCE_FEATURES, type Evidence } from '../src/retrieve/evidence.js';
import { LanceKnowledgeStore } from '../src/store/lance-knowledge-store.js';
import type { Language } from '../src/text/language.js';
import { ensureTable, evalPipeline, findSets, type QueryRun, readQueries, runQueries } from './suite.js';

export interface Example {
  set: string;
  features: number[];
  label: 0 | 1;
  /** The query's type (unanswerable ones: out_of_scope_clinc150, unanswerable_removed, twin_removed…). */
  type?: string;
}

export interface LogisticFit {
  mean: number[];
  scale: number[];
  weights: number[];
  bias: number;
}

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

/** L2-regularised logistic regression by Newton's method on standardised features, with example weights. */
export function fitLogistic(examples: Example[], sampleWeights: number[], l2 = 1): LogisticFit {
  const dimension = examples[0].features.length;
  const mean = Array.from({ length: dimension }, (_, j) => examples.reduce((sum, example) => sum + example.features[j], 0) / examples.length);
  const scale = Array.from({ length: dimension }, (_, j) => Math.sqrt(examples.reduce((sum, example) => sum + (example.features[j] - mean[j]) ** 2, 0) / examples.length) || 1);
  const rows = examples.map((example) => [1, ...example.features.map((value, j) => (value - mean[j]) / scale[j])]);
  const theta = new Array(dimension + 1).fill(0);
  for (let iteration = 0; iteration < 50; iteration++) {
    const gradient = new Array(dimension + 1).fill(0);
    const hessian = Array.from({ length: dimension + 1 }, () => new Array(dimension + 1).fill(0));
    rows.forEach((row, i) => {
      const p = sigmoid(row.reduce((sum, value, j) => sum + value * theta[j], 0));
      const w = sampleWeights[i];
      for (let j = 0; j <= dimension; j++) {
        gradient[j] += w * (p - examples[i].label) * row[j];
        for (let k = 0; k <= dimension; k++) hessian[j][k] += w * p * (1 - p) * row[j] * row[k];
      }
    });
    for (let j = 1; j <= dimension; j++) {
      gradient[j] += l2 * theta[j];
      hessian[j][j] += l2;
    }
    const step = solve(hessian, gradient);
    let change = 0;
    for (let j = 0; j <= dimension; j++) {
      theta[j] -= step[j];
      change = Math.max(change, Math.abs(step[j]));
    }
    if (change < 1e-8) break;
  }
  return { mean, scale, weights: theta.slice(1), bias: theta[0] };
}

export const predict = (fit: LogisticFit, features: number[]) => sigmoid(fit.bias + features.reduce((sum, value, j) => sum + fit.weights[j] * ((value - fit.mean[j]) / fit.scale[j]), 0));

/** Gaussian elimination with partial pivoting; the systems here are 11 × 11. */
function solve(matrix: number[][], vector: number[]): number[] {
  const n = vector.length;
  const a = matrix.map((row, i) => [...row, vector[i]]);
  for (let col = 0; col < n; col++) {
    let pivot = col;
    for (let row = col + 1; row < n; row++) if (Math.abs(a[row][col]) > Math.abs(a[pivot][col])) pivot = row;
    [a[col], a[pivot]] = [a[pivot], a[col]];
    for (let row = 0; row < n; row++) {
      if (row === col || Math.abs(a[col][col]) < 1e-12) continue;
      const factor = a[row][col] / a[col][col];
      for (let k = col; k <= n; k++) a[row][k] -= factor * a[col][k];
    }
  }
  return a.map((row, i) => (Math.abs(row[i]) < 1e-12 ? 0 : row[n] / row[i]));
}

/** Every set weighs the same, and within a set both classes weigh the same. */
export function balancedWeights(examples: Example[]): number[] {
  const groups = new Map<string, number>();
  for (const example of examples) groups.set(`${example.set}|${example.label}`, (groups.get(`${example.set}|${example.label}`) ?? 0) + 1);
  const sets = new Set(examples.map((example) => example.set));
  return examples.map((example) => {
    const classesInSet = [0, 1].filter((label) => groups.has(`${example.set}|${label}`)).length;
    return examples.length / (sets.size * classesInSet * groups.get(`${example.set}|${example.label}`)!);
  });
}


/**
 * The highest threshold whose false-refusal rate stays within `budget` on every set: a threshold that
 * holds on each data set is more likely to hold on the next one than one tuned on their pool.
 */
export function chooseThreshold(scored: { p: number; label: 0 | 1; set: string }[], budget = 0.1): number {
  const sets = [...new Set(scored.map((entry) => entry.set))];
  let chosen = 0.05;
  for (let t = 0.05; t < 0.95; t += 0.01) {
    const worst = Math.max(
      ...sets.map((set) => {
        const positives = scored.filter((entry) => entry.set === set && entry.label === 1);
        return positives.length ? positives.filter((entry) => entry.p < t).length / positives.length : 0;
      }),
    );
    if (worst <= budget) chosen = Math.round(t * 100) / 100;
  }
  return chosen;
}

/** Unanswerable questions about the knowledge base's own domain: what the confident cut is chosen on. */
export const inDomainUnanswerable = (type: string | undefined) => !/out_of_scope|clinc/i.test(type ?? '');

/**
 * The band chosen on labelled groups (set × language), each of which must hold the targets, so that it is more
 * likely to hold on the next knowledge base than a band tuned on their pool:
 * - the refusal cut: the highest whose answerable questions refused stay within `refuseBudget` on every group;
 * - the confident cut: the lowest where in-domain unanswerable questions answered confidently stay within
 *   `confidentBudget` on every group that has them (never below the refusal cut).
 */
export function chooseBand(scored: { p: number; label: 0 | 1; set: string; type?: string }[], refuseBudget = 0.03, confidentBudget = 0.25): { refuse: number; answer: number } {
  const refuse = chooseThreshold(scored, refuseBudget);
  const groups = [...new Set(scored.map((entry) => entry.set))];
  let answer = 0.95;
  for (let t = 0.95; t >= refuse - 1e-9; t -= 0.01) {
    const worst = Math.max(
      0,
      ...groups.map((set) => {
        const negatives = scored.filter((entry) => entry.set === set && entry.label === 0 && inDomainUnanswerable(entry.type));
        return negatives.length ? negatives.filter((entry) => entry.p >= t).length / negatives.length : 0;
      }),
    );
    if (worst <= confidentBudget) answer = Math.round(t * 100) / 100;
    else break;
  }
  return { refuse, answer: Math.max(refuse, answer) };
}

async function collect(suite: string): Promise<Record<Language, Example[]>> {
  const config = loadConfig();
  const embedders = await loadEmbeddingSpaces(config);
  const dbDir = process.env.EVAL_DB ?? 'data/eval-cache';
  const examples: Record<Language, Example[]> = { zh: [], en: [] };
  for (const set of findSets(suite)) {
    const table = await ensureTable(set, embedders, config, dbDir, (line) => process.stderr.write(`fit: ${line}\n`));
    const store = await LanceKnowledgeStore.open(dbDir, table);
    const runs = await runQueries(evalPipeline(config, store, { embedders, threshold: { zh: 0, en: 0 } }), readQueries(set.queries), { twins: true });
    store.close();
    // The models are per knowledge-base language; questions in other languages are measured by the eval, not fitted on.
    for (const run of runs) if (!run.query.otherLanguage) examples[run.query.lang as Language].push(exampleOf(set.name, run));
  }
  return examples;
}

/**
 * One model for both languages, standardised per language: each language's features are z-scored with
 * its own statistics (the two embedding models' cosines live on different scales), then one set of weights
 * is fitted on every (set, language) group that holds both answerable and unanswerable questions, plus a
 * bias per language. Groups with one class only are left out of the weights: they would teach the model
 * which data set a question comes from, not whether it is answered. Chinese has unanswerable questions in
 * one set only; sharing weights lets it learn from the English out-of-scope and adversarial ones too.
 */
export function fitJoint(examples: Record<Language, Example[]>, keep: (example: Example, lang: Language) => boolean = () => true) {
  const stats = {} as Record<Language, { mean: number[]; scale: number[] }>;
  for (const lang of ['zh', 'en'] as const) {
    const data = examples[lang];
    const dimension = data[0].features.length;
    const mean = Array.from({ length: dimension }, (_, j) => data.reduce((sum, example) => sum + example.features[j], 0) / data.length);
    const scale = Array.from({ length: dimension }, (_, j) => Math.sqrt(data.reduce((sum, example) => sum + (example.features[j] - mean[j]) ** 2, 0) / data.length) || 1);
    stats[lang] = { mean, scale };
  }
  const pooled: Example[] = [];
  for (const lang of ['zh', 'en'] as const) {
    const groups = new Map<string, Set<number>>();
    for (const example of examples[lang]) if (example.type !== 'twin_removed') groups.set(example.set, (groups.get(example.set) ?? new Set()).add(example.label));
    for (const example of examples[lang]) {
      // Twins measure, they do not teach: fitted on them, the weights leaned on the retrievers' agreement, which a
      // twin loses with its answer but an off-topic customer question keeps ("你们的手环可以用来炒股吗？" 0.25 → 0.76,
      // "Can I pay with PayPal?" 0.38 → 0.72 on the sample knowledge base). They choose the confident cut (chooseBand).
      if (example.type === 'twin_removed' || groups.get(example.set)!.size < 2 || !keep(example, lang)) continue;
      const standardized = example.features.map((value, j) => (value - stats[lang].mean[j]) / stats[lang].scale[j]);
      pooled.push({ set: `${example.set}|${lang}`, label: example.label, features: [...standardized, lang === 'zh' ? 1 : 0] });
    }
  }
  const fit = fitLogistic(pooled, balancedWeights(pooled));
  // Fold the inner standardisation and the language indicator back into one model per language.
  const models = {} as AnswerabilityModel['models'];
  for (const lang of ['zh', 'en'] as const) {
    const dimension = stats[lang].mean.length;
    const weights = Array.from({ length: dimension }, (_, j) => fit.weights[j] / fit.scale[j]);
    let bias = fit.bias + (lang === 'zh' ? fit.weights[dimension] * ((1 - fit.mean[dimension]) / fit.scale[dimension]) : fit.weights[dimension] * ((0 - fit.mean[dimension]) / fit.scale[dimension]));
    for (let j = 0; j < dimension; j++) bias -= (fit.weights[j] * fit.mean[j]) / fit.scale[j];
    models[lang] = { features: [...EVIDENCE_FEATURES], mean: stats[lang].mean.map(round), scale: stats[lang].scale.map(round), weights: weights.map(round), bias: round(bias), threshold: 0.5 };
  }
  return models;
}

/** Whether another set than `set` has both answerable and unanswerable questions (twins aside): what fitJoint fits on. */
export function canFitWithout(examples: Example[], set: string): boolean {
  const labels = new Map<string, Set<number>>();
  for (const example of examples) if (example.set !== set && example.type !== 'twin_removed') labels.set(example.set, (labels.get(example.set) ?? new Set()).add(example.label));
  return [...labels.values()].some((found) => found.size === 2);
}

/** One labelled example from an eval run (twins are unanswerable examples of their set). */
export const exampleOf = (set: string, run: QueryRun): Example => ({ set, features: EVIDENCE_FEATURES.map((feature) => (run.evidence as Evidence)[feature] as number), label: run.query.answerable ? 1 : 0, type: run.query.type });

export const probability = (model: AnswerabilityModel['models']['zh'], features: number[]) =>
  1 / (1 + Math.exp(-(model.bias + features.reduce((sum, value, j) => sum + model.weights[j] * ((value - model.mean[j]) / model.scale[j]), 0))));

async function main() {
  const { values } = parseArgs({
    options: { suite: { type: 'string', default: '../shared/data' }, out: { type: 'string', default: 'src/answer/answerability-model.json' }, cache: { type: 'string' }, budget: { type: 'string', default: '0.03' }, 'confident-budget': { type: 'string', default: '0.25' } },
  });
  const examples: Record<Language, Example[]> = values.cache && existsSync(values.cache) ? JSON.parse(readFileSync(values.cache, 'utf8')) : await collect(values.suite!);
  if (values.cache) writeFileSync(values.cache, JSON.stringify(examples));

  // Leave one group out: fit without it, measure AUROC on it. This is the number that says whether the model transfers.
  console.log('held-out AUROC (fitted without that set and language):');
  for (const lang of ['zh', 'en'] as const) {
    for (const held of new Set(examples[lang].map((example) => example.set))) {
      const test = examples[lang].filter((example) => example.set === held);
      if (new Set(test.map((example) => example.label)).size < 2) continue;
      const models = fitJoint(examples, (example, exampleLang) => !(exampleLang === lang && example.set === held));
      const p = test.map((example) => probability(models[lang], example.features));
      console.log(`  ${held} ${lang}: ${auroc(p.filter((_, i) => test[i].label), p.filter((_, i) => !test[i].label)).toFixed(3)}`);
    }
  }
  // The band, held out the same way: chosen without a set, measured on it (the three outcomes it gives there).
  console.log('\nheld-out band (model and band fitted without that set): answerable answered / suggested / refused | unanswerable answered / suggested / refused');
  const pct = (value: number) => `${(value * 100).toFixed(1)} %`;
  for (const held of new Set([...examples.zh, ...examples.en].map((example) => example.set))) {
    const keep = (example: Example) => example.set !== held;
    const models = fitJoint(examples, keep);
    for (const lang of ['zh', 'en'] as const) {
      const test = examples[lang].filter((example) => example.set === held);
      if (!test.length) continue;
      const train = examples[lang].filter(keep).map((example) => ({ p: probability(models[lang], example.features), label: example.label, set: example.set, type: example.type }));
      const band = chooseBand(train, Number(values.budget), Number(values['confident-budget']));
      const shares = (label: 0 | 1) => {
        const p = test.filter((example) => example.label === label).map((example) => probability(models[lang], example.features));
        const of = (keepP: (value: number) => boolean) => (p.length ? p.filter(keepP).length / p.length : Number.NaN);
        return `${pct(of((value) => value >= band.answer))} / ${pct(of((value) => value >= band.refuse && value < band.answer))} / ${pct(of((value) => value < band.refuse))}`;
      };
      console.log(`  ${held} ${lang} (band ${band.refuse}–${band.answer}): ${shares(1)} | ${shares(0)}`);
    }
  }
  const models = fitJoint(examples);
  console.log('\nfitted on all groups with both classes:');
  for (const lang of ['zh', 'en'] as const) {
    const scored = examples[lang].map((example) => ({ p: probability(models[lang], example.features), label: example.label, set: example.set, type: example.type }));
    const band = chooseBand(scored, Number(values.budget), Number(values['confident-budget']));
    models[lang].threshold = band.refuse;
    models[lang].answerThreshold = band.answer;
    console.log(`  ${lang}: AUROC ${auroc(scored.filter((e) => e.label).map((e) => e.p), scored.filter((e) => !e.label).map((e) => e.p)).toFixed(3)}, default band ${band.refuse}–${band.answer}`);
  }
  EVIDENCE_FEATURES.forEach((feature, j) => console.log(`    ${feature.padEnd(16)} ${models.zh.weights[j].toFixed(3)} (per standard deviation)`));
  const model: AnswerabilityModel = { fittedOn: findSets(values.suite!).map((set) => set.name), models, rerankWeight: 0.5 };
  writeFileSync(values.out!, JSON.stringify(model, null, 2) + '\n');
  console.log(`\nwrote ${values.out}`);
}

const round = (value: number) => Math.round(value * 1e5) / 1e5;

if (process.argv[1]?.endsWith('fit-answerability.ts')) {
  main().catch((error) => {
    console.error(`fit: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    process.exit(2);
  });
}
