/**
 * `npm run bench:ingest-under-load`: /v1/ask latency (extractive, sequential, over HTTP) while idle and
 * while a cold ingestion of the sample knowledge base runs through the admin path (a child process), as
 * a ratio to idle measured in the same run. The child shares the machine's cores, so the ratio shows CPU
 * contention; it can no longer show a blocked event loop.
 */
import type { AddressInfo } from 'node:net';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../src/config/config.js';
import { loadEmbeddingSpaces } from '../src/embed/load-embedder.js';
import { ingestKnowledgeBase } from '../src/ingest-knowledge-base.js';
import { IngestJobs } from '../src/ingest/jobs.js';
import { createLogger } from '../src/log.js';
import { buildService } from '../src/service.js';
import { summarize } from './stats.js';

const dir = await mkdtemp(path.join(os.tmpdir(), 'kefu-bench-ingest-load-'));
try {
  const config = loadConfig({ ...process.env, DB_DIR: path.join(dir, 'serving'), LOG_LEVEL: 'silent', ANSWER_CACHE: 'false', RATE_LIMIT_IP_BURST: '1000000', RATE_LIMIT_IP_PER_MINUTE: '1000000' });
  const embedders = await loadEmbeddingSpaces(config);
  await ingestKnowledgeBase(config, embedders);
  // The service loads its own models, in worker threads, as in production.
  const service = await buildService(config, createLogger('silent'), { chatModel: null });
  const server = service.app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/ask`;
  const questions = (await readFile('eval/dev-set.jsonl', 'utf8')).split('\n').filter(Boolean).map((line) => (JSON.parse(line) as { text: string }).text);
  const ask = async (question: string) => {
    const started = performance.now();
    const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ question }) });
    await response.arrayBuffer();
    return performance.now() - started;
  };

  const idle: number[] = [];
  for (let index = 0; index < 80; index++) idle.push(await ask(questions[index % questions.length]));
  // The same code path as POST /v1/admin/ingest, into a fresh table so the run is a cold one.
  const jobs = new IngestJobs({ config: { ...config, DB_DIR: path.join(dir, 'cold') }, state: service.state, logger: createLogger('silent') });
  const { id } = await jobs.start('ingest', { reason: 'bench' });
  let finished = false;
  void jobs.settled().then(() => (finished = true));
  const during: number[] = [];
  for (let index = 0; !finished; index++) during.push(await ask(questions[index % questions.length]));
  const summary = (await jobs.get(id))!.summary!;
  const a = summarize(idle);
  const b = summarize(during);
  console.log(`idle:            p50 ${a.p50} ms, p99 ${a.p99} ms (n ${a.n})`);
  console.log(`during ingest:   p50 ${b.p50} ms, p99 ${b.p99} ms (n ${b.n}); cold ingest of ${summary.chunksWritten} chunks took ${summary.seconds.toFixed(1)} s`);
  console.log(`ratio to idle:   p50 ${(b.p50 / a.p50).toFixed(2)}×, p99 ${(b.p99 / a.p99).toFixed(2)}×`);
  console.log(JSON.stringify({ idle: a, during: b, ratioP50: +(b.p50 / a.p50).toFixed(2), ratioP99: +(b.p99 / a.p99).toFixed(2) }));
  server.close();
  await service.close();
} finally {
  await rm(dir, { recursive: true, force: true });
}
