import path from 'node:path';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import { createLogger } from '../../src/log.js';
import { buildService, type Service } from '../../src/service.js';
import { runPreviousRelease } from '../support/previous-release.js';
import { realEmbedders, tempDir } from '../support/real-stack.js';
import { testKey } from '../support/workspaces.js';

/** The last commit before workspaces: its code writes the data folder and shared state this release must serve. */
const PREVIOUS_RELEASE = '4896796';
const REDIS_URL = 'redis://127.0.0.1:6379';
const prefix = `kefu-ws-upgrade-${process.pid}-${Date.now()}:`;
const admin = testKey('upgrade-admin', ['admin']);
const operator = testKey('upgrade-ops', ['operator']);

/** What the previous release does with a fresh data folder: ingest, answer in a session, take feedback, a curated answer and a key. */
const PREVIOUS_RELEASE_SCRIPT = `
import request from 'supertest';
import { loadConfig } from './src/config/config.js';
import { loadEmbeddingSpaces } from './src/embed/load-embedder.js';
import { ingestKnowledgeBase } from './src/ingest-knowledge-base.js';
import { createLogger } from './src/log.js';
import { buildService } from './src/service.js';
const config = loadConfig();
const embedders = await loadEmbeddingSpaces(config);
await ingestKnowledgeBase(config, embedders);
const service = await buildService(config, createLogger('silent'), { embedders, chatModel: null });
const admin = { 'x-api-key': process.env.UPGRADE_ADMIN_KEY };
const curated = await request(service.app).post('/v1/admin/curated').set(admin).send({ question: 'What is the upgrade loyalty code?', answer: 'The upgrade loyalty code is UPGRADECURATED.', lang: 'en' });
const asked = await request(service.app).post('/v1/ask').set(admin).send({ question: 'Can I swim with the Pulse Band 3?', sessionId: 'upgrade-session-0001' });
await request(service.app).post('/v1/feedback').set(admin).send({ answerId: asked.body.answerId, rating: 'up', comment: 'UPGRADEFEEDBACK' });
const key = await request(service.app).post('/v1/admin/keys').set(admin).send({ id: 'old-widget', scopes: ['widget'], origins: [] });
const versions = await request(service.app).get('/v1/admin/versions').set(admin);
await service.close();
process.stdout.write(JSON.stringify({ answer: asked.body, curatedId: curated.body.id, widgetKey: key.body.key, versions: versions.body }));
process.exit(0);
`;

let before: { answer: { answer: string; answerId: string }; curatedId: string; widgetKey: string; versions: { current: number } };
let service: Service;
let cleanup: () => Promise<void>;
let env: Record<string, string>;

beforeAll(async () => {
  const temp = await tempDir('ws-upgrade');
  cleanup = temp.remove;
  const previous = path.join(temp.dir, 'previous');
  env = {
    DB_DIR: path.join(temp.dir, 'data', 'lancedb'),
    STATE_LOG_DIR: path.join(temp.dir, 'data', 'logs'),
    KNOWLEDGE_DIR: path.join(previous, 'knowledge'),
    PRODUCT_LINES_FILE: path.join(previous, 'knowledge', 'product-lines.yaml'),
    CURATED_DIR: path.join(previous, 'knowledge', 'curated'),
    PROMPTS_DIR: path.join(previous, 'knowledge', 'prompts'),
    INTENTS_FILE: path.join(previous, 'knowledge', 'intents.yaml'),
    MODELS_DIR: path.resolve('models'),
    EMBEDDING_MODEL_MULTI: 'none',
    LANCEDB_READ_CONSISTENCY_SECONDS: '0',
    LOG_LEVEL: 'silent',
    REDIS_URL,
    REDIS_KEY_PREFIX: prefix,
  };
  // The previous release's source (and its knowledge folder), with this checkout's installed packages and models.
  const output = await runPreviousRelease(PREVIOUS_RELEASE, previous, PREVIOUS_RELEASE_SCRIPT, { ...env, API_KEYS: JSON.stringify([admin.entry]), UPGRADE_ADMIN_KEY: admin.secret }, [
    'src',
    'knowledge',
    'package.json',
    'tsconfig.json',
  ]);
  before = JSON.parse(output);
  // This release, on the same folder and state, with an operator key added to the same settings.
  service = await buildService(loadConfig({ ...env, API_KEYS: JSON.stringify([admin.entry, operator.entry]) }), createLogger('silent'), { embedders: await realEmbedders(), chatModel: null });
}, 300_000);

afterAll(async () => {
  await service?.close();
  await cleanup?.();
});

const as = (key: string) => ({ 'x-api-key': key });

describe('upgrading a deployment from before workspaces', () => {
  it('serves its table, sessions, cache, feedback, curated answers, keys and audit unchanged as the default workspace', async () => {
    expect(before.answer.answer.length).toBeGreaterThan(20);
    const versions = await request(service.app).get('/v1/admin/versions').set(as(admin.secret));
    expect(versions.body.current).toBe(before.versions.current);
    // The same question: the same answer, from the cache the previous release filled (its keys are unchanged).
    const again = await request(service.app).post('/v1/ask').set(as(admin.secret)).send({ question: 'Can I swim with the Pulse Band 3?' });
    expect(again.body.answer).toBe(before.answer.answer);
    expect(again.body.cached).toBe(true);
    const history = await request(service.app).get('/v1/sessions/upgrade-session-0001').set(as(admin.secret));
    expect(history.text).toContain('Can I swim with the Pulse Band 3?');
    expect((await request(service.app).get('/v1/admin/feedback').set(as(admin.secret))).text).toContain('UPGRADEFEEDBACK');
    const curated = await request(service.app).get('/v1/admin/curated').set(as(admin.secret));
    expect(curated.body.curated.map((entry: { id: string }) => entry.id)).toContain(before.curatedId);
    const pinned = await request(service.app).post('/v1/ask').set(as(before.widgetKey)).send({ question: 'What is the upgrade loyalty code?' });
    expect(pinned.status, pinned.text).toBe(200);
    expect(pinned.body.answer).toContain('UPGRADECURATED');
    const audit = (await request(service.app).get('/v1/admin/audit').set(as(admin.secret))).body.audit.map((entry: { action: string }) => entry.action);
    expect(audit).toEqual(expect.arrayContaining(['curated.create', 'key.create']));
    const keys = (await request(service.app).get('/v1/admin/keys').set(as(admin.secret))).body.keys.map((key: { id: string }) => key.id);
    expect(keys).toEqual(expect.arrayContaining(['old-widget', 'upgrade-admin']));
    const workspaces = await request(service.app).get('/v1/admin/workspaces').set(as(operator.secret));
    expect(workspaces.body.workspaces.map((workspace: { id: string }) => workspace.id)).toEqual(['default']);
  });
});
