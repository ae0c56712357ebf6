/**
 * `npm run eval -- --queries <file.jsonl> [--db <dir>] [--table <name>] [--json <out.json>] [--plot <out.svg|png>] [--threshold <t>] [--no-rules]`
 *
 * Runs every query through the service's own retrieval path (classification with the product-line rules,
 * hybrid retrieval, confidence) and prints recall@1/5/10, MRR@10 and nDCG@10 over answerable queries,
 * refusal precision/recall and false refusals at the threshold, and a threshold sweep, overall and per language.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { ProductLineClassifier, UNKNOWN_LINE, loadProductLineRules } from '../src/classify/product-lines.js';
import { loadConfig } from '../src/config/config.js';
import { loadEmbedder } from '../src/embed/load-embedder.js';
import { type LabelledQuery, type QueryOutcome, refusalMetrics, retrievalMetrics, thresholdSweep } from '../src/retrieve/evaluation.js';
import { HybridRetriever } from '../src/retrieve/hybrid-retriever.js';
import { sweepSvg } from '../src/retrieve/sweep-plot.js';
import { KnowledgeStore } from '../src/store/knowledge-store.js';

const querySchema = z.object({
  id: z.coerce.string(),
  text: z.string().min(1),
  lang: z.enum(['zh', 'en']),
  relevant: z.array(z.coerce.string()).default([]),
  answerable: z.boolean().default(true),
});

async function main() {
  const { values } = parseArgs({
    options: {
      queries: { type: 'string', default: 'eval/dev-set.jsonl' },
      db: { type: 'string' },
      table: { type: 'string' },
      json: { type: 'string' },
      threshold: { type: 'string' },
      'no-rules': { type: 'boolean', default: false },
      quiet: { type: 'boolean', default: false },
      'filter-lines': { type: 'boolean', default: false },
      plot: { type: 'string' },
    },
  });
  const config = loadConfig();
  const threshold = values.threshold ? { zh: Number(values.threshold), en: Number(values.threshold) } : { zh: config.REFUSAL_THRESHOLD_ZH, en: config.REFUSAL_THRESHOLD_EN };
  const queries: LabelledQuery[] = readFileSync(values.queries!, 'utf8')
    .split('\n')
    .filter((line) => line.trim())
    .map((line, index) => {
      const parsed = querySchema.safeParse(JSON.parse(line));
      if (!parsed.success) throw new Error(`${values.queries}:${index + 1}: ${parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ')}`);
      return parsed.data;
    });
  const useRules = !values['no-rules'] && existsSync(config.PRODUCT_LINES_FILE);
  const classifier = useRules ? new ProductLineClassifier(await loadProductLineRules(config.PRODUCT_LINES_FILE)) : undefined;
  const embedder = await loadEmbedder(config);
  const store = await KnowledgeStore.open(values.db ?? config.DB_DIR, values.table ?? config.TABLE_NAME);
  const retriever = new HybridRetriever(embedder, store);

  const outcomes: QueryOutcome[] = [];
  for (const query of queries) {
    const line = classifier?.classify(query.text).productLine ?? UNKNOWN_LINE;
    const lines = line === UNKNOWN_LINE || !classifier ? [] : [line, classifier.rules.general.id];
    const scope = values['filter-lines'] ? { productLines: lines } : { preferLines: lines };
    const result = await retriever.retrieve(query.text, { ...scope, candidates: config.RETRIEVAL_CANDIDATES, limit: 50, perDocument: 50 });
    const rankedDocs = [...new Set(result.candidates.map((candidate) => candidate.doc_id))];
    outcomes.push({ query, rankedDocs, confidence: result.confidence });
  }
  store.close();

  const report = (subset: QueryOutcome[]) => ({
    retrieval: retrievalMetrics(subset),
    refusal: refusalMetrics(subset, threshold),
    recommended: thresholdSweep(subset).best,
  });
  const overall = report(outcomes);
  const perLanguage = Object.fromEntries((['zh', 'en'] as const).map((lang) => [lang, report(outcomes.filter((outcome) => outcome.query.lang === lang))]));
  const { sweep } = thresholdSweep(outcomes);
  const result = {
    queries: values.queries,
    model: config.EMBEDDING_MODEL,
    threshold,
    counts: { total: outcomes.length, answerable: outcomes.filter((o) => o.query.answerable).length, unanswerable: outcomes.filter((o) => !o.query.answerable).length },
    overall,
    perLanguage,
    sweep,
    misses: outcomes
      .filter((outcome) => outcome.query.answerable && !outcome.rankedDocs.slice(0, 5).some((doc) => outcome.query.relevant.includes(doc)))
      .map((outcome) => ({ id: outcome.query.id, text: outcome.query.text, top: outcome.rankedDocs.slice(0, 3) })),
    confidences: outcomes.map((outcome) => ({ id: outcome.query.id, answerable: outcome.query.answerable, confidence: Math.round(outcome.confidence * 1000) / 1000 })),
  };
  if (values.json) writeFileSync(values.json, JSON.stringify(result, null, 2));
  if (values.plot) await writePlot(values.plot, sweepSvg(sweep, [{ label: `zh ${threshold.zh}`, threshold: threshold.zh }, { label: `en ${threshold.en}`, threshold: threshold.en }], `Refusal threshold sweep — ${config.EMBEDDING_MODEL}, ${outcomes.length} queries`));
  if (!values.quiet) printReport(result);
}

type Report = ReturnType<typeof retrievalMetrics>;
function printReport(result: {
  model: string;
  threshold: Record<'zh' | 'en', number>;
  counts: Record<string, number>;
  overall: { retrieval: Report; refusal: ReturnType<typeof refusalMetrics>; recommended: ReturnType<typeof refusalMetrics> };
  perLanguage: Record<string, { retrieval: Report; refusal: ReturnType<typeof refusalMetrics>; recommended: ReturnType<typeof refusalMetrics> }>;
  sweep: ReturnType<typeof refusalMetrics>[];
  misses: { id: string; text: string; top: string[] }[];
}) {
  const pct = (value: number) => (value * 100).toFixed(1).padStart(5);
  const rows = [['overall', result.overall] as const, ...Object.entries(result.perLanguage)];
  console.log(`model ${result.model}; ${result.counts.total} queries (${result.counts.answerable} answerable, ${result.counts.unanswerable} not)`);
  console.log('\nretrieval (answerable)   R@1    R@5   R@10  Hit@1  Hit@5 MRR@10 nDCG@10');
  for (const [name, entry] of rows) {
    const r = entry.retrieval;
    console.log(`${name.padEnd(22)} ${pct(r.recallAt1)}  ${pct(r.recallAt5)}  ${pct(r.recallAt10)}  ${pct(r.hitAt1)}  ${pct(r.hitAt5)}  ${pct(r.mrrAt10)}  ${pct(r.ndcgAt10)}`);
  }
  console.log(`\nrefusal at thresholds zh ${result.threshold.zh} / en ${result.threshold.en}   precision  recall  false-refusals  | best threshold (balanced acc.)`);
  for (const [name, entry] of rows) {
    const f = entry.refusal;
    console.log(`${name.padEnd(37)} ${pct(f.refusalPrecision)}  ${pct(f.refusalRecall)}  ${pct(f.falseRefusalRate)}          | ${entry.recommended.threshold.toFixed(2)} (${pct(entry.recommended.balancedAccuracy)})`);
  }
  console.log('\nthreshold sweep   precision  recall  false-refusals  balanced');
  for (const entry of result.sweep.filter((_, index) => index % 2 === 0)) {
    console.log(`  ${entry.threshold.toFixed(2)}            ${pct(entry.refusalPrecision)}   ${pct(entry.refusalRecall)}   ${pct(entry.falseRefusalRate)}          ${pct(entry.balancedAccuracy)}`);
  }
  if (result.misses.length) {
    console.log(`\nanswerable queries with no relevant document in the top 5 (${result.misses.length}):`);
    for (const miss of result.misses) console.log(`  ${miss.id}  ${miss.text}  → ${miss.top.join(', ')}`);
  }
}

/** SVG as is; PNG through headless Chromium when it is installed (CHROMIUM_PATH, default /usr/bin/chromium). */
async function writePlot(file: string, svg: string) {
  if (!file.endsWith('.png')) {
    writeFileSync(file, svg);
    return;
  }
  const executablePath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
  if (!existsSync(executablePath)) {
    writeFileSync(file.replace(/\.png$/, '.svg'), svg);
    console.error(`eval: no Chromium at ${executablePath}; wrote ${file.replace(/\.png$/, '.svg')} instead`);
    return;
  }
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({ executablePath, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'] });
  const page = await browser.newPage({ viewport: { width: 760, height: 440 } });
  await page.setContent(`<body style="margin:0">${svg}</body>`);
  await page.screenshot({ path: file });
  await browser.close();
}

main().catch((error) => {
  console.error(`eval: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(2);
});
