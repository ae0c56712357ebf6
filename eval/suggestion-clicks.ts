/**
 * `npm run eval:suggestion-clicks -- [--queries eval/dev-set.jsonl] [--db <dir>] [--table <name>] [--json <out.json>]`
 *
 * Does clicking a "did you mean" suggestion work? Every query of the set in the middle band gets its suggestions
 * (the service's suggest stage); each suggestion's text is then asked as the next question, as the widget asks it,
 * in the customer's language. A click works when that question is answered (not suggested again, not refused)
 * and the answer's quote comes from the suggested document. Runs the service's pipeline over the table, as
 * `npm run eval -- --db` does (no LLM: extractive, as a deployment without a model answers).
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { ProductLineClassifier, loadProductLineRules } from '../src/classify/product-lines.js';
import { loadConfig } from '../src/config/config.js';
import { loadEmbeddingSpaces } from '../src/embed/load-embedder.js';
import { DEFAULT_TUNING } from '../src/retrieve/tuning.js';
import { LanceKnowledgeStore } from '../src/store/lance-knowledge-store.js';
import { kbLanguageFor } from '../src/text/language.js';
import { evalPipeline, readQueries } from './suite.js';

interface Click {
  query: string;
  lang: string;
  text: string;
  kind: string;
  docId: string;
  outcome: string;
  /** The document the extractive answer quoted (null: nothing quoted, or not answered). */
  quoted: string | null;
  /** The first document of the click's ranking. */
  top: string | undefined;
}

async function main() {
  const { values } = parseArgs({
    options: {
      queries: { type: 'string', default: 'eval/dev-set.jsonl' },
      db: { type: 'string' },
      table: { type: 'string' },
      json: { type: 'string' },
    },
  });
  const config = loadConfig();
  const embedders = await loadEmbeddingSpaces(config);
  const classifier = new ProductLineClassifier(await loadProductLineRules(config.PRODUCT_LINES_FILE));
  const store = await LanceKnowledgeStore.open(values.db ?? config.DB_DIR, values.table ?? config.TABLE_NAME);
  // As eval.ts: no wall-clock cut-off, so the figures do not depend on how busy the machine is.
  const pipeline = evalPipeline(config, store, { embedders, classifier, tuning: { sentenceMatch: { ...DEFAULT_TUNING.sentenceMatch, timeoutMs: 0 } } });
  const clicks: Click[] = [];
  let middle = 0;
  for (const query of readQueries(values.queries!)) {
    const band = await pipeline.band(query.lang);
    const run = await pipeline.run(query.text, pipeline.scope(query.text), { customer: query.lang, band });
    if (run.decision.outcome !== 'uncertain') continue;
    middle++;
    for (const suggestion of await pipeline.suggest(run.ranked, kbLanguageFor(query.lang))) {
      const click = await pipeline.run(suggestion.text, pipeline.scope(suggestion.text), { customer: query.lang, band });
      let quoted: string | null = null;
      if (click.decision.outcome === 'answer') {
        const selected = pipeline.select(click.ranked);
        const result = await pipeline.extract(suggestion.text, query.lang, selected);
        quoted = result ? selected[result.used[0] - 1].docId : null;
      }
      clicks.push({ query: query.id, lang: query.lang, text: suggestion.text, kind: suggestion.kind, docId: suggestion.docId, outcome: click.decision.outcome, quoted, top: click.ranked[0]?.docId });
    }
  }
  store.close();
  if (values.json) writeFileSync(values.json, JSON.stringify(clicks, null, 2));
  const pct = (part: number, whole: number) => (whole ? `${((100 * part) / whole).toFixed(1)} %` : '–');
  console.log(`${middle} middle-band queries, ${clicks.length} suggestions clicked`);
  console.log('lang kind    | clicks | answered | suggested again | refused | answered from the suggested doc | top doc is it');
  for (const lang of ['zh', 'en', undefined]) {
    for (const kind of ['faq', 'passage', undefined]) {
      const rows = clicks.filter((click) => (!lang || click.lang === lang) && (!kind || click.kind === kind));
      if (!rows.length) continue;
      const count = (test: (click: Click) => boolean) => rows.filter(test).length;
      console.log(
        `${(lang ?? 'all').padEnd(4)} ${(kind ?? 'all').padEnd(7)} | ${String(rows.length).padStart(6)} | ${pct(
          count((c) => c.outcome === 'answer'),
          rows.length,
        ).padStart(8)} | ${pct(
          count((c) => c.outcome === 'uncertain'),
          rows.length,
        ).padStart(15)} | ${pct(
          count((c) => c.outcome === 'refuse'),
          rows.length,
        ).padStart(7)} | ${pct(
          count((c) => c.quoted === c.docId),
          rows.length,
        ).padStart(31)} | ${pct(
          count((c) => c.top === c.docId),
          rows.length,
        ).padStart(13)}`,
      );
    }
  }
  for (const click of clicks.filter((entry) => entry.quoted !== entry.docId)) {
    console.log(`  ${click.query} [${click.outcome}] ${click.text} (${click.docId}) → ${click.quoted ?? click.top}`);
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
