import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import AdmZip from 'adm-zip';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import { WorkspaceServices } from '../../src/http/workspace-services.js';
import { createLogger } from '../../src/log.js';
import { MemoryState } from '../../src/state/shared-state.js';
import { WorkspaceLoad } from '../../src/workspaces/workspace-load.js';

describe('a workspace’s export', () => {
  it('keeps who may see its documents (the .audiences.yaml files), so restoring it never makes agents’ documents public; uploads in progress stay out', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'kefu-ws-export-'));
    try {
      const config = loadConfig({ WORKSPACES_DIR: dir });
      const workspaces = new WorkspaceServices({
        config,
        logger: createLogger('silent'),
        state: new MemoryState(),
        access: {} as never,
        keys: {} as never,
        load: new WorkspaceLoad(10),
        dropTable: async () => undefined,
        build: async () => ({ app: {} as never, metrics: {} as never, jobs: { settled: async () => undefined }, curated: { list: () => [] }, close: async () => undefined }),
      });
      await workspaces.create({ id: 'brand-b', name: 'Brand B' }, 'ops');
      const knowledge = path.join(dir, 'brand-b', 'knowledge');
      await mkdir(path.join(knowledge, 'internal'), { recursive: true });
      await mkdir(path.join(knowledge, 'uploads', '.incoming'), { recursive: true });
      await writeFile(path.join(knowledge, 'internal', 'price-sheet.md'), '# Partner prices\n');
      await writeFile(path.join(knowledge, 'internal', '.audiences.yaml'), 'audiences: [agents]\n');
      await writeFile(path.join(knowledge, 'uploads', '.audiences.yaml'), 'files:\n  margins.pdf: [agents]\n');
      await writeFile(path.join(knowledge, 'uploads', '.incoming', 'half-written'), 'partial');
      const zip = new AdmZip(await workspaces.export('brand-b', 'ops'));
      const names = zip.getEntries().map((entry) => entry.entryName);
      expect(names).toEqual(expect.arrayContaining(['knowledge/internal/price-sheet.md', 'knowledge/internal/.audiences.yaml', 'knowledge/uploads/.audiences.yaml']));
      expect(zip.readAsText('knowledge/internal/.audiences.yaml')).toContain('agents');
      expect(names.filter((name) => name.includes('.incoming'))).toEqual([]);
      await workspaces.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('a workspace created with the id of a deleted one', () => {
  it('starts empty: what a replica still serving the deleted one wrote after the delete (state, table, files) is not the new one’s', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'kefu-ws-recreate-'));
    try {
      const config = loadConfig({ WORKSPACES_DIR: dir });
      const state = new MemoryState();
      const dropped: string[] = [];
      const workspaces = new WorkspaceServices({
        config,
        logger: createLogger('silent'),
        state,
        access: {} as never,
        keys: {} as never,
        load: new WorkspaceLoad(10),
        dropTable: async (settings) => void dropped.push(settings.TABLE_NAME),
        build: async () => ({ app: {} as never, metrics: {} as never, jobs: { settled: async () => undefined }, curated: { list: () => [] }, close: async () => undefined }),
      });
      // Left behind by another replica within its refresh interval after the old brand-b was deleted.
      await state.appendLog('ws:brand-b:interactions', { question: 'the old tenant’s customer asked this' }, 100);
      await state.setJson('ws:brand-b:answer:old', { answer: 'old' }, 3600);
      await mkdir(path.join(dir, 'brand-b', 'knowledge'), { recursive: true });
      await writeFile(path.join(dir, 'brand-b', 'knowledge', 'old-upload.md'), '# The old tenant’s document\n');

      await workspaces.create({ id: 'brand-b', name: 'Brand B, new owner' }, 'ops');
      expect(await state.readLog('ws:brand-b:interactions', 100)).toEqual([]);
      expect(await state.getJson('ws:brand-b:answer:old')).toBeUndefined();
      expect(dropped).toEqual(['knowledge-ws-brand-b']);
      const zip = new AdmZip(await workspaces.export('brand-b', 'ops'));
      expect(zip.getEntries().filter((entry) => entry.entryName.startsWith('knowledge/'))).toEqual([]);
      await workspaces.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
