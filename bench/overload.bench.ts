/**
 * `npm run bench:overload`: what happens past capacity. A server process (extractive mode, sample
 * knowledge base) first gets a closed loop of 4 clients to find its sustainable rate; then an open loop
 * sends 10× that rate for 10 s from many client addresses (X-Forwarded-For through a trusted loopback
 * proxy). Admitted requests should keep their latency and refused ones (503 + Retry-After) should be
 * answered at once, instead of everything queueing. Latency is measured from the intended send time, so
 * a stalled sender does not hide queueing. Load generator and server share the machine's cores.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../src/config/config.js';
import { inferenceLayout, loadEmbeddingSpaces } from '../src/embed/load-embedder.js';
import { ingestKnowledgeBase } from '../src/ingest-knowledge-base.js';
import { summarize } from './stats.js';

const dir = await mkdtemp(path.join(os.tmpdir(), 'kefu-bench-overload-'));
const port = 3900 + (process.pid % 50);
let server: ChildProcess | undefined;
try {
  const env = { ...process.env, DB_DIR: dir, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'silent', ANSWER_CACHE: 'false', TRUST_PROXY: 'loopback', RATE_LIMIT_IP_BURST: '1000000', RATE_LIMIT_IP_PER_MINUTE: '1000000' };
  const config = loadConfig(env);
  await ingestKnowledgeBase(config, await loadEmbeddingSpaces(config));
  server = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], { env, stdio: 'ignore' });
  const base = `http://127.0.0.1:${port}`;
  for (let attempt = 0; attempt < 300; attempt++) {
    if (await fetch(`${base}/readyz`).then((response) => response.ok, () => false)) break;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  const questions = (await readFile('eval/dev-set.jsonl', 'utf8')).split('\n').filter(Boolean).map((line) => (JSON.parse(line) as { text: string }).text);
  const ask = async (index: number, intended: number) => {
    const response = await fetch(`${base}/v1/ask`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-forwarded-for': `198.51.100.${index % 250}` }, body: JSON.stringify({ question: questions[index % questions.length] }) });
    await response.arrayBuffer();
    return { status: response.status, ms: performance.now() - intended };
  };

  // Sustainable rate: answers (200s) per second from 4 clients in a closed loop for 8 s.
  let done = 0;
  const until = performance.now() + 8000;
  await Promise.all(Array.from({ length: 4 }, async (_, client) => {
    for (let index = client; performance.now() < until; index += 4) {
      if ((await ask(index, performance.now())).status === 200) done++;
    }
  }));
  const sustainable = done / 8;

  // Overload: open loop at 10× for 10 s.
  const rate = sustainable * 10;
  const results: { status: number; ms: number }[] = [];
  const pending: Promise<void>[] = [];
  const start = performance.now();
  for (let index = 0; index < rate * 10; index++) {
    const intended = start + (index * 1000) / rate;
    const wait = intended - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    pending.push(ask(index, intended).then((result) => void results.push(result), () => void results.push({ status: 0, ms: performance.now() - intended })));
  }
  await Promise.all(pending);
  const admitted = results.filter((result) => result.status === 200).map((result) => result.ms);
  const refused = results.filter((result) => result.status === 503).map((result) => result.ms);
  const other = results.filter((result) => result.status !== 200 && result.status !== 503).length;
  const a = summarize(admitted);
  const r = summarize(refused);
  console.log(`sustainable: ${sustainable.toFixed(1)} req/s (4 clients, closed loop)`);
  console.log(`offered:     ${rate.toFixed(0)} req/s for 10 s (10×); MAX_IN_FLIGHT ${config.MAX_IN_FLIGHT}, INFERENCE_CONCURRENCY ${inferenceLayout(config, true).concurrency}, INFERENCE_MAX_QUEUE ${config.INFERENCE_MAX_QUEUE}`);
  console.log(`admitted:    ${a.n} (p50 ${a.p50} ms, p99 ${a.p99} ms from intended send)`);
  console.log(`refused 503: ${r.n} (p50 ${r.p50} ms, p99 ${r.p99} ms)`);
  console.log(`other:       ${other}`);
  console.log(JSON.stringify({ sustainable, offered: rate, admitted: a, refused: r, other }));
} finally {
  server?.kill('SIGTERM');
  await rm(dir, { recursive: true, force: true });
}
