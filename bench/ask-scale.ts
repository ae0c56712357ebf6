/**
 * `npm run bench:ask -- --scale 10k,100k [--requests 300]`: the non-LLM path (extractive mode) on synthetic
 * tables of those sizes (see scale-tables.ts), from a client over real HTTP to a server process.
 *
 * The server runs compiled (npm run build first), as in production; `--source` runs it from source.
 * For each size, in the same run:
 * - the reference: the raw LanceDB queries the retriever makes (each vector column and the full-text search,
 *   40 hits, on precomputed question vectors) and the raw model's query embedding, in this process, sequential;
 * - the service at concurrency 1 and 16 on distinct questions (both languages): per-stage p50/p95/p99 from
 *   the answers' own timings (classify, queue for the answer gate, embed, vector search, full-text search,
 *   fuse, decide, extract, server total) and the client's total (HTTP included);
 * - answer-cache hits (questions asked before), and the server's RSS (current and peak).
 * Figures are printed as milliseconds and as ratios to the same run's reference, because these machines are
 * shared and absolute times drift.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { openSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { loadConfig } from '../src/config/config.js';
import { loadEmbeddingSpaces } from '../src/embed/load-embedder.js';
import { LanceKnowledgeStore } from '../src/store/lance-knowledge-store.js';
import { detectLanguage } from '../src/text/language.js';
import { round, summarize } from './stats.js';
import { benchQuestions, parseScale, scaleTable } from './scale-tables.js';

const argument = (name: string) => {
  const index = process.argv.indexOf(name);
  return index >= 0 ? process.argv[index + 1] : undefined;
};
const scales = (argument('--scale') ?? '10k,100k').split(',').map(parseScale);
const requests = Number(argument('--requests') ?? 300);
const fromSource = process.argv.includes('--source');
if (!fromSource) {
  console.log('building the service (npm run build)…');
  execFileSync('npm', ['run', 'build', '--silent'], { stdio: ['ignore', 'ignore', 'inherit'] });
}
const config = loadConfig({ ...process.env, LOG_LEVEL: 'silent' });
const embedders = await loadEmbeddingSpaces(config);
const questions = await benchQuestions();
const k = config.RETRIEVAL_CANDIDATES;
const STAGES = ['classifyMs', 'queueMs', 'curatedMs', 'embedMs', 'vectorMs', 'fullTextMs', 'fuseMs', 'decideMs', 'extractMs', 'totalMs'] as const;
const results: Record<string, unknown>[] = [];

console.log(`models: ${embedders.all.map((space) => `${space.column}=${space.embedder.modelKey.split('|')[0]}`).join(', ')}; ${questions.length} distinct questions; ${requests} requests per run at concurrency 1, ${requests * 2} at 16`);
for (const rows of scales) {
  const table = await scaleTable(rows, embedders, { vectorIndexMinRows: config.VECTOR_INDEX_MIN_ROWS, log: console.log });
  const reference = await rawReference(table.dbDir, table.tableName, questions.slice(0, Math.min(requests, 200)));
  const server = await startServer(table.dbDir, table.tableName);
  try {
    // Warm-up on questions the runs below do not ask.
    await load(server.url, questions.slice(-40), 2);
    let offset = 0;
    const take = (count: number) => questions.slice(offset, (offset += count));
    const sequential = await load(server.url, take(requests), 1);
    const concurrent = await load(server.url, take(requests * 2), 16);
    const cacheHits = await load(server.url, questions.slice(0, Math.min(requests, 150)), 1);
    const memory = await server.memory();
    const report = { rows, baseRows: table.baseRows, vectorIndex: rows >= config.VECTOR_INDEX_MIN_ROWS, reference, sequential, concurrent, cacheHits: cacheHits.cached, memory };
    results.push(report);
    print(report);
    if (sequential.failures || concurrent.failures) console.log(`  the server's log: ${server.logFile}`);
  } finally {
    await server.stop();
  }
}
console.log(JSON.stringify(results));

/** The queries the retriever sends LanceDB, sent straight to it, plus the model's own query embedding. */
async function rawReference(dbDir: string, tableName: string, sample: { text: string }[]) {
  const store = await LanceKnowledgeStore.open(dbDir, tableName);
  const times: Record<string, number[]> = { embed: [], fullText: [] };
  for (const question of sample) {
    const lang = detectLanguage(question.text);
    const spaces = embedders.covering(lang).filter((space) => space.column in store.dimensions);
    let embed = 0;
    for (const space of spaces) {
      const started = performance.now();
      const vector = await space.embedder.embedQuery(question.text);
      embed += performance.now() - started;
      const searchStarted = performance.now();
      await store.vectorSearch(vector, k, space.languages ? { languages: space.languages } : undefined, space.column);
      (times[`vector:${space.column}`] ??= []).push(performance.now() - searchStarted);
    }
    times.embed.push(embed);
    const ftsStarted = performance.now();
    await store.fullTextSearch(question.text, k);
    times.fullText.push(performance.now() - ftsStarted);
  }
  store.close();
  return Object.fromEntries(Object.entries(times).map(([name, values]) => [name, summarize(values)]));
}

async function load(url: string, batch: { text: string }[], concurrency: number) {
  const client: number[] = [];
  const stages: Record<string, number[]> = Object.fromEntries(STAGES.map((stage) => [stage, []]));
  const cached: number[] = [];
  let failures = 0;
  // What failed, by status and error code: a failure is a finding, not just a count.
  const failureKinds: Record<string, number> = {};
  let shed = 0;
  let next = 0;
  const started = performance.now();
  const worker = async () => {
    while (next < batch.length) {
      const question = batch[next++].text;
      const requestStarted = performance.now();
      const response = await fetch(`${url}/v1/ask`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ question, stream: false }) });
      const body = (await response.json()) as { cached?: boolean; timings?: Record<string, number> };
      const elapsed = performance.now() - requestStarted;
      if (response.status === 503) {
        shed++;
        continue;
      }
      if (!response.ok) {
        failures++;
        const kind = `${response.status} ${(body as { error?: { code?: string } }).error?.code ?? ''}`.trim();
        failureKinds[kind] = (failureKinds[kind] ?? 0) + 1;
        continue;
      }
      if (body.cached) {
        cached.push(elapsed);
        continue;
      }
      client.push(elapsed);
      for (const stage of STAGES) if (body.timings?.[stage] !== undefined) stages[stage].push(body.timings[stage]);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const seconds = (performance.now() - started) / 1000;
  return {
    concurrency,
    requestsPerSecond: round((client.length + cached.length) / seconds),
    failures,
    failureKinds,
    shed,
    client: summarize(client),
    stages: Object.fromEntries(STAGES.map((stage) => [stage, summarize(stages[stage])])),
    cached: summarize(cached),
  };
}

async function startServer(dbDir: string, tableName: string) {
  const port = 3950 + Math.floor(Math.random() * 40);
  const env = {
    ...process.env,
    DB_DIR: dbDir,
    TABLE_NAME: tableName,
    PORT: String(port),
    HOST: '127.0.0.1',
    LLM_BASE_URL: '',
    REDIS_URL: '',
    LOG_LEVEL: 'warn',
    RATE_LIMIT_IP_BURST: '1000000',
    RATE_LIMIT_IP_PER_MINUTE: '1000000',
    ANSWER_CACHE: 'true',
    // All 16 clients admitted (the defaults shed past twice the answer concurrency, and past 4 waiting model
    // calls): latency, not shedding, is measured here (bench:overload measures shedding).
    ANSWER_MAX_QUEUE: '32',
    INFERENCE_MAX_QUEUE: '64',
  };
  // The compiled service, as the production image runs it (from source, tsx transpiles in the main thread and in
  // each model worker: about 550 MB more RSS). `--source` runs src/main.ts instead.
  const args = fromSource ? ['--import', 'tsx', 'src/main.ts'] : ['dist/app/src/main.js'];
  // The server's log (warnings and errors) goes beside the table, so a failed request can be looked up.
  const logFile = `${dbDir}-server.log`;
  const child: ChildProcess = spawn(process.execPath, args, { env, stdio: ['ignore', openSync(logFile, 'w'), 'inherit'] });
  const url = `http://127.0.0.1:${port}`;
  for (let attempt = 0; attempt < 600; attempt++) {
    if (await fetch(`${url}/readyz`).then((response) => response.ok, () => false)) break;
    if (child.exitCode !== null) throw new Error(`the server exited with ${child.exitCode}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return {
    url,
    logFile,
    /** Resident memory of the server process, now and at its peak (Linux /proc). */
    memory: async () => {
      const status = await readFile(`/proc/${child.pid}/status`, 'utf8').catch(() => '');
      const kb = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1] ?? Number.NaN);
      return { rssMb: round(kb('VmRSS') / 1024), peakRssMb: round(kb('VmHWM') / 1024) };
    },
    stop: async () => {
      child.kill('SIGTERM');
      await new Promise((resolve) => (child.exitCode !== null ? resolve(null) : child.once('exit', resolve)));
    },
  };
}

type Summary = ReturnType<typeof summarize>;
function print(report: { rows: number; baseRows: number; vectorIndex: boolean; reference: Record<string, Summary>; sequential: Awaited<ReturnType<typeof load>>; concurrent: Awaited<ReturnType<typeof load>>; cacheHits: Summary; memory: { rssMb: number; peakRssMb: number } }) {
  const cell = (s: Summary) => (s.n ? `${s.p50} / ${s.p95} / ${s.p99}` : '–');
  console.log(`\n## ${report.rows} rows (${report.baseRows} embedded, the rest replicas; vector search ${report.vectorIndex ? 'through the IVF-HNSW-SQ index' : 'flat'})`);
  console.log('reference (raw, sequential)      p50 / p95 / p99 ms');
  for (const [name, summary] of Object.entries(report.reference)) console.log(`  ${name.padEnd(30)} ${cell(summary)}`);
  const referenceP50 = Object.values(report.reference).reduce((sum, summary) => sum + summary.p50, 0);
  console.log(`  ${'sum of p50s'.padEnd(30)} ${round(referenceP50)}`);
  console.log(`stage                            conc 1 p50 / p95 / p99 ms      conc 16 p50 / p95 / p99 ms`);
  for (const stage of STAGES) console.log(`  ${stage.replace(/Ms$/, '').padEnd(30)} ${cell(report.sequential.stages[stage]).padEnd(30)} ${cell(report.concurrent.stages[stage])}`);
  console.log(`  ${'client (HTTP included)'.padEnd(30)} ${cell(report.sequential.client).padEnd(30)} ${cell(report.concurrent.client)}`);
  console.log(`  ${'requests/s'.padEnd(30)} ${String(report.sequential.requestsPerSecond).padEnd(30)} ${report.concurrent.requestsPerSecond}`);
  console.log(`  ${'failed / shed (503)'.padEnd(30)} ${`${report.sequential.failures} / ${report.sequential.shed}`.padEnd(30)} ${report.concurrent.failures} / ${report.concurrent.shed}`);
  for (const run of [report.sequential, report.concurrent]) for (const [kind, count] of Object.entries(run.failureKinds)) console.log(`  failed at concurrency ${run.concurrency} with ${kind}: ${count}`);
  console.log(`answer-cache hits: ${cell(report.cacheHits)} ms (n=${report.cacheHits.n}); server RSS ${report.memory.rssMb} MB (peak ${report.memory.peakRssMb} MB)`);
  console.log(`ratio to the reference: client p50 ${round(report.sequential.client.p50 / referenceP50)}×, p99 ${round(report.sequential.client.p99 / referenceP50)}× the raw p50 sum at concurrency 1`);
}
