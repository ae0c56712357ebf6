import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import { MemoryState } from '../../src/state/shared-state.js';
import { tempDir } from '../support/real-stack.js';
import { until } from '../support/until.js';
import { standInWorkspaces } from '../support/workspaces.js';

/**
 * A workspace's source scheduler runs in its service, which is otherwise built at the workspace's first request:
 * a workspace created through the API is built at once, and a replica starting (or one that never served it) builds
 * the workspaces whose sources have a schedule, so their syncs run without waiting for a visitor.
 */
const temp = await tempDir('workspace-schedules');
afterAll(() => temp.remove());

function replica(state: MemoryState, settings: Record<string, string> = {}) {
  const built: string[] = [];
  const workspaces = standInWorkspaces(loadConfig({ WORKSPACES_DIR: temp.dir, ...settings }), {
    state,
    build: async (_config, context) => {
      built.push(context.id);
      return { app: {} as never, metrics: {} as never, jobs: { settled: async () => undefined }, curated: { list: () => [] }, close: async () => undefined };
    },
  });
  return { workspaces, built };
}

describe('the scheduled source syncs of a workspace', () => {
  it('start when it is created through the API, not at its first request', async () => {
    const { workspaces, built } = replica(new MemoryState());
    await workspaces.start();
    await workspaces.create({ id: 'fresh', name: 'Fresh' }, 'ops');
    await until('the new workspace built', async () => built.includes('fresh') || undefined);
    await workspaces.close();
  });

  it('start on a replica starting up for the workspaces whose sources have a schedule, and only those', async () => {
    const state = new MemoryState();
    const first = replica(state, { SOURCE_SCHEDULER_SECONDS: '0' });
    for (const id of ['synced', 'manual', 'none']) await first.workspaces.create({ id, name: id }, 'ops');
    expect(first.built).toEqual([]);
    const sources = { synced: 'sources:\n  - { id: help, type: website, startUrls: [https://help.example.com/], schedule: 6h }\n', manual: 'sources:\n  - { id: knowledge, type: folder }\n' };
    for (const [id, text] of Object.entries(sources)) {
      await mkdir(path.join(temp.dir, id, 'knowledge'), { recursive: true });
      await writeFile(path.join(temp.dir, id, 'knowledge', 'sources.yaml'), text);
    }
    await first.workspaces.close();

    const restarted = replica(state);
    await restarted.workspaces.start();
    await until('the scheduled workspace built', async () => restarted.built.includes('synced') || undefined);
    expect(restarted.built).toEqual(['synced']);
    await restarted.workspaces.close();
  });
});
