import { defineConfig } from 'vitest/config';

// Four kinds of tests, run separately so the fast ones stay fast (`npm run test:unit`):
//   unit        — no model, no network; pure logic (seconds; `unit` and `unit-own-process`)
//   integration — the real embedding model, real LanceDB in temp dirs, real Redis, the vLLM test double
//   browser     — the real service driven through Debian's Chromium with playwright-core
//   chaos       — a fuzzer over the OpenAPI operations, ingestion killed with SIGKILL and rerun
// Files run one at a time: integration files share Redis and a 2-core machine.
// Unit files that keep a process of their own: they read the process's CPU time or event-loop lag (another file's
// leftovers, a bigger heap to collect, would add to the readings), hold the event loop for seconds (the shared worker
// then misses vitest's own messages), or mock a Node module (vi.mock would reach the files after them).
const UNIT_OWN_PROCESS = ['test/unit/hostile-mail-text.test.ts', 'test/unit/answer-stages.test.ts', 'test/unit/admission.test.ts', 'test/unit/log-spool.test.ts'];

// Integration files that keep a process of their own: they count how freely their process's event loop runs, which
// whatever earlier files left running in a shared process would slow.
const INTEGRATION_OWN_PROCESS = ['test/integration/worker-embedder.test.ts'];

export default defineConfig({
  test: {
    fileParallelism: false,
    // Ingested sample tables shared by the files of one run (test/support/table-cache.ts).
    globalSetup: ['test/support/table-cache-setup.ts'],
    projects: [
      // The unit files share one process and its module cache (pure logic: no model, no service, nothing left running).
      // Starting a process and importing the modules again for each file cost several times the tests themselves.
      { test: { name: 'unit', include: ['test/unit/**/*.test.ts'], exclude: UNIT_OWN_PROCESS, testTimeout: 20_000, poolOptions: { forks: { singleFork: true, isolate: false } } } },
      { test: { name: 'unit-own-process', include: UNIT_OWN_PROCESS, testTimeout: 20_000 } },
      // One process for the integration files and one for the browser files, each file's own modules still loaded afresh
      // (isolate): what they share is the process and the packages it imported once (LanceDB, onnxruntime, playwright...).
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          exclude: INTEGRATION_OWN_PROCESS,
          testTimeout: 120_000,
          hookTimeout: 180_000,
          poolOptions: { forks: { singleFork: true } },
        },
      },
      { test: { name: 'integration-own-process', include: INTEGRATION_OWN_PROCESS, testTimeout: 120_000, hookTimeout: 180_000 } },
      { test: { name: 'browser', include: ['test/browser/**/*.test.ts'], testTimeout: 120_000, hookTimeout: 180_000, poolOptions: { forks: { singleFork: true } } } },
      // Fuzzing and crash tests against the real service; part of `npm test` and CI (`npm run test:chaos` alone). A process
      // per file: the fuzzer bounds the memory its process grows by.
      { test: { name: 'chaos', include: ['test/chaos/**/*.test.ts'], testTimeout: 600_000, hookTimeout: 180_000 } },
    ],
  },
});
