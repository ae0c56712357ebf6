import { ProductLineClassifier, loadProductLineRules } from './src/classify/product-lines.js';
import { loadConfig } from './src/config/config.js';
import { loadEmbeddingSpaces } from './src/embed/load-embedder.js';
import { contentTerms } from './src/text/terms.js';
import { LanceKnowledgeStore } from './src/store/lance-knowledge-store.js';
import { kbLanguageFor } from './src/text/language.js';
import { suggestionPool } from './src/answer/stages.js';
import { evalPipeline, readQueries } from './eval/suite.js';
const config = loadConfig();
const embedders = await loadEmbeddingSpaces(config);
const classifier = new ProductLineClassifier(await loadProductLineRules(config.PRODUCT_LINES_FILE));
const store = await LanceKnowledgeStore.open('/tmp/sugg/db-before', 'knowledge');
const pipeline = evalPipeline(config, store, { embedders, classifier });
const seen = new Set<string>();
for (const query of readQueries('eval/dev-set.jsonl')) {
  const band = await pipeline.band(query.lang);
  const run = await pipeline.run(query.text, pipeline.scope(query.text), { customer: query.lang, band });
  if (run.decision.outcome !== 'uncertain') continue;
  const lang = kbLanguageFor(query.lang);
  const pool = suggestionPool(run.ranked, lang).filter((e) => e.own).slice(0, 6);
  console.log('Q', query.id, query.text, '→', pool.slice(0, 3).map((e) => e.text).join(' | '));
  const byChunk = new Map(run.ranked.map((c) => [c.id, c]));
  const body = (p: { chunkId: string }) => { const c = byChunk.get(p.chunkId)!; return contentTerms(c.kind === 'faq' ? (c.metadata.answer ?? c.text) : c.text); };
  const v = pool.map(body);
  for (let i = 0; i < pool.length; i++) for (let j = i + 1; j < pool.length; j++) {
    const key = [pool[i].text, pool[j].text].sort().join('|'); if (seen.has(key)) continue; seen.add(key);
    const inter = [...v[i]].filter((t) => v[j].has(t)).length; const c = inter / Math.min(v[i].size, v[j].size); if (c > 0.3) console.log('  ', c.toFixed(3), pool[i].text, '||', pool[j].text);
  }
}
