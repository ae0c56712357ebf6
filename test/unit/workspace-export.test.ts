import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import AdmZip from 'adm-zip';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import { WorkspaceServices } from '../../src/http/workspace-services.js';
import { createLogger } from '../../src/log.js';
import { MemoryState } from '../../src/state/shared-state.js';

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
