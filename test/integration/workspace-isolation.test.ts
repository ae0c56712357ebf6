import { cp } from 'node:fs/promises';
import path from 'node:path';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import { createLogger } from '../../src/log.js';
import { buildService, type Service } from '../../src/service.js';
import { configToEnv, ingestSampleKnowledge, realEmbedders, tempDir } from '../support/real-stack.js';
import { testKey, waitForJob, writeWorkspaceKnowledge } from '../support/workspaces.js';

// Real Redis (its own key prefix), real models, real LanceDB tables, real ingestion child processes.
const REDIS_URL = 'redis://127.0.0.1:6379';
const prefix = `kefu-ws-iso-${process.pid}-${Date.now()}:`;

const keys = {
  operator: testKey('ops', ['operator']),
  defaultWidget: testKey('default-widget', ['widget']),
  defaultAdmin: testKey('default-admin', ['admin']),
  alphaWidget: testKey('alpha-widget', ['widget'], 'alpha'),
  alphaAdmin: testKey('alpha-admin', ['admin'], 'alpha'),
  betaWidget: testKey('beta-widget', ['widget'], 'beta'),
  betaAdmin: testKey('beta-admin', ['admin'], 'beta'),
};
/** What only one workspace holds: its planted document, curated answer, unanswered question, key ids and session. */
const marks = {
  alpha: ['ALPHA7731', 'ALPHACURATED', 'ALPHAGAP', 'ALPHADESK', 'alpha-widget', 'alpha-admin', 'alpha-session'],
  beta: ['BETA4420', 'BETACURATED', 'BETAGAP', 'BETADESK', 'beta-widget', 'beta-admin', 'beta-session'],
  default: ['default-widget', 'default-admin', 'default-session'],
};
type Name = 'alpha' | 'beta';
const secret: Record<Name, string> = { alpha: 'ALPHA7731', beta: 'BETA4420' };
const widget = (name: Name | 'default') => ({ 'x-api-key': keys[`${name}Widget`].secret });
const admin = (name: Name | 'default') => ({ 'x-api-key': keys[`${name}Admin`].secret });
const operator = { 'x-api-key': keys.operator.secret };

let service: Service;
let cleanup: () => Promise<void>;
const jobs: Record<Name, string> = { alpha: '', beta: '' };

beforeAll(async () => {
  const temp = await tempDir('ws-iso');
  cleanup = temp.remove;
  const knowledge = path.join(temp.dir, 'knowledge');
  await cp('knowledge', knowledge, { recursive: true });
  const settings = {
    KNOWLEDGE_DIR: knowledge,
    PRODUCT_LINES_FILE: path.join(knowledge, 'product-lines.yaml'),
    CURATED_DIR: path.join(knowledge, 'curated'),
    STATE_LOG_DIR: path.join(temp.dir, 'logs'),
    WORKSPACES_DIR: path.join(temp.dir, 'workspaces'),
    REDIS_URL,
    REDIS_KEY_PREFIX: prefix,
  };
  const config = await ingestSampleKnowledge(path.join(temp.dir, 'db'), settings);
  service = await buildService(
    loadConfig({
      ...configToEnv(config),
      API_KEYS: JSON.stringify(Object.values(keys).map((key) => key.entry)),
      RATE_LIMIT_IP_BURST: '100000',
      RATE_LIMIT_KEY_BURST: '100000',
      RATE_LIMIT_KEY_CEILING_BURST: '100000',
    }),
    createLogger('silent'),
    { embedders: await realEmbedders(), chatModel: null },
  );
  for (const name of ['alpha', 'beta'] as const) {
    const created = await request(service.app)
      .post('/v1/admin/workspaces')
      .set(operator)
      .send({ id: name, name: `Brand ${name}`, settings: { companyName: `${name} Corp`, handoffContact: { en: `the ${name.toUpperCase()}DESK hotline` } } });
    expect(created.status, created.text).toBe(201);
    await writeWorkspaceKnowledge(path.join(temp.dir, 'workspaces', name, 'knowledge'), secret[name]);
  }
  // Both workspaces ingest at once: each job holds its own table's lock.
  for (const name of ['alpha', 'beta'] as const) {
    const started = await request(service.app).post('/v1/admin/ingest').set(admin(name));
    expect(started.status, started.text).toBe(202);
    jobs[name] = started.body.job.id;
  }
  for (const name of ['alpha', 'beta'] as const) {
    const job = await waitForJob(service.app, admin(name), jobs[name]);
    expect(job.state, job.error).toBe('succeeded');
  }
  // A curated answer each, through each workspace's admin API.
  for (const name of ['alpha', 'beta'] as const) {
    const curated = await request(service.app)
      .post('/v1/admin/curated')
      .set(admin(name))
      .send({ question: 'What is the loyalty code?', answer: `The loyalty code is ${name.toUpperCase()}CURATED.`, lang: 'en' });
    expect(curated.status, curated.text).toBe(201);
  }
}, 300_000);

afterAll(async () => {
  await service?.close();
  await cleanup?.();
});

const ask = (name: Name | 'default', question: string, sessionId?: string) =>
  request(service.app)
    .post('/v1/ask')
    .set(widget(name))
    .send({ question, ...(sessionId ? { sessionId } : {}) });

describe('workspace isolation', () => {
  it('answers each workspace from its own knowledge table, and the answer cache never serves across workspaces', async () => {
    // The same question, in turn, twice each: the second of each pair may come from the cache, and it must be that workspace's.
    for (const round of [1, 2]) {
      for (const name of ['alpha', 'beta'] as const) {
        const response = await ask(name, 'What is the Drive Link service PIN?');
        expect(response.status, response.text).toBe(200);
        expect(response.text).toContain(secret[name]);
        expect(response.text).not.toContain(secret[name === 'alpha' ? 'beta' : 'alpha']);
        if (round === 2) expect(response.body.cached).toBe(true);
      }
    }
    const fromDefault = await ask('default', 'What is the Drive Link service PIN?');
    expect(fromDefault.text).not.toMatch(/ALPHA7731|BETA4420/);
  });

  it('never returns another workspace’s data from any public or admin endpoint', async () => {
    const seen: Record<Name | 'default', string[]> = { alpha: [], beta: [], default: [] };
    for (const name of ['alpha', 'beta', 'default'] as const) {
      const record = (response: request.Response) => {
        seen[name].push(`${response.status} ${response.text}`);
        return response;
      };
      const sessionId = `${name}-session-0001`;
      const answered = record(await ask(name, 'What is the Drive Link service PIN?', sessionId));
      record(await ask(name, 'What is the loyalty code?', sessionId));
      record(await ask(name, `${name.toUpperCase()}GAP how do I recharge the teleporter flux capacitor?`, sessionId));
      record(
        await request(service.app)
          .post('/v1/chat/completions')
          .set(widget(name))
          .send({ model: 'kefu', messages: [{ role: 'user', content: 'What is the Drive Link service PIN?' }] }),
      );
      record(await request(service.app).get(`/v1/sessions/${sessionId}`).set(widget(name)));
      record(await request(service.app).get('/v1/suggestions').set(widget(name)));
      const feedback = record(
        await request(service.app)
          .post('/v1/feedback')
          .set(widget(name))
          .send({ answerId: answered.body.answerId, rating: 'down', comment: `${name} feedback` }),
      );
      expect(feedback.status, feedback.text).toBe(201);
      for (const route of ['curated', 'gaps', 'unanswered', 'feedback', 'ratings', 'jobs', 'versions', 'calibration', 'audit', 'keys', 'handoffs', 'sources', 'export/finetune']) {
        const response = record(await request(service.app).get(`/v1/admin/${route}`).set(admin(name)));
        expect(response.status, `${route}: ${response.text}`).toBeLessThan(500);
      }
    }
    // Each workspace sees its own planted data ...
    expect(seen.alpha.join('\n')).toContain('ALPHA7731');
    expect(seen.alpha.join('\n')).toContain('ALPHACURATED');
    expect(seen.alpha.join('\n')).toContain('ALPHAGAP');
    // A refusal gives the workspace's own hand-off contact (its company settings over the deployment's).
    expect(seen.alpha.join('\n')).toContain('ALPHADESK');
    expect(seen.beta.join('\n')).toContain('BETADESK');
    expect(seen.beta.join('\n')).toContain('BETACURATED');
    // ... and nothing of the others'.
    for (const name of ['alpha', 'beta', 'default'] as const) {
      const others = Object.entries(marks)
        .filter(([owner]) => owner !== name)
        .flatMap(([, values]) => values);
      for (const line of seen[name]) for (const mark of others) expect(line.includes(mark), `${name} saw ${mark} in: ${line.slice(0, 400)}`).toBe(false);
    }
  });

  it('refuses a key that names another workspace, or another workspace’s session, answer or job', async () => {
    const named = await request(service.app).post('/v1/ask').set(widget('alpha')).set('x-kefu-workspace', 'beta').send({ question: 'What is the Drive Link service PIN?' });
    expect(named.status).toBe(403);
    expect(named.body.error.code).toBe('workspace_forbidden');
    const betaAnswer = (await ask('beta', 'What is the Drive Link service PIN?')).body.answerId;
    expect((await request(service.app).post('/v1/feedback').set(widget('alpha')).send({ answerId: betaAnswer, rating: 'up' })).status).toBe(404);
    expect((await request(service.app).get(`/v1/admin/jobs/${jobs.beta}`).set(admin('alpha'))).status).toBe(404);
    const history = await request(service.app).get('/v1/sessions/beta-session-0001').set(widget('alpha'));
    expect(history.text).not.toContain('BETA');
    // A workspace admin manages neither workspaces nor operator keys, and sees no other workspace's key.
    expect((await request(service.app).get('/v1/admin/workspaces').set(admin('alpha'))).status).toBe(403);
    expect(
      (
        await request(service.app)
          .post('/v1/admin/keys')
          .set(admin('alpha'))
          .send({ id: 'escalate', scopes: ['operator'] })
      ).status,
    ).toBe(403);
    expect((await request(service.app).delete('/v1/admin/keys/beta-widget').set(admin('alpha'))).status).toBe(404);
    expect((await request(service.app).delete('/v1/admin/keys/ops').set(admin('default'))).status).toBe(403);
    // A key created by a workspace's admin belongs to that workspace.
    const created = await request(service.app)
      .post('/v1/admin/keys')
      .set(admin('alpha'))
      .send({ id: 'alpha-widget-2', scopes: ['widget'] });
    expect(created.status, created.text).toBe(201);
    expect(created.body.workspace).toBe('alpha');
    const fromNewKey = await request(service.app).post('/v1/ask').set('x-api-key', created.body.key).send({ question: 'What is the Drive Link service PIN?' });
    expect(fromNewKey.text).toContain('ALPHA7731');
  });

  it('lets an operator act in a workspace it names', async () => {
    const jobsOfBeta = await request(service.app).get('/v1/admin/jobs').set(operator).set('x-kefu-workspace', 'beta');
    expect(jobsOfBeta.body.jobs.map((job: { id: string }) => job.id)).toEqual([jobs.beta]);
    // Metrics: each workspace's answers under its own bounded label.
    const metrics = (await request(service.app).get('/metrics')).text;
    expect(metrics).toMatch(/kefu_answers_total\{[^}]*workspace="alpha"[^}]*\} \d+/);
    expect(metrics).toMatch(/kefu_answers_total\{[^}]*workspace="beta"[^}]*\} \d+/);
    const list = await request(service.app).get('/v1/admin/workspaces').set(operator);
    expect(list.body.workspaces.map((workspace: { id: string }) => workspace.id)).toEqual(['default', 'alpha', 'beta']);
    const chat = await request(service.app)
      .post('/v1/chat/completions')
      .set(widget('alpha'))
      .send({ model: 'kefu', messages: [{ role: 'user', content: 'What is the Drive Link service PIN?' }] });
    expect(chat.status, chat.text).toBe(200);
  });
});
