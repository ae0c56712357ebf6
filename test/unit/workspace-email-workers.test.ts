import { afterEach, describe, expect, it, vi } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import { MemoryState } from '../../src/state/shared-state.js';
import { tempDir } from '../support/real-stack.js';
import { until } from '../support/until.js';
import { standInWorkspaces } from '../support/workspaces.js';

/**
 * Where the e-mail workers run (`npm run worker`, or a replica with EMAIL_WORKERS_IN_PROCESS), every workspace with
 * e-mail is built and kept built, following the registry: created or given e-mail on another replica, it is built;
 * deleted, it is closed. Where they do not run, nothing is built early for mail.
 */
function replica(state: MemoryState, dir: string, emailWorkers: boolean) {
  const built: string[] = [];
  const closed: string[] = [];
  const workspaces = standInWorkspaces(
    loadConfig({
      WORKSPACES_DIR: dir,
      EMAIL_ENABLED: 'true',
      REDIS_URL: 'redis://127.0.0.1:6379',
      SMTP_URL: 'smtp://127.0.0.1:2525',
      EMAIL_WORKERS_IN_PROCESS: 'false',
      SOURCE_SCHEDULER_SECONDS: '0',
      API_KEYS_REFRESH_SECONDS: '0.1',
    }),
    {
      state,
      emailWorkers,
      keys: { list: () => [] } as never,
      build: async (_config, context) => {
        built.push(context.id);
        return { app: {} as never, metrics: {} as never, jobs: { settled: async () => undefined }, curated: { list: () => [] }, close: async () => void closed.push(context.id) };
      },
    },
  );
  return { workspaces, built, closed };
}

describe('the e-mail workers of workspaces', () => {
  it('serve every workspace with e-mail, created, changed or deleted on another replica while they run', async () => {
    const temp = await tempDir('workspace-email-workers');
    const state = new MemoryState();
    const api = replica(state, temp.dir, false);
    const worker = replica(state, temp.dir, true);
    await api.workspaces.start();
    await worker.workspaces.start();
    await api.workspaces.create({ id: 'with-mail', name: 'Mail', settings: { email: { from: 'help@a.example' } } }, 'ops');
    await api.workspaces.create({ id: 'no-mail', name: 'Quiet' }, 'ops');
    await until('the workspace with e-mail built by the worker', async () => worker.built.includes('with-mail') || undefined, 10_000);

    await api.workspaces.update('no-mail', { settings: { email: {} } }, 'ops');
    await until('the workspace given e-mail built by the worker', async () => worker.built.includes('no-mail') || undefined, 10_000);

    await api.workspaces.delete('with-mail', 'ops');
    await until('the deleted workspace closed by the worker', async () => worker.closed.includes('with-mail') || undefined, 10_000);
    expect(worker.workspaces.builtIds()).toEqual(['no-mail']);
    // The API replica built none of them for mail.
    expect(api.built).toEqual([]);
    await api.workspaces.close();
    await worker.workspaces.close();
    await temp.remove();
  });

  afterEach(() => {
    vi.restoreAllMocks();
    vi.useRealTimers();
  });

  it('try a workspace that cannot be built again with one retry pending, however many changes failed it', async () => {
    const temp = await tempDir('workspace-email-retries');
    const config = loadConfig({
      WORKSPACES_DIR: temp.dir,
      EMAIL_ENABLED: 'true',
      REDIS_URL: 'redis://127.0.0.1:6379',
      SMTP_URL: 'smtp://127.0.0.1:2525',
      SOURCE_SCHEDULER_SECONDS: '0',
      API_KEYS_REFRESH_SECONDS: '60',
    });
    const workspaces = standInWorkspaces(config, {
      emailWorkers: true,
      keys: { list: () => [] } as never,
      build: async () => {
        throw new Error('its table is not there yet');
      },
    });
    await workspaces.registry.create({ id: 'broken', name: 'Broken', settings: { email: { from: 'help@b.example' } } }, 'ops');
    // Past the settling time after its creation, with only the clock faked (the retries' timers are counted, not run).
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(Date.now() + 60_000);
    const timers = vi.spyOn(globalThis, 'setTimeout');
    // What each change of the workspace seen from the registry does (a rename, new settings, on any replica).
    const buildEarly = (workspaces as unknown as { buildEarly(ids: string[]): Promise<void> }).buildEarly.bind(workspaces);
    for (let change = 0; change < 4; change++) await buildEarly(['broken']);
    expect(timers.mock.calls.filter(([, delay]) => delay === 5 * 60_000)).toHaveLength(1);
    await workspaces.close();
    await temp.remove();
  });
});
