import { defineConfig } from 'vitest/config';

// Three kinds of tests, run separately so the fast ones stay fast (`npm run test:unit`):
//   unit        — no model, no network; pure logic (seconds)
//   integration — the real embedding model, real LanceDB in temp dirs, real Redis, the vLLM test double
//   browser     — the real service driven through Debian's Chromium with playwright-core
//   chaos       — a fuzzer over the OpenAPI operations, ingestion killed with SIGKILL and rerun
// Files run one at a time: integration files share Redis and a 2-core machine.
export default defineConfig({
  test: {
    fileParallelism: false,
    // Ingested sample tables shared by the files of one run (test/support/table-cache.ts).
    globalSetup: ['test/support/table-cache-setup.ts'],
    projects: [
      { test: { name: 'unit', include: ['test/unit/**/*.test.ts'], testTimeout: 20_000 } },
      { test: { name: 'integration', include: ['test/integration/**/*.test.ts'], testTimeout: 120_000, hookTimeout: 180_000 } },
      { test: { name: 'browser', include: ['test/browser/**/*.test.ts'], testTimeout: 120_000, hookTimeout: 180_000 } },
      // Fuzzing and crash tests against the real service; part of `npm test` and CI (`npm run test:chaos` alone).
      { test: { name: 'chaos', include: ['test/chaos/**/*.test.ts'], testTimeout: 600_000, hookTimeout: 180_000 } },
    ],
  },
});
