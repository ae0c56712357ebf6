/**
 * `npm run bench:ask`: latency of POST /v1/ask over real HTTP on the sample knowledge base.
 * Scenarios: extractive mode (no LLM) and generated mode against the vLLM test double (a local
 * OpenAI-compatible server streaming ~30 tokens at 2 ms each — it measures our overhead, not a model).
 * For each: retrieval-stage and whole-request p50/p95/p99 at concurrency 1 and 16, and requests/s.
 * Load generator and server share this process and the machine's cores.
 */
import type { AddressInfo } from 'node:net';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { OpenAiChatModel } from '../src/answer/chat-model.js';
import { ProductLineClassifier, loadProductLineRules } from '../src/classify/product-lines.js';
import { loadConfig } from '../src/config/config.js';
import { loadEmbedder } from '../src/embed/load-embedder.js';
import { runIngestion } from '../src/ingest/run-ingestion.js';
import { createLogger } from '../src/log.js';
import { buildService, type Service } from '../src/service.js';
import { FakeVllmServer } from '../test/support/fake-vllm-server.js';
import { round, summarize } from './stats.js';

const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 160);
const dir = await mkdtemp(path.join(os.tmpdir(), 'kefu-bench-ask-'));
const config = loadConfig({ ...process.env, DB_DIR: dir, LOG_LEVEL: 'silent' });
const embedder = await loadEmbedder(config);
await runIngestion({
  source: config.KNOWLEDGE_DIR,
  dbDir: dir,
  tableName: config.TABLE_NAME,
  embedder,
  maxFileBytes: config.INGEST_MAX_FILE_BYTES,
  chunkMaxTokens: config.CHUNK_MAX_TOKENS,
  chunkOverlapTokens: config.CHUNK_OVERLAP_TOKENS,
  classifier: new ProductLineClassifier(await loadProductLineRules(config.PRODUCT_LINES_FILE)),
  exclude: [path.resolve(config.PRODUCT_LINES_FILE)],
});
const questions = (await readFile('eval/dev-set.jsonl', 'utf8'))
  .split('\n')
  .filter(Boolean)
  .map((line) => (JSON.parse(line) as { text: string }).text);

async function measure(service: Service, concurrency: number, stream: boolean) {
  const server = service.app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/ask`;
  const total: number[] = [];
  const retrieve: number[] = [];
  let next = 0;
  let failures = 0;
  const started = performance.now();
  const worker = async () => {
    while (next < REQUESTS) {
      const question = questions[next++ % questions.length];
      const requestStarted = performance.now();
      const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ question, stream }) });
      const text = await response.text();
      total.push(performance.now() - requestStarted);
      if (!response.ok) {
        failures++;
        continue;
      }
      const done = stream ? JSON.parse(/event: done\ndata: (.*)\n/.exec(text)?.[1] ?? '{}') : JSON.parse(text);
      if (done.timings?.retrieveMs !== undefined) retrieve.push(done.timings.retrieveMs);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const seconds = (performance.now() - started) / 1000;
  server.close();
  return { concurrency, requests: total.length, failures, requestsPerSecond: round(total.length / seconds), retrieveMs: summarize(retrieve), totalMs: summarize(total) };
}

const llm = await new FakeVllmServer().start();
const logger = createLogger('silent');
const scenarios: Record<string, Service> = {
  extractive: await buildService(config, logger, { embedder, chatModel: null }),
  'test-llm (streamed)': await buildService(config, logger, {
    embedder,
    chatModel: new OpenAiChatModel({ baseURL: llm.baseURL, apiKey: 'x', model: config.LLM_MODEL, timeoutMs: 30_000, firstTokenTimeoutMs: 15_000 }),
  }),
};
// Warm-up: tokenizer, model graph and LanceDB caches.
for (const service of Object.values(scenarios)) await measure(service, 2, false);

const results = [];
console.log(`${REQUESTS} requests per run, model ${config.EMBEDDING_MODEL}\n`);
console.log('scenario              conc  req/s   retrieve p50/p95/p99 ms   total p50/p95/p99 ms');
for (const [name, service] of Object.entries(scenarios)) {
  for (const concurrency of [1, 16]) {
    const result = { scenario: name, ...(await measure(service, concurrency, name !== 'extractive')) };
    results.push(result);
    const r = result.retrieveMs;
    const t = result.totalMs;
    console.log(`${name.padEnd(21)} ${String(concurrency).padStart(4)}  ${String(result.requestsPerSecond).padStart(5)}   ${`${r.p50} / ${r.p95} / ${r.p99}`.padEnd(24)}  ${t.p50} / ${t.p95} / ${t.p99}${result.failures ? `  (${result.failures} failed)` : ''}`);
  }
}
console.log(JSON.stringify(results));
await llm.stop();
for (const service of Object.values(scenarios)) await service.close();
await rm(dir, { recursive: true, force: true });
