/**
 * `npm run eval:curated [-- --file eval/curated-paraphrases.jsonl]`: how close held-out paraphrases of the
 * curated questions (knowledge/curated) come to their entry, and how close near-misses (same words, another
 * intent) come to any entry, in each language's own embedding space. CURATED_SIMILARITY must sit between the
 * two: every paraphrase at or above it, every near-miss below. Prints both distributions and the gap.
 */
import { readFile } from 'node:fs/promises';
import { CuratedAnswers, loadCuratedFiles } from '../src/answer/curated.js';
import { loadConfig } from '../src/config/config.js';
import { loadEmbeddingSpaces } from '../src/embed/load-embedder.js';
import { MemoryState } from '../src/state/shared-state.js';

const argument = (name: string) => {
  const index = process.argv.indexOf(name);
  return index >= 0 ? process.argv[index + 1] : undefined;
};
const config = loadConfig();
const embedders = await loadEmbeddingSpaces(config);
const curated = await new CuratedAnswers(new MemoryState(), embedders, await loadCuratedFiles(config.CURATED_DIR), { similarity: { zh: 0, en: 0 }, fallbackSimilarity: { zh: 0, en: 0 }, refreshSeconds: 3600 }).start();
curated.stop();
const cases = (await readFile(argument('--file') ?? 'eval/curated-paraphrases.jsonl', 'utf8'))
  .split('\n')
  .filter(Boolean)
  .map((line) => JSON.parse(line) as { text: string; lang: 'zh' | 'en'; expected: string | null });

const rows: { lang: string; kind: 'paraphrase' | 'near-miss'; similarity: number; right: boolean; text: string; matched?: string }[] = [];
for (const item of cases) {
  const match = await curated.match(item.text, item.lang, { minimum: -1 });
  rows.push({ lang: item.lang, kind: item.expected ? 'paraphrase' : 'near-miss', similarity: match?.similarity ?? 0, right: item.expected ? match?.entry.id === item.expected : true, text: item.text, matched: match?.entry.id });
}
for (const lang of ['zh', 'en']) {
  const positives = rows.filter((row) => row.lang === lang && row.kind === 'paraphrase');
  const negatives = rows.filter((row) => row.lang === lang && row.kind === 'near-miss');
  const lowest = Math.min(...positives.map((row) => row.similarity));
  const highest = Math.max(...negatives.map((row) => row.similarity));
  console.log(`${lang}: ${positives.length} paraphrases, lowest ${lowest.toFixed(3)} (${positives.filter((row) => !row.right).length} closest to the wrong entry); ${negatives.length} near-misses, highest ${highest.toFixed(3)}`);
  for (const row of [...positives, ...negatives].sort((a, b) => b.similarity - a.similarity)) console.log(`  ${row.similarity.toFixed(3)} ${row.kind.padEnd(10)} ${row.right ? ' ' : '✗'} ${row.text} → ${row.matched}`);
}
const thresholds = { zh: config.CURATED_SIMILARITY_ZH, en: config.CURATED_SIMILARITY_EN };
for (const lang of ['zh', 'en'] as const) {
  const mine = rows.filter((row) => row.lang === lang);
  const matched = mine.filter((row) => row.kind === 'paraphrase' && row.right && row.similarity >= thresholds[lang]).length;
  const wrong = mine.filter((row) => row.kind === 'near-miss' && row.similarity >= thresholds[lang]).length;
  console.log(`${lang} at CURATED_SIMILARITY_${lang.toUpperCase()} ${thresholds[lang]}: ${matched}/${mine.filter((row) => row.kind === 'paraphrase').length} paraphrases answered, ${wrong} near-misses answered with a curated entry`);
}
