/**
 * `npm run bench:workspaces [-- --share 0.5,1 --rounds 2 --servers before=/tmp/old-checkout,after=.]`: one noisy
 * workspace must not starve another. A server process (extractive mode, the sample knowledge base in workspace
 * A = `default` and in workspace B, answer cache off) is measured in one run: B alone (one client, closed loop)
 * gives B's idle p99; then A gets 10× its sustainable rate (open loop, many client addresses) while B's client
 * asks as before. Reported: B's p99 under A's overload over B's idle p99 (target ≤ 1.5), and what A got.
 *
 * A's sustainable rate (a closed loop of 4 clients on A) is measured in the first run only, or given (`--rate`,
 * the offered req/s): every later run offers the same load, so runs compare. Each share, each server checkout
 * (`--servers`: the code under test, e.g. the previous commit's `git archive` beside this one) and each round
 * runs on a fresh server, the checkouts alternating within a round, so a shared machine's load drifts over both
 * alike; the spread over rounds is the noise. Load generator and server share the machine's cores: each run reports
 * how many each part used (server, its event loop, generator, B's client, everyone else) and the load average.
 * `--rate 36,725` runs several offered rates (decomposition), `--profile DIR` writes each server's CPU profile.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import http from 'node:http';
import { cp, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../src/config/config.js';
import { hashKey } from '../src/http/access.js';
import { loadEmbeddingSpaces } from '../src/embed/load-embedder.js';
import { ingestKnowledgeBase } from '../src/ingest-knowledge-base.js';
import { workspaceConfig } from '../src/workspaces/workspace-config.js';
import { percentile, round as tenth, summarize } from './stats.js';

const { values } = parseArgs({
  options: {
    share: { type: 'string', default: '0.5' },
    seconds: { type: 'string', default: '12' },
    rounds: { type: 'string', default: '1' },
    servers: { type: 'string', default: 'this=.' },
    // A's offered req/s, or several (comma-separated: each runs in every round, e.g. A's admitted load alone beside the flood).
    rate: { type: 'string' },
    // A folder kept between invocations: its tables are ingested once (ingesting the sample twice takes minutes on a busy machine).
    data: { type: 'string' },
    // A's offered rate as a multiple of its sustainable rate: 10 is the target's definition; others decompose it
    // (0.5: A's admitted answers without a refused flood).
    factor: { type: 'string', default: '10' },
    // A folder for each server's CPU profile (node --cpu-prof): where its event loop's time went.
    profile: { type: 'string' },
    // The load generator's niceness while it floods (decomposition only: how much of B's loss is the generator's CPU).
    'generator-nice': { type: 'string' },
  },
});
const factor = Number(values.factor);
const shares = values.share!.split(',').map(Number);
const seconds = Number(values.seconds);
const rounds = Number(values.rounds);
const servers = values.servers!.split(',').map((entry) => {
  const [label, checkout] = entry.includes('=') ? entry.split('=') : [entry, entry];
  return { label, cwd: path.resolve(checkout) };
});
const dir = values.data ? path.resolve(values.data) : await mkdtemp(path.join(os.tmpdir(), 'kefu-bench-workspaces-'));
const ingested = values.data !== undefined && existsSync(path.join(dir, 'db'));
const port = 3950 + (process.pid % 40);
const keys = { a: 'kefu_bench_ws_a_0123456789abcdefghijklmn', b: 'kefu_bench_ws_b_0123456789abcdefghijklmn', ops: 'kefu_bench_ws_ops_0123456789abcdefghijkl' };
const apiKeys = [
  { id: 'a', sha256: hashKey(keys.a), scopes: ['widget'], origins: [] },
  { id: 'b', sha256: hashKey(keys.b), scopes: ['widget'], origins: [], workspace: 'b' },
  { id: 'ops', sha256: hashKey(keys.ops), scopes: ['operator'], origins: [] },
];
const base = `http://127.0.0.1:${port}`;
const questions = (await readFile('eval/dev-set.jsonl', 'utf8'))
  .split('\n')
  .filter(Boolean)
  .map((line) => (JSON.parse(line) as { text: string }).text);

/** One question; a connection error counts as status 0 (reported with the other failures). */
const ask = async (key: string, index: number, intended: number) => {
  try {
    const response = await fetch(`${base}/v1/ask`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': key, 'x-forwarded-for': `198.51.100.${index % 250}` },
      body: JSON.stringify({ question: questions[index % questions.length] }),
    });
    await response.arrayBuffer();
    return { status: response.status, ms: performance.now() - intended };
  } catch {
    return { status: 0, ms: performance.now() - intended };
  }
};

/**
 * Workspace A's requests, open loop: node:http over keep-alive connections, the request bytes made once. The load
 * generator stands for the network and the flood's clients, which are not on the server's machine; it shares the
 * server's two cores here, so it should take no more of them than sending and reading the requests needs.
 * `fetch` (WHATWG streams over undici) cost 0.6 ms of CPU per request, a third of a core at 580 req/s.
 */
const agent = new http.Agent({ keepAlive: true });
const bodies = questions.map((question) => Buffer.from(JSON.stringify({ question })));
const askA = (index: number, intended: number) =>
  new Promise<{ status: number; ms: number }>((resolve) => {
    const body = bodies[index % bodies.length]!;
    const headers = { 'content-type': 'application/json', 'content-length': body.length, 'x-api-key': keys.a, 'x-forwarded-for': `198.51.100.${index % 250}` };
    const request = http.request({ host: '127.0.0.1', port, path: '/v1/ask', method: 'POST', agent, headers }, (response) => {
      response.resume();
      response.on('end', () => resolve({ status: response.statusCode ?? 0, ms: performance.now() - intended }));
      response.on('error', () => resolve({ status: 0, ms: performance.now() - intended }));
    });
    request.on('error', () => resolve({ status: 0, ms: performance.now() - intended }));
    request.end(body);
  });

/** CPU seconds a process has used (user + system, all its threads: LanceDB's pool is in the server's). */
const cpuOf = (pid: number | undefined, thread?: number): number => {
  if (!pid) return Number.NaN;
  try {
    const fields = readFileSync(thread ? `/proc/${pid}/task/${thread}/stat` : `/proc/${pid}/stat`, 'utf8')
      .split(') ')[1]!
      .split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return Number.NaN;
  }
};
/** CPU seconds the whole machine has used, every process (others' work included): what the cores had to give. */
const machineBusy = (): number => {
  const [, ...ticks] = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).map(Number);
  return (ticks.reduce((sum, tick) => sum + tick, 0) - ticks[3]! - ticks[4]!) / 100;
};
/**
 * Where the cores went during one phase, in cores (CPU seconds per second): the server (its threads), the load
 * generator (this process), B's client, and the rest of the machine (other people's work).
 */
const cpuMeter = (pids: { server?: number; b?: number }) => {
  // The server's main thread (its thread id is its pid) is the event loop: the rest is LanceDB's pool, GC and libuv.
  const started = { at: performance.now(), server: cpuOf(pids.server), loop: cpuOf(pids.server, pids.server), b: cpuOf(pids.b), self: process.cpuUsage(), machine: machineBusy() };
  return () => {
    const seconds = (performance.now() - started.at) / 1000;
    const self = process.cpuUsage(started.self);
    const server = (cpuOf(pids.server) - started.server) / seconds;
    const loop = (cpuOf(pids.server, pids.server) - started.loop) / seconds;
    const b = (cpuOf(pids.b) - started.b) / seconds;
    const generator = (self.user + self.system) / 1e6 / seconds;
    const machine = (machineBusy() - started.machine) / seconds;
    const cores = (value: number) => Math.round(value * 100) / 100;
    return { server: cores(server), serverLoop: cores(loop), generator: cores(generator), bClient: cores(b), rest: cores(machine - server - generator - b) };
  };
};

/**
 * One client asking workspace B back to back until `stop()`, in a process of its own: the load generator's busy
 * event loop must not delay B's requests or their timing.
 */
function workspaceBClient() {
  const script = `
    const questions = ${JSON.stringify(questions)};
    const results = [];
    let running = true;
    // Stop when told, when the bench that started it is gone (its pipe ends), or when the server is gone: a client left
    // behind would otherwise spin on refused connections and take a core from whatever runs next.
    process.stdin.on('data', () => (running = false));
    process.stdin.on('end', () => (running = false));
    let refusedInARow = 0;
    for (let index = 0; running && refusedInARow < 50; index++) {
      const sent = performance.now();
      try {
        const response = await fetch('${base}/v1/ask', { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': '${keys.b}' }, body: JSON.stringify({ question: questions[(index * 7) % questions.length] }) });
        const text = await response.text();
        let timings;
        try { timings = JSON.parse(text).timings; } catch {}
        results.push({ status: response.status, ms: performance.now() - sent, timings });
        refusedInARow = 0;
      } catch {
        results.push({ status: 0, ms: performance.now() - sent });
        refusedInARow++;
      }
    }
    // Exit once the pipe has taken it all: a quiet machine's run is long enough that an exit right after write cut it.
    process.stdout.write(JSON.stringify(results), () => process.exit(0));
  `;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['pipe', 'pipe', 'inherit'] });
  let output = '';
  child.stdout!.on('data', (chunk) => (output += chunk));
  const done = new Promise<{ status: number; ms: number; timings?: Record<string, number> }[]>((resolve) => child.on('exit', () => resolve(JSON.parse(output || '[]'))));
  return {
    pid: child.pid,
    stop: async () => {
      child.stdin!.write('stop');
      return done;
    },
  };
}

const env = {
  ...process.env,
  DB_DIR: path.join(dir, 'db'),
  STATE_LOG_DIR: path.join(dir, 'logs'),
  WORKSPACES_DIR: path.join(dir, 'workspaces'),
  PORT: String(port),
  HOST: '127.0.0.1',
  LOG_LEVEL: 'silent',
  ANSWER_CACHE: 'false',
  // The workspaces' isolation is measured, not multilingual retrieval: the sample is Chinese and English, and the
  // multilingual model's own process would be one more tenant of the two cores.
  EMBEDDING_MODEL_MULTI: 'none',
  TRUST_PROXY: 'loopback',
  RATE_LIMIT_IP_BURST: '1000000',
  RATE_LIMIT_IP_PER_MINUTE: '1000000',
  RATE_LIMIT_KEY_BURST: '1000000',
  RATE_LIMIT_KEY_PER_MINUTE: '1000000',
  RATE_LIMIT_KEY_CEILING_BURST: '1000000',
  RATE_LIMIT_KEY_CEILING_PER_MINUTE: '1000000',
  API_KEYS: JSON.stringify(apiKeys),
};
let server: ChildProcess | undefined;
try {
  // The sample knowledge base in both workspaces' tables.
  if (!ingested) {
    const config = loadConfig(env);
    const embedders = await loadEmbeddingSpaces(config);
    await ingestKnowledgeBase(config, embedders);
    const b = workspaceConfig(config, { id: 'b', settings: {} });
    await cp('knowledge', b.KNOWLEDGE_DIR, { recursive: true });
    await ingestKnowledgeBase(workspaceConfig(config, { id: 'b', settings: {} }), embedders);
  }

  const report: Record<string, unknown>[] = [];
  const rates = values.rate ? values.rate.split(',').map(Number) : [undefined];
  let measured: number | undefined;
  const runs = Array.from({ length: rounds }, (_, round) => rates.flatMap((offered) => shares.flatMap((share) => servers.map((checkout) => ({ round, offered, share, checkout }))))).flat();
  for (const { round, offered, share, checkout } of runs) {
    let rate = offered ?? measured;
    // Every run starts with empty answer logs: each answer appends to them, and every 500 appends a log file is
    // compacted on the event loop (read whole, filtered, written again: 0.1–0.3 s at 33k lines). Kept between runs,
    // they grew with every run, so later runs stalled longer, idle or not, whichever checkout they were.
    for (const file of await readdir(path.join(dir, 'logs')).catch(() => [] as string[]))
      if (/(^|:)(interactions|unanswered)\.jsonl$/.test(file)) await rm(path.join(dir, 'logs', file), { force: true });
    server = spawn(process.execPath, [...(values.profile ? ['--cpu-prof', `--cpu-prof-dir=${path.resolve(values.profile)}`] : []), '--import', 'tsx', 'src/main.ts'], {
      cwd: checkout.cwd,
      env: { ...env, MODELS_DIR: path.resolve('models'), WORKSPACE_ANSWER_SHARE: String(share), LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    server.stderr!.on('data', (chunk: Buffer) => process.stderr.write(chunk));
    // Up to 10 minutes: a server loading its models on a busy shared machine can take minutes.
    for (let attempt = 0; attempt < 3000; attempt++) {
      if (
        await fetch(`${base}/readyz`).then(
          (response) => response.ok,
          () => false,
        )
      )
        break;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    const created = await fetch(`${base}/v1/admin/workspaces`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': keys.ops },
      body: JSON.stringify({ id: 'b', name: 'B' }),
    });
    if (created.status !== 201 && created.status !== 409) throw new Error(`creating workspace b: ${created.status} ${await created.text()}`);
    // Warm-up: both workspaces built and their first answers given.
    for (let index = 0; index < 10; index++) await Promise.all([ask(keys.a, index, performance.now()), ask(keys.b, index, performance.now())]);

    // B alone.
    const uptime = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
    const loadBefore = uptime();
    const idle = workspaceBClient();
    const idleMeter = cpuMeter({ server: server.pid, b: idle.pid });
    await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
    const idleCpu = idleMeter();
    const idleResults = await idle.stop();

    // A's sustainable rate, the first time: 4 clients in a closed loop for 8 s. Later runs offer the same load.
    if (rate === undefined) {
      let answered = 0;
      const until = performance.now() + 8000;
      await Promise.all(
        Array.from({ length: 4 }, async (_, client) => {
          for (let index = client; performance.now() < until; index += 4) if ((await askA(index, performance.now())).status === 200) answered++;
        }),
      );
      rate = measured = (answered / 8) * factor;
    }

    // A at 10× in an open loop, B's client as before.
    const loaded = workspaceBClient();
    const loadedMeter = cpuMeter({ server: server.pid, b: loaded.pid });
    const priority = os.getPriority();
    if (values['generator-nice']) os.setPriority(Number(values['generator-nice']));
    const a: { status: number; ms: number }[] = [];
    const pending: Promise<void>[] = [];
    const start = performance.now();
    for (let index = 0; index < rate * seconds; index++) {
      const intended = start + (index * 1000) / rate;
      const wait = intended - performance.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      pending.push(
        askA(index, intended).then(
          (result) => void a.push(result),
          () => void a.push({ status: 0, ms: performance.now() - intended }),
        ),
      );
    }
    const sentSeconds = (performance.now() - start) / 1000;
    await Promise.all(pending);
    const loadedCpu = loadedMeter();
    os.setPriority(priority);
    const loadedResults = await loaded.stop();

    const ok = (results: { status: number; ms: number }[]) => results.filter((result) => result.status === 200).map((result) => result.ms);
    /** Non-200 answers by status (0: connection error). */
    const failures = (results: { status: number }[]) => {
      const counts: Record<string, number> = {};
      for (const result of results) if (result.status !== 200) counts[result.status] = (counts[result.status] ?? 0) + 1;
      return counts;
    };
    const bIdle = summarize(ok(idleResults));
    const bLoaded = summarize(ok(loadedResults));
    const ratio = Math.round((bLoaded.p99 / bIdle.p99) * 100) / 100;
    /**
     * Where B's time goes, idle and under load: the answer's own stages (its `timings`), and what is outside them
     * (`outsideMs`: the HTTP exchange, the dispatcher, admission, the event loop's queue before and after).
     */
    const stages = (results: { status: number; ms: number; timings?: Record<string, number> }[]) => {
      const answered = results.filter((result) => result.status === 200 && result.timings);
      const keys = ['queueMs', 'classifyMs', 'curatedMs', 'embedMs', 'vectorMs', 'fullTextMs', 'decideMs', 'extractMs', 'totalMs'];
      const of = (values: number[]) => `${tenth(percentile(values, 50))}/${tenth(percentile(values, 99))}`;
      return [
        ...keys.filter((key) => answered.some((result) => result.timings![key] !== undefined)).map((key) => `${key} ${of(answered.map((result) => result.timings![key] ?? 0))}`),
        `outsideMs ${of(answered.map((result) => result.ms - (result.timings!.totalMs ?? 0)))}`,
      ].join(', ');
    };
    const entry = {
      server: checkout.label,
      round: round + 1,
      share,
      offeredA: Math.round(rate),
      // What the generator kept up with: the requests over the time it took to send them.
      sentA: Math.round((rate * seconds) / sentSeconds),
      aAdmitted: summarize(ok(a)),
      aRefused: failures(a),
      bIdle,
      bUnderLoad: bLoaded,
      bFailed: failures(loadedResults),
      ratioP99: ratio,
      cpuIdle: idleCpu,
      cpuUnderLoad: loadedCpu,
      loadAverage: { before: loadBefore, after: uptime() },
    };
    report.push(entry);
    console.log(
      `${checkout.label}, round ${round + 1}, share ${share}: A offered ${entry.offeredA} req/s (sent ${entry.sentA}) for ${seconds} s: ${entry.aAdmitted.n} admitted (p99 ${entry.aAdmitted.p99} ms), refused ${JSON.stringify(entry.aRefused)}`,
    );
    console.log(
      `  B idle p99 ${bIdle.p99} ms (p50 ${bIdle.p50}, n ${bIdle.n}); under A's overload p99 ${bLoaded.p99} ms (p50 ${bLoaded.p50}, n ${bLoaded.n}), failed ${JSON.stringify(entry.bFailed)}; ratio ${ratio} (target ≤ 1.5)`,
    );
    console.log(`  B's stages p50/p99, idle: ${stages(idleResults)}`);
    console.log(`  B's stages p50/p99, under load: ${stages(loadedResults)}`);
    console.log(`  cores used, idle: ${JSON.stringify(idleCpu)}; under load: ${JSON.stringify(loadedCpu)}; load average ${loadBefore} → ${entry.loadAverage.after}`);
    server.kill('SIGTERM');
    await new Promise((resolve) => server!.once('exit', resolve));
    server = undefined;
  }
  // The spread over rounds: how much of a difference between checkouts the machine's noise could explain.
  for (const offered of new Set(report.map((entry) => entry.offeredA)))
    for (const share of shares)
      for (const checkout of servers) {
        const ratios = report.filter((entry) => entry.offeredA === offered && entry.share === share && entry.server === checkout.label).map((entry) => entry.ratioP99 as number);
        console.log(
          `${checkout.label}, A offered ${offered} req/s, share ${share}: B p99 ratio over ${ratios.length} round(s): ${ratios.join(', ')} (min ${Math.min(...ratios)}, max ${Math.max(...ratios)})`,
        );
      }
  console.log(JSON.stringify(report));
} finally {
  server?.kill('SIGTERM');
  if (!values.data) await rm(dir, { recursive: true, force: true });
}
