/**
 * `npm run bench:ask` (no --scale): latency of POST /v1/ask over real HTTP on the sample knowledge base.
 * Scenarios: extractive mode (no LLM) and generated mode against the vLLM test double (a local
 * OpenAI-compatible server streaming ~30 tokens at 2 ms each — it measures our overhead, not a model).
 * For each: retrieval-stage and whole-request p50/p95/p99 at concurrency 1 and 16, and requests/s.
 * Then: cache hits (every question answered once before measuring), and one vs two replicas as separate
 * server processes sharing Redis (REDIS_URL, default redis://127.0.0.1:6379; skipped if unreachable).
 * Load generator and servers share the machine's cores.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { Redis } from 'ioredis';
import type { AddressInfo } from 'node:net';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { OpenAiChatModel } from '../src/answer/chat-model.js';
import { loadConfig } from '../src/config/config.js';
import { loadEmbeddingSpaces } from '../src/embed/load-embedder.js';
import { ingestKnowledgeBase } from '../src/ingest-knowledge-base.js';
import { createLogger } from '../src/log.js';
import { buildService, type Service } from '../src/service.js';
import { identifyLanguage } from '../src/text/language.js';
import { FakeVllmServer } from '../test/support/fake-vllm-server.js';
import { round, summarize } from './stats.js';

const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 160);
const dir = await mkdtemp(path.join(os.tmpdir(), 'kefu-bench-ask-'));
// Rate limits high: the benchmark is one client IP sending thousands of requests on purpose.
const config = loadConfig({ ...process.env, DB_DIR: dir, LOG_LEVEL: 'silent', RATE_LIMIT_IP_BURST: '1000000', RATE_LIMIT_IP_PER_MINUTE: '1000000', ANSWER_CACHE: 'false' });
const embedders = await loadEmbeddingSpaces(config);
await ingestKnowledgeBase(config, embedders);
const questions = (await readFile('eval/dev-set.jsonl', 'utf8'))
  .split('\n')
  .filter(Boolean)
  .map((line) => (JSON.parse(line) as { text: string }).text);

async function measure(service: Service, concurrency: number, stream: boolean) {
  const server = service.app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const result = await load([`http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/ask`], concurrency, stream);
  server.close();
  return result;
}

/** Sends REQUESTS questions round-robin over `urls` from `concurrency` workers. */
async function load(urls: string[], concurrency: number, stream: boolean) {
  const total: number[] = [];
  const retrieve: number[] = [];
  let next = 0;
  let failures = 0;
  let shed = 0;
  const started = performance.now();
  const worker = async () => {
    while (next < REQUESTS) {
      const index = next++;
      const question = questions[index % questions.length];
      const url = urls[index % urls.length];
      const requestStarted = performance.now();
      const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ question, stream }) });
      const text = await response.text();
      // 503 is load shedding (more clients than ANSWER_CONCURRENCY + ANSWER_MAX_QUEUE), counted apart.
      if (response.status === 503) {
        shed++;
        continue;
      }
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
  return { concurrency, requests: total.length, failures, shed, requestsPerSecond: round(total.length / seconds), retrieveMs: summarize(retrieve), totalMs: summarize(total) };
}

const llm = await new FakeVllmServer().start();
const logger = createLogger('silent');
const scenarios: Record<string, Service> = {
  extractive: await buildService(config, logger, { embedders, chatModel: null }),
  'test-llm (streamed)': await buildService(config, logger, {
    embedders,
    chatModel: new OpenAiChatModel({ baseURL: llm.baseURL, apiKey: 'x', model: config.LLM_MODEL, timeoutMs: 30_000, firstTokenTimeoutMs: 15_000 }),
  }),
};
// Warm-up: tokenizer, model graph and LanceDB caches.
for (const service of Object.values(scenarios)) await measure(service, 2, false);

const results: Record<string, unknown>[] = [];
console.log(`${REQUESTS} requests per run, model ${config.EMBEDDING_MODEL}\n`);
console.log('scenario                 conc  req/s   retrieve p50/p95/p99 ms   total p50/p95/p99 ms');

async function report(name: string, result: Awaited<ReturnType<typeof load>>, concurrency: number) {
  results.push({ scenario: name, ...result });
  const r = result.retrieveMs;
  const t = result.totalMs;
  const retrieve = r.n ? `${r.p50} / ${r.p95} / ${r.p99}` : '(cached: none)';
  console.log(`${name.padEnd(24)} ${String(concurrency).padStart(4)}  ${String(result.requestsPerSecond).padStart(5)}   ${retrieve.padEnd(24)}  ${t.p50} / ${t.p95} / ${t.p99}${result.failures ? `  (${result.failures} failed)` : ''}${result.shed ? `  (${result.shed} shed with 503)` : ''}`);
}

async function measureAll(name: string, service: Service) {
  for (const concurrency of [1, 16]) await report(name, await measure(service, concurrency, name.startsWith('test-llm')), concurrency);
}

for (const [name, service] of Object.entries(scenarios)) await measureAll(name, service);

// By the question's language, one at a time in extractive mode: Chinese and English (the dev set) beside questions
// in languages the knowledge base is not written in (test/fixtures/language), which are searched in the
// multilingual space instead of the English one. Embedding calls per question are counted from the models.
{
  const byLanguage: Record<string, string[]> = { zh: [], en: [], other: [] };
  for (const question of questions) byLanguage[identifyLanguage(question) === 'zh' ? 'zh' : 'en'].push(question);
  const fixture = JSON.parse(await readFile('test/fixtures/language/short-questions.json', 'utf8')) as Record<string, string[]>;
  for (const [lang, texts] of Object.entries(fixture)) if (lang !== 'zh' && lang !== 'en') byLanguage.other.push(...texts);
  let calls = 0;
  const counted = embedders.map((embedder) => ({
    ...embedder,
    modelKey: embedder.modelKey,
    dimension: embedder.dimension,
    maxEmbeddingsPerCall: embedder.maxEmbeddingsPerCall,
    countTokens: (text: string) => embedder.countTokens(text),
    embedQuery: (text: string) => (calls++, embedder.embedQuery(text)),
    embedPassages: (texts: string[]) => (calls++, embedder.embedPassages(texts)),
  }));
  const service = await buildService(config, logger, { embedders: counted, chatModel: null });
  console.log('\nquestion language        n    total p50/p95 ms   embedding calls per question');
  for (const [lang, texts] of Object.entries(byLanguage)) {
    const times: number[] = [];
    calls = 0;
    for (const question of texts) {
      const started = performance.now();
      for await (const _event of service.answers.answer({ question })) void _event;
      times.push(performance.now() - started);
    }
    const t = summarize(times);
    results.push({ scenario: `extractive, ${lang} questions`, questions: texts.length, totalMs: t, embeddingCallsPerQuestion: round(calls / texts.length) });
    console.log(`${lang.padEnd(24)} ${String(texts.length).padStart(3)}    ${`${t.p50} / ${t.p95}`.padEnd(18)} ${round(calls / texts.length)}`);
  }
  await service.close();
}

// Cache hits: every question has been answered once, so each request is served from the answer cache.
const cached = await buildService(loadConfig({ ...process.env, DB_DIR: dir, LOG_LEVEL: 'silent', RATE_LIMIT_IP_BURST: '1000000', RATE_LIMIT_IP_PER_MINUTE: '1000000' }), logger, { embedders, chatModel: null });
for (const question of questions) for await (const _event of cached.answers.answer({ question })) void _event;
await measureAll('extractive, cache hits', cached);
await cached.close();

// Replicas: separate server processes sharing Redis (sessions, rate limits), answer cache off so both do real work.
const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
if (await redisReachable(redisUrl)) {
  const prefix = `kefu-bench-${Date.now()}:`;
  const one = await startReplicas(1, redisUrl, prefix);
  await report('1 replica + Redis', await load(one.urls, 16, false), 16);
  await one.stop();
  const two = await startReplicas(2, redisUrl, prefix);
  await report('2 replicas + Redis', await load(two.urls, 16, false), 16);
  await two.stop();
} else console.log(`(replica scenarios skipped: no Redis at ${redisUrl})`);

console.log(JSON.stringify(results));
await llm.stop();
for (const service of Object.values(scenarios)) await service.close();
await rm(dir, { recursive: true, force: true });

async function redisReachable(url: string): Promise<boolean> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, connectTimeout: 1000, retryStrategy: () => null });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    return (await redis.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    redis.disconnect();
  }
}

/** Starts `count` API processes (extractive mode) on the benchmark's database, sharing Redis. */
async function startReplicas(count: number, redisUrl: string, prefix: string) {
  const children: ChildProcess[] = [];
  const urls: string[] = [];
  for (let index = 0; index < count; index++) {
    const port = 3900 + index;
    const env = { ...process.env, DB_DIR: dir, PORT: String(port), HOST: '127.0.0.1', REDIS_URL: redisUrl, REDIS_KEY_PREFIX: prefix, LOG_LEVEL: 'warn', LLM_BASE_URL: '', RATE_LIMIT_IP_BURST: '1000000', RATE_LIMIT_IP_PER_MINUTE: '1000000', ANSWER_CACHE: 'false' };
    children.push(spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], { env, stdio: ['ignore', 'ignore', 'inherit'] }));
    urls.push(`http://127.0.0.1:${port}/v1/ask`);
  }
  for (const url of urls) {
    const ready = url.replace('/v1/ask', '/readyz');
    for (let attempt = 0; attempt < 200; attempt++) {
      if (await fetch(ready).then((response) => response.ok, () => false)) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  // Warm-up of each process.
  await load(urls, 2, false);
  return {
    urls,
    stop: async () => {
      for (const child of children) child.kill('SIGTERM');
      await Promise.all(children.map((child) => new Promise((resolve) => (child.exitCode !== null ? resolve(null) : child.once('exit', resolve)))));
    },
  };
}
