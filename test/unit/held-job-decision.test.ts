import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import { type IngestJobRecord, IngestJobs } from '../../src/ingest/jobs.js';
import { createLogger } from '../../src/log.js';
import { MemoryState, type SharedState } from '../../src/state/shared-state.js';

describe('a held job is decided once', () => {
  it('a discard that read the job before another replica approved it is refused, not applied and recorded over the approval', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'kefu-held-decision-'));
    try {
      const config = loadConfig({ DB_DIR: dir, REDIS_URL: '' });
      const state = new MemoryState();
      const id = randomUUID();
      const held: IngestJobRecord = {
        id,
        kind: 'ingest',
        state: 'held',
        reason: 're-ingest',
        startedAt: '2026-12-07T09:00:00.000Z',
        runner: 'a:1',
        phase: 'done',
        files: { done: 1, total: 1 },
        chunks: { done: 1, total: 1, perSecond: 0 },
        failures: [],
      };
      await state.setJson(`ingest-job:${id}`, held, 3600);
      // Replica B reads the job while replica A decides it, and its read comes back late (a slow network): B's copy says held.
      let approved!: () => void;
      const afterApproval = new Promise<void>((resolve) => {
        approved = resolve;
      });
      const lagging: SharedState = Object.assign(Object.create(state) as SharedState, {
        getJson: async <T>(name: string) => {
          const value = await state.getJson<T>(name);
          await afterApproval;
          return value;
        },
      });
      const logger = createLogger('silent');
      const replicaA = new IngestJobs({ config, state, logger });
      const replicaB = new IngestJobs({ config, state: lagging, logger });
      let discarded = false;
      const discard = replicaB.decide(id, 'discarded', 'bob', async () => {
        discarded = true;
        return 3;
      });
      await replicaA.decide(id, 'approved', 'alice', async () => 4);
      approved();
      await expect(discard).rejects.toMatchObject({ code: 'job_not_held' });
      expect(discarded).toBe(false);
      expect(await replicaA.get(id)).toMatchObject({ state: 'succeeded', decision: { action: 'approved', by: 'alice', version: 4 } });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
