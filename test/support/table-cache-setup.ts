import { createTableCache, TABLE_CACHE_ENV } from './table-cache.js';

/**
 * vitest's globalSetup: one folder of ingested tables for the whole run (test/support/table-cache.ts). The test
 * files' workers are started after this and inherit the variable; the folder goes when the run ends.
 */
export default async function setup(): Promise<() => Promise<void>> {
  const cache = await createTableCache();
  process.env[TABLE_CACHE_ENV] = cache.dir;
  return async () => {
    delete process.env[TABLE_CACHE_ENV];
    await cache.remove();
  };
}
