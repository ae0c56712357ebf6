/**
 * Synthetic knowledge tables of a given size for `bench:ask --scale`, built from the public corpora in
 * ../shared/data and cached under data/bench/ (git-ignored: hundreds of MB that this script makes again).
 *
 * The base is every public text, ingested for real (both languages, both embedding spaces): the ECS FAQ,
 * the XQuAD passages and their sentences, about 5k chunks. Past the base, rows are replicas of embedded
 * rows with perturbed text (words or characters dropped and swapped) and perturbed vectors (Gaussian noise,
 * cosine ≈ 0.96 to the original, renormalised), each replica its own document. Embedding 100k chunks on 2
 * cores would take an hour; what search costs depends on the number of rows, postings and vectors, which
 * replicas reproduce. A replica never adds a new answer, so quality numbers come from `npm run eval`, not here.
 */
import { createHash } from 'node:crypto';
import { copyFile, mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import * as lancedb from '@lancedb/lancedb';
import type { EmbeddingSpaces } from '../src/embed/embedding-spaces.js';
import { PIPELINE_VERSION, runIngestion } from '../src/ingest/run-ingestion.js';
import { fromColumns, toColumns } from '../src/store/chunk-columns.js';
import type { ChunkRow } from '../src/store/knowledge-store.js';
import { chunkSchema, LanceKnowledgeStore } from '../src/store/lance-knowledge-store.js';

/** Bump when the base (the embedded public corpora) is made differently: it is embedded again. */
const BASE_LAYOUT = 2;
/** Bump when the scaled tables are made differently (replicas, compaction, indexes): they are rebuilt. */
const TABLE_LAYOUT = 3;
const SHARED = path.resolve('../shared/data');
const BASE_FILES = [
  ['alibabacloud-ecs-faq-en-zh/corpus.jsonl', 'ecs-faq.jsonl'],
  ['xquad-en-zh/corpus.jsonl', 'xquad-passages.jsonl'],
  ['xquad-en-zh/corpus_sentences.jsonl', 'xquad-sentences.jsonl'],
] as const;

export interface ScaleTable {
  dbDir: string;
  tableName: string;
  rows: number;
  /** Rows embedded for real; the rest are replicas. */
  baseRows: number;
}

/** Parses "10k", "100k", "1m", "2500". */
export function parseScale(text: string): number {
  const match = /^(\d+(?:\.\d+)?)([km]?)$/i.exec(text.trim());
  if (!match) throw new Error(`not a table size: ${JSON.stringify(text)} (try 10k, 100k)`);
  return Math.round(Number(match[1]) * { '': 1, k: 1000, m: 1_000_000 }[match[2].toLowerCase() as '' | 'k' | 'm']);
}

/** The cached table of `rows` rows for these models, built first if missing. */
export async function scaleTable(rows: number, embedders: EmbeddingSpaces, options: { vectorIndexMinRows: number; log?: (line: string) => void }): Promise<ScaleTable> {
  const log = options.log ?? (() => undefined);
  const key = createHash('sha256').update(JSON.stringify([BASE_LAYOUT, PIPELINE_VERSION, embedders.modelKey])).digest('hex').slice(0, 12);
  const root = path.resolve('data/bench', key);
  const base = await baseTable(root, embedders, log);
  const dbDir = path.join(root, `scale-${rows}-t${TABLE_LAYOUT}`);
  const tableName = 'knowledge';
  const marker = path.join(dbDir, 'ready.json');
  if (await exists(marker)) {
    // A table cached before filter indexes existed gets them, as its next ingestion run would give it.
    const cached = await LanceKnowledgeStore.open(dbDir, tableName);
    await cached.ensureIndexes(options.vectorIndexMinRows);
    cached.close();
    return { dbDir, tableName, rows, baseRows: base.length };
  }

  log(`building a ${rows}-row table from ${base.length} embedded rows (cached in ${path.relative(process.cwd(), dbDir)})`);
  await rm(dbDir, { recursive: true, force: true });
  const dimensions = embedders.dimensions;
  const connection = await lancedb.connect(dbDir);
  const table = await connection.createEmptyTable(tableName, chunkSchema(dimensions));
  const random = seededRandom(rows);
  const batch: Record<string, unknown>[] = [];
  const flush = async () => {
    if (!batch.length) return;
    await table.add(lancedb.makeArrowTable(batch.splice(0), { schema: chunkSchema(dimensions) }));
  };
  for (let index = 0; index < rows; index++) {
    const original = base[index % base.length];
    const replica = Math.floor(index / base.length);
    const row = replica === 0 ? original : perturbRow(original, replica, random);
    const out = toColumns(row);
    for (const column of Object.keys(dimensions)) out[column] = Array.from(row[column as 'vector'] as Float32Array);
    batch.push(out);
    if (batch.length >= 5000) await flush();
  }
  await flush();
  table.close();
  const store = await LanceKnowledgeStore.openOrCreate(dbDir, tableName, dimensions);
  const indexStarted = performance.now();
  // Compacted, as every ingestion run leaves a table (retention runs optimize): one fragment per million rows.
  await store.table.optimize({ cleanupOlderThan: new Date() });
  await store.buildFullTextIndex();
  const vectorIndexes = await store.ensureIndexes(options.vectorIndexMinRows);
  log(`  indexes built in ${((performance.now() - indexStarted) / 1000).toFixed(1)} s (full text${vectorIndexes.length ? `, vectors: ${vectorIndexes.join(', ')}` : ', vectors searched flat'})`);
  store.close();
  await writeFile(marker, JSON.stringify({ rows, baseRows: base.length, vectorIndexes, at: new Date().toISOString() }));
  return { dbDir, tableName, rows, baseRows: base.length };
}

/** The public corpora ingested for real once, read back with their vectors. */
async function baseTable(root: string, embedders: EmbeddingSpaces, log: (line: string) => void): Promise<ChunkRow[]> {
  const dbDir = path.join(root, 'base');
  if (!(await exists(path.join(dbDir, 'ready.json')))) {
    const staging = path.join(root, 'base-source');
    await rm(dbDir, { recursive: true, force: true });
    await mkdir(staging, { recursive: true });
    for (const [from, to] of BASE_FILES) await copyFile(path.join(SHARED, from), path.join(staging, to));
    log('embedding the public corpora once for the scale tables (a few minutes on 2 cores)…');
    const summary = await runIngestion({ source: staging, dbDir, tableName: 'base', embedders, maxFileBytes: 100 * 1024 * 1024, chunkMaxTokens: 320, chunkOverlapTokens: 48 });
    log(`  ${summary.chunksWritten} chunks in ${summary.seconds.toFixed(0)} s`);
    await writeFile(path.join(dbDir, 'ready.json'), JSON.stringify({ chunks: summary.chunksWritten }));
  }
  const connection = await lancedb.connect(dbDir);
  const table = await connection.openTable('base');
  const columns = Object.keys(embedders.dimensions);
  const rows = (await table.query().toArray()).map((row) => {
    const out = fromColumns(row) as unknown as Record<string, unknown>;
    for (const column of columns) out[column] = Float32Array.from(row[column] as Iterable<number>);
    return { ...(out as unknown as ChunkRow), audiences: Array.from(row.audiences as Iterable<string>) };
  });
  table.close();
  // A stable order (LanceDB's scan order follows fragments): replicas of index i are always of the same row.
  return rows.sort((a, b) => a.id.localeCompare(b.id));
}

export function perturbRow(row: ChunkRow, replica: number, random: () => number): ChunkRow {
  const suffix = `~${replica}`;
  const text = perturbText(row.text, row.lang, random);
  const out: Record<string, unknown> = {
    ...row,
    id: row.id + suffix,
    docId: row.docId + suffix,
    text,
    searchText: row.kind === 'faq' ? text : [row.title, row.headingPath, text].filter(Boolean).join('\n'),
    contentHash: createHash('sha256').update(text).digest('hex'),
  };
  for (const [column, value] of Object.entries(row)) if (column === 'vector' || column.startsWith('vector_')) out[column] = perturbVector(value as Float32Array, random);
  return out as unknown as ChunkRow;
}

/** Drops about 8 % of the words (characters in Chinese) and swaps about 4 % of neighbours. */
function perturbText(text: string, lang: string, random: () => number): string {
  const units = lang === 'zh' ? [...text] : text.split(/(\s+)/).filter((unit) => unit.trim());
  const kept = units.filter(() => random() >= 0.08);
  for (let index = 0; index + 1 < kept.length; index++) if (random() < 0.04) [kept[index], kept[index + 1]] = [kept[index + 1], kept[index]];
  return kept.join(lang === 'zh' ? '' : ' ') || text;
}

/** Gaussian noise of norm ≈ 0.3, renormalised; a zero vector (a language space's empty row) stays zero. */
function perturbVector(vector: Float32Array, random: () => number): Float32Array {
  let norm = 0;
  for (const value of vector) norm += value * value;
  if (norm === 0) return vector;
  const sigma = 0.3 / Math.sqrt(vector.length);
  const out = new Float32Array(vector.length);
  let outNorm = 0;
  for (let index = 0; index < vector.length; index++) {
    // Box–Muller.
    const gaussian = Math.sqrt(-2 * Math.log(random() || 1e-12)) * Math.cos(2 * Math.PI * random());
    out[index] = vector[index] + sigma * gaussian;
    outNorm += out[index] * out[index];
  }
  const scale = 1 / Math.sqrt(outNorm);
  for (let index = 0; index < out.length; index++) out[index] *= scale;
  return out;
}

/** mulberry32: reproducible tables from run to run. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const exists = (file: string) => stat(file).then(() => true, () => false);

/** Distinct questions of the public sets, both languages, in a fixed shuffled order. */
export async function benchQuestions(): Promise<{ text: string; lang: string }[]> {
  const seen = new Set<string>();
  const questions: { text: string; lang: string }[] = [];
  for (const set of ['alibabacloud-ecs-faq-en-zh', 'xquad-en-zh', 'refusal-xquad-squad2-clinc']) {
    for (const line of (await readFile(path.join(SHARED, set, 'queries.jsonl'), 'utf8')).split('\n')) {
      if (!line.trim()) continue;
      const query = JSON.parse(line) as { text: string; lang?: string };
      const text = query.text.trim();
      if (seen.has(text)) continue;
      seen.add(text);
      questions.push({ text, lang: query.lang ?? '' });
    }
  }
  const random = seededRandom(7);
  for (let index = questions.length - 1; index > 0; index--) {
    const other = Math.floor(random() * (index + 1));
    [questions[index], questions[other]] = [questions[other], questions[index]];
  }
  return questions;
}
