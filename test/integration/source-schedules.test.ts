import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IngestJobRecord } from '../../src/ingest/jobs.js';
import { acquireIngestLock } from '../../src/ingest/lock.js';
import { SourceRegistry } from '../../src/ingest/sources/source-config.js';
import { SourceSyncs } from '../../src/ingest/sources/source-syncs.js';
import { createLogger } from '../../src/log.js';
import { RedisState } from '../../src/state/redis-state.js';

// Three replicas (each its own Redis connection) tick the same schedules at once, over and over. The jobs
// take the real ingestion lease in Redis, as IngestJobs does; a due source must start exactly once per period.
const REDIS_URL = 'redis://127.0.0.1:6379';
const prefix = `kefu-schedules-${process.pid}-${Date.now()}:`;
let dir: string;
const states: RedisState[] = [];

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'kefu-schedules-'));
  await writeFile(
    path.join(dir, 'sources.yaml'),
    'sources:\n  - id: site\n    type: website\n    startUrls: [https://help.example.com/]\n    schedule: 30m\n  - id: docs\n    type: website\n    startUrls: [https://docs.example.com/]\n    schedule: 1h\n',
  );
});
afterAll(async () => {
  await Promise.all(states.map((state) => state.close()));
  await rm(dir, { recursive: true, force: true });
});

describe('scheduled syncs across replicas', () => {
  it('starts each due source once, whichever replica ticks first, and again only when it is due again', async () => {
    let now = Date.UTC(2026, 0, 1);
    const started: string[] = [];
    // `slow`: a replica that decided a source is due, then reached the lease only after another replica's job
    // had started and ended (a GC pause, a slow Redis round trip): it must find the source no longer due.
    const replica = (name: string, slow = 0) => {
      const state = RedisState.connect(REDIS_URL, { prefix, commandTimeoutMs: 2000 });
      states.push(state);
      const jobs = {
        // What IngestJobs.start does with the lease: take it (or throw LockHeldError), run `prepare` under it, run the job, release.
        start: async (kind: string, details: { prepare?: () => Promise<void>; sources?: string[] }) => {
          if (slow) await new Promise((resolve) => setTimeout(resolve, slow));
          const lock = await acquireIngestLock({ dbDir: dir, tableName: 'knowledge', redisUrl: REDIS_URL, redisPrefix: prefix, ttlSeconds: 5, purpose: 'ingestion' });
          try {
            await details.prepare?.();
            started.push(`${name}:${kind}:${details.sources?.join(',')}`);
            await new Promise((resolve) => setTimeout(resolve, 30));
          } finally {
            await lock.release();
          }
          return { id: String(started.length) } as IngestJobRecord;
        },
      };
      return new SourceSyncs({ registry: new SourceRegistry(path.join(dir, 'sources.yaml')), jobs, state, logger: createLogger('silent'), now: () => now });
    };
    const replicas = [replica('a'), replica('b', 80), replica('c')];
    // Commands fail fast until a connection is up (no offline queue): wait for all three.
    for (let attempt = 0; attempt < 100 && !(await Promise.all(states.map((state) => state.ping().catch(() => false)))).every(Boolean); attempt++)
      await new Promise((resolve) => setTimeout(resolve, 20));
    const round = async () => {
      for (let tick = 0; tick < 6; tick++) await Promise.all(replicas.map((syncs) => syncs.tick()));
    };
    await round();
    expect(started.map((entry) => entry.split(':').slice(1).join(':')).sort()).toEqual(['sync:docs', 'sync:site']);
    now += 31 * 60_000;
    await round();
    expect(started.filter((entry) => entry.endsWith(':site'))).toHaveLength(2);
    expect(started.filter((entry) => entry.endsWith(':docs'))).toHaveLength(1);
    now += 30 * 60_000;
    await round();
    expect(started.filter((entry) => entry.endsWith(':site'))).toHaveLength(3);
    expect(started.filter((entry) => entry.endsWith(':docs'))).toHaveLength(2);
  });
});
