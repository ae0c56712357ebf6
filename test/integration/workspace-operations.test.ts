import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import AdmZip from 'adm-zip';
import { Redis } from 'ioredis';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Config, loadConfig } from '../../src/config/config.js';
import { createLogger } from '../../src/log.js';
import { buildService, type Service } from '../../src/service.js';
import { LanceKnowledgeStore } from '../../src/store/lance-knowledge-store.js';
import { configToEnv, ingestSampleKnowledge, realEmbedders, tempDir } from '../support/real-stack.js';
import { binaryBody, testKey, writeWorkspaceKnowledge } from '../support/workspaces.js';

const run = promisify(execFile);
const REDIS_URL = 'redis://127.0.0.1:6379';
const prefix = `kefu-ws-ops-${process.pid}-${Date.now()}:`;
const operator = testKey('ops', ['operator']);
const defaultAdmin = testKey('default-admin', ['admin']);
const ops = { 'x-api-key': operator.secret };
const inGamma = { ...ops, 'x-kefu-workspace': 'gamma' };

let config: Config;
let service: Service;
let workspacesDir: string;
let cleanup: () => Promise<void>;

beforeAll(async () => {
  const temp = await tempDir('ws-ops');
  cleanup = temp.remove;
  workspacesDir = path.join(temp.dir, 'workspaces');
  const sample = await ingestSampleKnowledge(path.join(temp.dir, 'db'), { STATE_LOG_DIR: path.join(temp.dir, 'logs'), WORKSPACES_DIR: workspacesDir, REDIS_URL, REDIS_KEY_PREFIX: prefix });
  config = loadConfig({ ...configToEnv(sample), API_KEYS: JSON.stringify([operator.entry, defaultAdmin.entry]) });
  service = await buildService(config, createLogger('silent'), { embedders: await realEmbedders(), chatModel: null });
}, 180_000);

afterAll(async () => {
  await service?.close();
  await cleanup?.();
});

describe('operating workspaces', () => {
  it('creates, renames, ingests from the command line, exports and deletes a workspace, leaving nothing behind, all audited', async () => {
    // Create: operators only, ids checked, no duplicates.
    expect((await request(service.app).post('/v1/admin/workspaces').set('x-api-key', defaultAdmin.secret).send({ id: 'gamma', name: 'Gamma' })).status).toBe(403);
    expect((await request(service.app).post('/v1/admin/workspaces').set(ops).send({ id: 'Not An Id', name: 'x' })).status).toBe(400);
    const created = await request(service.app).post('/v1/admin/workspaces').set(ops).send({ id: 'gamma', name: 'Gamma' });
    expect(created.status, created.text).toBe(201);
    expect((await request(service.app).post('/v1/admin/workspaces').set(ops).send({ id: 'gamma', name: 'Again' })).status).toBe(409);
    expect((await request(service.app).delete('/v1/admin/workspaces/default').set(ops)).status).toBe(409);
    // A new workspace serves before its first ingestion: it refuses, from an empty table.
    const empty = await request(service.app).post('/v1/ask').set(inGamma).send({ question: 'What is the Drive Link service PIN?' });
    expect(empty.status, empty.text).toBe(200);
    expect(empty.body.refused).toBe(true);

    const renamed = await request(service.app)
      .patch('/v1/admin/workspaces/gamma')
      .set(ops)
      .send({ name: 'Gamma Brand', settings: { companyName: 'Gamma Ltd' } });
    expect(renamed.body).toMatchObject({ id: 'gamma', name: 'Gamma Brand', settings: { companyName: 'Gamma Ltd' } });

    // npm run ingest -- --workspace gamma: the workspace's folder into its table.
    await writeWorkspaceKnowledge(path.join(workspacesDir, 'gamma', 'knowledge'), 'GAMMA5150');
    const cli = await run(process.execPath, ['--import', 'tsx', 'ingest/ingest.ts', '--workspace', 'gamma', '--json'], { env: { ...process.env, ...configToEnv(config) } });
    expect(JSON.parse(cli.stdout)).toMatchObject({ table: `${config.TABLE_NAME}-ws-gamma`, committed: true, documents: { failed: 0 } });
    const key = await request(service.app)
      .post('/v1/admin/keys')
      .set(inGamma)
      .send({ id: 'gamma-widget', scopes: ['widget'] });
    expect(key.body.workspace).toBe('gamma');
    const answered = await request(service.app).post('/v1/ask').set('x-api-key', key.body.key).send({ question: 'What is the Drive Link service PIN?' });
    expect(answered.text).toContain('GAMMA5150');
    const curated = await request(service.app).post('/v1/admin/curated').set(inGamma).send({ question: 'What is the gamma code?', answer: 'GAMMACURATED', lang: 'en' });
    expect(curated.status).toBe(201);

    // Export: settings, curated answers, knowledge files.
    const exported = await request(service.app).get('/v1/admin/workspaces/gamma/export').set(ops).buffer(true).parse(binaryBody);
    expect(exported.status).toBe(200);
    const zip = new AdmZip(exported.body as Buffer);
    expect(JSON.parse(zip.readAsText('workspace.json'))).toMatchObject({ id: 'gamma', name: 'Gamma Brand', settings: { companyName: 'Gamma Ltd' } });
    expect(zip.readAsText('curated.json')).toContain('GAMMACURATED');
    expect(zip.readAsText('knowledge/in-car/drive-link-service-pin.en.md')).toContain('GAMMA5150');

    // Delete: table, shared state, files and keys go.
    const deleted = await request(service.app).delete('/v1/admin/workspaces/gamma').set(ops);
    expect(deleted.status, deleted.text).toBe(200);
    expect(deleted.body.stateEntries).toBeGreaterThan(0);
    await expect(LanceKnowledgeStore.open(config.DB_DIR, `${config.TABLE_NAME}-ws-gamma`)).rejects.toThrow(/does not exist/);
    expect(existsSync(path.join(workspacesDir, 'gamma'))).toBe(false);
    const redis = new Redis(REDIS_URL);
    try {
      expect(await redis.keys(`${prefix}ws:gamma:*`)).toEqual([]);
      expect(await redis.keys(`${prefix}rl:ws:gamma:*`)).toEqual([]);
    } finally {
      redis.disconnect();
    }
    expect((await request(service.app).post('/v1/ask').set('x-api-key', key.body.key).send({ question: 'What is the Drive Link service PIN?' })).status).toBe(401);
    expect((await request(service.app).get('/v1/admin/workspaces/gamma').set(ops)).status).toBe(404);
    // The default workspace is untouched.
    expect((await request(service.app).post('/v1/ask').set('x-api-key', defaultAdmin.secret).send({ question: 'Can I swim with the Pulse Band 3?' })).body.refused).toBe(false);

    const audit = (await request(service.app).get('/v1/admin/workspaces/audit').set(ops)).body.audit.map((entry: { action: string; workspace: string }) => `${entry.action} ${entry.workspace}`);
    expect(audit).toEqual(['workspace.create gamma', 'workspace.update gamma', 'workspace.export gamma', 'workspace.delete gamma']);
  });
});
