import path from 'node:path';
import { defineConfig, type TestProjectInlineConfiguration } from 'vitest/config';

// Four kinds of tests, run separately so the fast ones stay fast (`npm run test:unit`):
//   unit        — no model, no network; pure logic (seconds; `unit` and `unit-own-process:*`)
//   integration — the real embedding model, real LanceDB in temp dirs, real Redis, the vLLM test double
//   browser     — the real service driven through Debian's Chromium with playwright-core
//   chaos       — a fuzzer over the OpenAPI operations, ingestion killed with SIGKILL and rerun
//
// Two files at a time, then one at a time (docs/testing.md). Most integration and browser files spend their time in the
// serving path, whose model runs on one thread (half the cores), waiting on child processes, Chromium or sleeps: two of
// them share the 2-core machine well. vitest runs the projects that give each file a process of its own first, two
// files at a time (`parallel`); then, one after the other and with nothing beside them, the projects with one process
// (`singleFork`): the unit files, and every file that holds a timing window or reads its own process's CPU time or
// event-loop lag, which a neighbour's load would move.

// Unit files that keep a process of their own and run alone: they read the process's CPU time or event-loop lag
// (another file's leftovers, a bigger heap to collect, would add to the readings), hold the event loop for seconds (the
// shared worker then misses vitest's own messages), or mock a Node module (vi.mock would reach the files after them).
const UNIT_OWN_PROCESS = ['test/unit/hostile-mail-text.test.ts', 'test/unit/answer-stages.test.ts', 'test/unit/admission.test.ts', 'test/unit/log-spool.test.ts'];

// Integration files that keep a process of their own and run alone: they count how freely their process's event loop
// runs, which whatever else runs beside them would slow.
const INTEGRATION_OWN_PROCESS = ['test/integration/worker-embedder.test.ts'];

// Integration files with timing windows, run one at a time in one process (as all integration files ran before): LLM
// first-token and total timeouts of a second or two, readiness and drain deadlines, Redis command timeouts of 300 ms,
// rate-limit windows, a 300 ms reranker timeout, and short waits that must see (or not see) a delivery. A neighbour's
// load would stretch what they time and make them flaky, not slower.
const INTEGRATION_TIMED = [
  'test/integration/production-service.test.ts',
  'test/integration/shutdown.test.ts',
  'test/integration/ask-api.test.ts',
  'test/integration/middle-band.test.ts',
  'test/integration/openai-compatible.test.ts',
  'test/integration/service-design.test.ts',
  'test/integration/reranker.test.ts',
  'test/integration/email-channel.test.ts',
  'test/integration/messaging-channels.test.ts',
  'test/integration/stream-channels.test.ts',
];

// Chaos files that run alone (each in its own process): Redis frozen under 300 ms command timeouts, an e-mail worker
// killed under a 2 s job lock. The fuzzer and the SIGKILL ingestion run beside another file: what they prove does not
// depend on timing (a kill lands at another point, which is the idea).
const CHAOS_ALONE = ['test/chaos/redis-chaos.test.ts', 'test/chaos/email-worker-kill.test.ts'];

// KEFU_TEST_WORKERS=1: every file one at a time, and the integration and browser files each back in one shared process
// (the schedule before two at a time), to compare the two or to tell a flaky neighbour from a broken test.
const WORKERS = Number(process.env.KEFU_TEST_WORKERS ?? 2);
const SHARE_ONE_PROCESS = WORKERS <= 1;

const MODEL_TIMEOUTS = { testTimeout: 120_000, hookTimeout: 180_000 };
// Beside another file a test gets about half the machine: the limits that catch a hang are raised to match (no test
// asserts a duration; these only end one that never finishes).
const SHARED_TIMEOUTS = { testTimeout: 180_000, hookTimeout: 300_000 };

/** One project per file, one process: what keeps a file in a process of its own and alone (singleFork runs after the rest). */
const alone = (kind: string, files: string[], timeouts: { testTimeout: number; hookTimeout?: number }): TestProjectInlineConfiguration[] =>
  files.map((file) => ({ test: { name: `${kind}:${path.basename(file, '.test.ts')}`, include: [file], ...timeouts, poolOptions: { forks: { singleFork: true } } } }));

export default defineConfig({
  test: {
    // Two files at a time where a project allows it (2 cores); the singleFork projects still run one after the other.
    maxWorkers: WORKERS,
    minWorkers: 1,
    // Ingested sample tables shared by the files of one run (test/support/table-cache.ts).
    globalSetup: ['test/support/table-cache-setup.ts'],
    projects: [
      // The unit files share one process and its module cache (pure logic: no model, no service, nothing left running).
      // Starting a process and importing the modules again for each file cost several times the tests themselves.
      { test: { name: 'unit', include: ['test/unit/**/*.test.ts'], exclude: UNIT_OWN_PROCESS, testTimeout: 20_000, poolOptions: { forks: { singleFork: true, isolate: false } } } },
      ...alone('unit-own-process', UNIT_OWN_PROCESS, { testTimeout: 20_000 }),
      // A process per file, two files at a time: each file loads its own modules and the packages (LanceDB, onnxruntime...).
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          exclude: [...INTEGRATION_OWN_PROCESS, ...INTEGRATION_TIMED],
          ...SHARED_TIMEOUTS,
          poolOptions: { forks: { singleFork: SHARE_ONE_PROCESS } },
        },
      },
      // One process for the timed files, each file's own modules still loaded afresh (isolate), one file at a time.
      { test: { name: 'integration-timed', include: INTEGRATION_TIMED, ...MODEL_TIMEOUTS, poolOptions: { forks: { singleFork: true } } } },
      ...alone('integration-own-process', INTEGRATION_OWN_PROCESS, MODEL_TIMEOUTS),
      // Chromium and the service per file, two files at a time: their waits are for what the page shows, with 10–30 s limits.
      { test: { name: 'browser', include: ['test/browser/**/*.test.ts'], ...SHARED_TIMEOUTS, poolOptions: { forks: { singleFork: SHARE_ONE_PROCESS } } } },
      // Fuzzing and crash tests against the real service; part of `npm test` and CI (`npm run test:chaos` alone). A process
      // per file: the fuzzer bounds the memory its process grows by.
      { test: { name: 'chaos', include: ['test/chaos/**/*.test.ts'], exclude: CHAOS_ALONE, testTimeout: 600_000, hookTimeout: 180_000 } },
      ...alone('chaos-alone', CHAOS_ALONE, { testTimeout: 600_000, hookTimeout: 180_000 }),
    ],
  },
});
