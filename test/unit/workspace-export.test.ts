import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import AdmZip from 'adm-zip';
import express from 'express';
import request from 'supertest';
import { buffer } from 'node:stream/consumers';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import { workspaceRoutes } from '../../src/http/workspace-routes.js';
import { MemoryState } from '../../src/state/shared-state.js';
import { binaryBody, standInWorkspaces } from '../support/workspaces.js';

describe('a workspace’s export', () => {
  it('keeps who may see its documents (the .audiences.yaml files), so restoring it never makes agents’ documents public; uploads in progress stay out', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'kefu-ws-export-'));
    try {
      const config = loadConfig({ WORKSPACES_DIR: dir });
      const workspaces = standInWorkspaces(config);
      await workspaces.create({ id: 'brand-b', name: 'Brand B' }, 'ops');
      const knowledge = path.join(dir, 'brand-b', 'knowledge');
      await mkdir(path.join(knowledge, 'internal'), { recursive: true });
      await mkdir(path.join(knowledge, 'uploads', '.incoming'), { recursive: true });
      await writeFile(path.join(knowledge, 'internal', 'price-sheet.md'), '# Partner prices\n');
      await writeFile(path.join(knowledge, 'internal', '.audiences.yaml'), 'audiences: [agents]\n');
      await writeFile(path.join(knowledge, 'uploads', '.audiences.yaml'), 'files:\n  margins.pdf: [agents]\n');
      await writeFile(path.join(knowledge, 'uploads', '.incoming', 'half-written'), 'partial');
      const zip = new AdmZip(await buffer(await workspaces.export('brand-b', 'ops')));
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
      const workspaces = standInWorkspaces(config, { state, dropTable: async (settings) => void dropped.push(settings.TABLE_NAME) });
      // Left behind by another replica within its refresh interval after the old brand-b was deleted.
      await state.appendLog('ws:brand-b:interactions', { question: 'the old tenant’s customer asked this' }, 100);
      await state.setJson('ws:brand-b:answer:old', { answer: 'old' }, 3600);
      await mkdir(path.join(dir, 'brand-b', 'knowledge'), { recursive: true });
      await writeFile(path.join(dir, 'brand-b', 'knowledge', 'old-upload.md'), '# The old tenant’s document\n');

      await workspaces.create({ id: 'brand-b', name: 'Brand B, new owner' }, 'ops');
      expect(await state.readLog('ws:brand-b:interactions', 100)).toEqual([]);
      expect(await state.getJson('ws:brand-b:answer:old')).toBeUndefined();
      expect(dropped).toEqual(['knowledge-ws-brand-b']);
      const zip = new AdmZip(await buffer(await workspaces.export('brand-b', 'ops')));
      expect(zip.getEntries().filter((entry) => entry.entryName.startsWith('knowledge/'))).toEqual([]);
      await workspaces.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('a workspace’s export of several files', () => {
  it('is streamed as the files are read: every file byte for byte in a chunked download, and a file gone meanwhile cuts it off', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'kefu-ws-export-stream-'));
    try {
      const workspaces = standInWorkspaces(loadConfig({ WORKSPACES_DIR: dir }), {
        build: async () => ({
          app: {} as never,
          metrics: {} as never,
          jobs: { settled: async () => undefined },
          curated: { list: () => [{ id: 'c-1', question: 'Opening hours?', answer: 'Nine to five.' }] as never },
          close: async () => undefined,
        }),
      });

      await workspaces.create({ id: 'brand-c', name: 'Brand C', settings: { companyName: 'C Ltd' } }, 'ops');
      const knowledge = path.join(dir, 'brand-c', 'knowledge');
      // A handful of documents in folders, and an upload larger than the stream's buffers (random bytes: no compression helps).
      const files: Record<string, Buffer> = {
        'faq/payments.md': Buffer.from('# Payments\n\nCards and PayPal.\n'),
        'faq/shipping.en.md': Buffer.from('# Shipping\n\nTo the EU in five days.\n'),
        'manuals/watch/setup.zh.md': Buffer.from('# 设置\n\n长按电源键三秒。\n'),
        'uploads/price-list.pdf': randomBytes(3 * 1024 * 1024),
        'product-lines.yaml': Buffer.from('lines: []\n'),
      };
      for (const [name, content] of Object.entries(files)) {
        await mkdir(path.dirname(path.join(knowledge, name)), { recursive: true });
        await writeFile(path.join(knowledge, name), content);
      }
      const app = express();
      app.use(workspaceRoutes({ guard: [(_request, _response, next) => next()], workspaces }));
      const exported = await request(app).get('/v1/admin/workspaces/brand-c/export').buffer(true).parse(binaryBody);
      expect(exported.status).toBe(200);
      expect(exported.headers['transfer-encoding']).toBe('chunked');
      expect(exported.headers['content-disposition']).toContain('kefu-workspace-brand-c.zip');
      const zip = new AdmZip(exported.body as Buffer);
      for (const [name, content] of Object.entries(files)) expect(zip.readFile(`knowledge/${name}`)?.equals(content), name).toBe(true);
      expect(JSON.parse(zip.readAsText('workspace.json'))).toMatchObject({ id: 'brand-c', settings: { companyName: 'C Ltd' } });
      expect(zip.readAsText('curated.json')).toContain('Nine to five.');
      expect(await workspaces.auditLog(10)).toEqual(expect.arrayContaining([expect.objectContaining({ entry: expect.objectContaining({ action: 'workspace.export', workspace: 'brand-c' }) })]));

      const stream = await workspaces.export('brand-c', 'ops');
      await rm(path.join(knowledge, 'uploads', 'price-list.pdf'));
      await expect(buffer(stream)).rejects.toThrow(/ENOENT/);
      await workspaces.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
