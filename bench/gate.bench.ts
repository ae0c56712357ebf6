/**
 * `npm run bench:gate [-- --scale 10k --cases 100 --documents 5]`: what the regression gate and the contradiction
 * check cost on a large table, as a share of the ingestion they run in, measured in the same run.
 *
 * On a copy of the cached synthetic table (scale-tables.ts): an incremental ingestion replaces `--documents`
 * documents the way runIngestion does (embedded for real, one commit, indexes brought up to date, the new
 * version self-calibrated, near-duplicates of the written chunks compared), then the regression gate asks
 * `--cases` answerable questions of the public sets (each with the document that answers it) of the new and the
 * published version. A full ingestion of the table is not run (embedding 10k chunks takes most of an hour here):
 * its time is the measured embedding rate times the table's chunks, plus the measured commit, index and
 * calibration, and is marked as an estimate.
 */
import { cp, mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { selfCalibrationHook } from '../src/calibrate/calibration-hook.js';
import { loadConfig } from '../src/config/config.js';
import { embedInBatches } from '../src/embed/embedder.js';
import { loadEmbeddingSpaces } from '../src/embed/load-embedder.js';
import { findContradictions } from '../src/ingest/contradictions.js';
import type { RegressionCase } from '../src/regression/regression-cases.js';
import { regressionGateHook } from '../src/regression/regression-gate.js';
import type { ChunkRow } from '../src/store/knowledge-store.js';
import { LanceKnowledgeStore } from '../src/store/lance-knowledge-store.js';
import { parseScale, scaleTable } from './scale-tables.js';

const argument = (name: string) => {
  const index = process.argv.indexOf(name);
  return index >= 0 ? process.argv[index + 1] : undefined;
};
const rows = parseScale(argument('--scale') ?? '10k');
const caseCount = Number(argument('--cases') ?? 100);
const documents = Number(argument('--documents') ?? 5);
const config = loadConfig({ EMBEDDING_MODEL_MULTI: 'none', ...process.env, LOG_LEVEL: 'silent' });
const embedders = await loadEmbeddingSpaces(config);
const table = await scaleTable(rows, embedders, { vectorIndexMinRows: config.VECTOR_INDEX_MIN_ROWS, log: console.log });
const dir = await mkdtemp(path.join(os.tmpdir(), 'kefu-bench-gate-'));
const timed = async <T>(work: () => Promise<T>): Promise<[T, number]> => {
  const started = performance.now();
  const value = await work();
  return [value, (performance.now() - started) / 1000];
};

/** Answerable questions of the public sets whose document is in the table, half each language where there are. */
async function regressionCases(docIds: Set<string>): Promise<RegressionCase[]> {
  const cases: RegressionCase[] = [];
  for (const file of ['alibabacloud-ecs-faq-en-zh/queries.jsonl', 'xquad-en-zh/queries.jsonl']) {
    const lines = (await readFile(path.resolve('../shared/data', file), 'utf8')).split('\n').filter(Boolean);
    for (const line of lines) {
      const query = JSON.parse(line) as { id: string; text: string; lang: string; relevant?: string[]; answerable?: boolean };
      const relevant = (query.relevant ?? []).filter((id) => docIds.has(id));
      if (!query.answerable || !relevant.length || (query.lang !== 'zh' && query.lang !== 'en')) continue;
      cases.push({ id: query.id, question: query.text, lang: query.lang, docIds: relevant, origin: 'file', pinned: true });
    }
  }
  // Every k-th, for a spread over both sets and languages.
  const step = Math.max(1, Math.floor(cases.length / caseCount));
  return cases.filter((_, index) => index % step === 0).slice(0, caseCount);
}

try {
  await cp(table.dbDir, dir, { recursive: true });
  const store = await LanceKnowledgeStore.openOrCreate(dir, table.tableName, embedders.dimensions);
  const published = await store.version();
  await store.publish(published);
  const docIds = new Set([...(await store.documentHashes()).keys()]);
  const cases = await regressionCases(docIds);

  // The incremental ingestion: `documents` documents get new text, embedded for real, committed as one version.
  const picked = (await store.table.query().where('chunk_index = 0').limit(documents).toArray()) as unknown as ChunkRow[];
  const changed = picked.map((row) => {
    const text = `${row.text}\nUpdated: this answer was revised on ${new Date().toISOString().slice(0, 10)}.`;
    return { ...row, text, search_text: text } as ChunkRow;
  });
  const [, embedSeconds] = await timed(async () => {
    for (const space of embedders.all) {
      const covered = changed.filter((row) => embedders.embedding(row.lang).includes(space));
      const vectors = await embedInBatches(
        space.embedder,
        covered.map((row) => row.text),
      );
      covered.forEach((row, index) => ((row as unknown as Record<string, Float32Array>)[space.column] = vectors[index]));
    }
    for (const row of changed)
      for (const column of Object.keys(store.dimensions))
        if (!((row as unknown as Record<string, unknown>)[column] instanceof Float32Array)) (row as unknown as Record<string, Float32Array>)[column] = new Float32Array(store.dimensions[column]);
  });
  const [, commitSeconds] = await timed(() =>
    store.commit(
      changed,
      changed.map((row) => row.doc_id),
    ),
  );
  const [, indexSeconds] = await timed(async () => {
    await store.updateIndexes();
    await store.ensureIndexes(config.VECTOR_INDEX_MIN_ROWS);
  });
  const version = await store.version();
  const [contradictions, contradictionSeconds] = await timed(() =>
    findContradictions(store, embedders, changed, { version, replacedDocIds: changed.map((row) => row.doc_id), previous: [] }, { similarity: config.DUPLICATE_SIMILARITY }),
  );
  const [calibration, calibrationSeconds] = await timed(() =>
    selfCalibrationHook(embedders, config.CALIBRATION_FALSE_REFUSAL_TARGET, config.CALIBRATION_CONFIDENT_UNANSWERABLE_TARGET).calibrate(store, version),
  );
  await store.saveCalibration(calibration);

  const gate = regressionGateHook({ embedders, cases: async () => cases, tolerancePinned: 0, toleranceShare: 0.05, sources: config.RETRIEVAL_SOURCES });
  const baseline = await store.atVersion(published);
  const [result, gateSeconds] = await timed(() => gate.check({ store, version, baseline: { store: baseline, version: published } }));
  baseline.close();
  store.close();

  const ingestion = embedSeconds + commitSeconds + indexSeconds + contradictionSeconds + calibrationSeconds;
  // A full ingestion embeds every chunk at the rate measured here (per chunk and space), then commits, indexes and calibrates.
  const perChunk = embedSeconds / changed.length;
  const fullIngestion = perChunk * rows + commitSeconds + indexSeconds + calibrationSeconds;
  const r = (value: number, digits = 2) => Math.round(value * 10 ** digits) / 10 ** digits;
  console.log(
    JSON.stringify(
      {
        rows,
        cases: result.cases,
        right: result.right,
        changedAnswers: result.changed.length,
        incrementalIngestion: {
          documents: changed.length,
          seconds: r(ingestion),
          embed: r(embedSeconds),
          commit: r(commitSeconds),
          indexes: r(indexSeconds),
          calibration: r(calibrationSeconds),
          contradictionCheck: r(contradictionSeconds, 3),
          nearDuplicates: contradictions.nearDuplicates,
        },
        gate: { seconds: r(gateSeconds), embedQuestions: result.embedSeconds, retrievalPerCasePerVersionMs: r(((gateSeconds - result.embedSeconds) * 1000) / Math.max(1, result.cases * 2), 1) },
        gateShareOfIncrementalIngestion: r(gateSeconds / (ingestion + gateSeconds), 3),
        gateToIncrementalIngestionRatio: r(gateSeconds / ingestion, 3),
        fullIngestionEstimateSeconds: r(fullIngestion, 0),
        gateShareOfFullIngestionEstimate: r(gateSeconds / (fullIngestion + gateSeconds), 4),
        contradictionCheckPerWrittenChunkMs: r((contradictionSeconds * 1000) / changed.length, 1),
      },
      null,
      2,
    ),
  );
} finally {
  await rm(dir, { recursive: true, force: true });
}
