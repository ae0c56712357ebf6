import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Redis } from 'ioredis';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Config, loadConfig } from '../../src/config/config.js';
import type { DraftRecord } from '../../src/email/email-store.js';
import { ingestKnowledgeBase } from '../../src/ingest-knowledge-base.js';
import { createLogger } from '../../src/log.js';
import { buildService, type Service } from '../../src/service.js';
import { workspaceConfig } from '../../src/workspaces/workspace-config.js';
import { configToEnv, ingestSampleKnowledge, realEmbedders, tempDir } from '../support/real-stack.js';
import { SmtpCapture } from '../support/smtp-capture.js';
import { until } from '../support/until.js';
import { testKey, writeWorkspaceKnowledge } from '../support/workspaces.js';

/**
 * `npm run worker` drafts every workspace's mail: an API replica that runs no e-mail workers
 * (EMAIL_WORKERS_IN_PROCESS=false) and a worker (the service src/worker.ts builds: `emailWorkers: true`) on one real
 * Redis, real models and tables, real SMTP. Workspaces are created, given e-mail, reconfigured and deleted through the
 * API replica while the worker runs; the worker takes each change up from the registry on its own.
 */
const prefix = `kefu-ws-worker-${process.pid}-${Date.now()}:`;
const keys = {
  operator: testKey('worker-ops', ['operator']),
  aAdmin: testKey('worker-a-admin', ['admin'], 'wka'),
  bAdmin: testKey('worker-b-admin', ['admin'], 'wkb'),
  bIntake: testKey('worker-b-intake', ['integration'], 'wkb'),
};
const as = (key: { secret: string }) => ({ 'x-api-key': key.secret });
const SECRET = 'WORKERA4242';
/** A test waits for a worker's drafts (and sends), which take a minute or more on the shared 2-core machine under load. */
const DRAFTING_MS = 240_000;
let api: Service;
let worker: Service;
let smtp: SmtpCapture;
let config: Config;
let workspacesDir: string;
let cleanup: () => Promise<void>;

beforeAll(async () => {
  const temp = await tempDir('ws-worker');
  cleanup = temp.remove;
  workspacesDir = path.join(temp.dir, 'workspaces');
  const base = await ingestSampleKnowledge(path.join(temp.dir, 'db'), { STATE_LOG_DIR: path.join(temp.dir, 'logs'), WORKSPACES_DIR: workspacesDir, ANSWER_CACHE: 'false' });
  smtp = await new SmtpCapture().start();
  config = loadConfig({
    ...configToEnv(base),
    API_KEYS: JSON.stringify(Object.values(keys).map((key) => key.entry)),
    REDIS_URL: 'redis://127.0.0.1:6379',
    REDIS_KEY_PREFIX: prefix,
    EMAIL_ENABLED: 'true',
    // The API replicas leave the drafting to `npm run worker`.
    EMAIL_WORKERS_IN_PROCESS: 'false',
    SMTP_URL: smtp.url,
    EMAIL_INBOX_POLL_SECONDS: '0.1',
    API_KEYS_REFRESH_SECONDS: '0.2',
    // Two services and their workers in one test process on a shared 2-core machine: a slow reply is not an outage here.
    REDIS_COMMAND_TIMEOUT_MS: '5000',
    RATE_LIMIT_IP_BURST: '100000',
    RATE_LIMIT_KEY_BURST: '100000',
  });
  const embedders = await realEmbedders();
  api = await buildService(config, createLogger(process.env.WORKER_TEST_LOG ?? 'silent'), { embedders, chatModel: null });
  // What src/worker.ts builds, in this process so the models are loaded once.
  worker = await buildService(config, createLogger(process.env.WORKER_TEST_LOG ?? 'silent'), { embedders, chatModel: null, emailWorkers: true });
}, 300_000);

afterAll(async () => {
  await api?.close();
  await worker?.close();
  await smtp?.stop();
  await cleanup?.();
  // Its Redis keys (queues, drafts, logs) go with it.
  const redis = new Redis('redis://127.0.0.1:6379');
  const left = await redis.keys(`${prefix}*`);
  if (left.length) await redis.del(...left);
  redis.disconnect();
});

const mail = (to: string, from: string, subject: string, body: string) =>
  [
    `From: ${from}`,
    `To: ${to}`,
    `Subject: ${subject}`,
    `Message-ID: <ws-worker-${Math.random().toString(36).slice(2)}@customer.example>`,
    'Date: Mon, 07 Dec 2026 09:00:00 +0000',
    'Content-Type: text/plain; charset=utf-8',
    '',
    body,
    '',
  ].join('\r\n');

const drafted = (key: { secret: string }, id: string) =>
  until(
    `draft ${id}`,
    async () => {
      const response = await request(api.app).get(`/v1/admin/drafts/${id}`).set(as(key));
      return response.status === 200 && response.body.draft ? (response.body as DraftRecord) : undefined;
    },
    120_000,
    200,
  );

const draftIds = async (key: { secret: string }) => ((await request(api.app).get('/v1/admin/drafts').set(as(key))).body.drafts as { id: string }[]).map((draft) => draft.id);

/** The draft of the mail `sender` sent, once a worker has written it. */
const draftFrom = (key: { secret: string }, sender: string) =>
  until(
    `a draft replying to ${sender}`,
    async () => {
      for (const id of await draftIds(key)) {
        const response = await request(api.app).get(`/v1/admin/drafts/${id}`).set(as(key));
        if ((response.body as DraftRecord).from?.address === sender) return response.body as DraftRecord;
      }
      return undefined;
    },
    120_000,
    200,
  );

describe('npm run worker serves every workspace with e-mail', { timeout: DRAFTING_MS }, () => {
  it('takes up a workspace given e-mail while it runs, drafts its inbox from its own knowledge base and sends from its address', async () => {
    const created = await request(api.app).post('/v1/admin/workspaces').set(as(keys.operator)).send({ id: 'wka', name: 'Brand A' });
    expect(created.status, created.text).toBe(201);
    const aConfig = workspaceConfig(config, { id: 'wka', settings: {} });
    await writeWorkspaceKnowledge(aConfig.KNOWLEDGE_DIR, SECRET);
    // Its own small knowledge base, ingested here (the gate has no regression set of the workspace to ask).
    await ingestKnowledgeBase({ ...aConfig, REGRESSION_GATE: false }, await realEmbedders());
    await mkdir(path.join(workspacesDir, 'wka', 'inbox'), { recursive: true });
    const configured = await request(api.app)
      .patch('/v1/admin/workspaces/wka')
      .set(as(keys.operator))
      .send({ settings: { email: { inbox: 'inbox', from: 'Brand A Support <help@a.example>' } } });
    expect(configured.status, configured.text).toBe(200);

    await writeFile(
      path.join(workspacesDir, 'wka', 'inbox', 'pin.eml'),
      mail('help@a.example', 'Chen Jing <chen@customer.example>', 'Drive Link service PIN', 'What is the Drive Link service PIN? The service centre asks for it before the factory reset.'),
    );
    const draft = await draftFrom(keys.aAdmin, 'chen@customer.example');
    const id = draft.id;
    expect(draft.draft.text).toContain(SECRET);
    // Only the worker runs e-mail workers (the API replica builds the workspace too, to answer the admin calls, without them).
    expect(worker.workspaces?.builtIds()).toContain('wka');

    const approved = await request(api.app).post(`/v1/admin/drafts/${id}/approve`).set(as(keys.aAdmin)).send({});
    expect(approved.status, approved.text).toBe(200);
    const sent = await smtp.waitFor('chen@customer.example');
    expect(sent.parsed.from?.text).toContain('help@a.example');
  });

  it('takes up a workspace created with e-mail while it runs, in its own queues', async () => {
    const created = await request(api.app)
      .post('/v1/admin/workspaces')
      .set(as(keys.operator))
      .send({ id: 'wkb', name: 'Brand B', settings: { email: { from: 'Brand B Support <help@b.example>' } } });
    expect(created.status, created.text).toBe(201);
    const queued = await request(api.app)
      .post('/v1/email')
      .set({ ...as(keys.bIntake), 'content-type': 'message/rfc822' })
      .send(mail('help@b.example', 'Li Lei <li@customer.example>', 'Drive Cam question', 'How do I format the Drive Cam memory card?'));
    expect(queued.status, queued.text).toBe(202);
    // Its knowledge base is empty: the worker records that it has no answer, in workspace wkb's drafts alone.
    const draft = await drafted(keys.bAdmin, queued.body.id);
    expect(draft.id).toBe(queued.body.id);
    expect(await draftIds(keys.aAdmin)).not.toContain(queued.body.id);
    expect(worker.workspaces?.builtIds()).toContain('wkb');
  });

  it('follows a workspace reconfigured or deleted while it runs', async () => {
    const changed = await request(api.app)
      .patch('/v1/admin/workspaces/wka')
      .set(as(keys.operator))
      .send({ settings: { email: { inbox: 'inbox', from: 'Brand A Desk <desk@a.example>' } } });
    expect(changed.status, changed.text).toBe(200);
    // Rebuilt with the new address within the registry's refresh: a mail now drafted replies from it.
    await writeFile(
      path.join(workspacesDir, 'wka', 'inbox', 'again.eml'),
      mail('desk@a.example', 'Wang Fang <wang@customer.example>', 'Drive Link service PIN', 'Which service PIN does the Drive Link adapter need for a factory reset?'),
    );
    const { id } = await draftFrom(keys.aAdmin, 'wang@customer.example');
    expect((await request(api.app).post(`/v1/admin/drafts/${id}/approve`).set(as(keys.aAdmin)).send({})).status).toBe(200);
    expect((await smtp.waitFor('wang@customer.example')).parsed.from?.text).toContain('desk@a.example');

    const deleted = await request(api.app).delete('/v1/admin/workspaces/wkb').set(as(keys.operator));
    expect(deleted.status, deleted.text).toBe(200);
    await until('the worker to stop serving the deleted workspace', async () => (worker.workspaces?.builtIds().includes('wkb') ? undefined : true), 30_000, 100);
    expect(worker.workspaces?.builtIds()).toContain('wka');
  });

  it('holds the next draft by a review rule added to the workspace’s email-review.yaml, without rebuilding it', async () => {
    const built = await worker.workspaces!.service('wka');
    await writeFile(
      path.join(workspacesDir, 'wka', 'knowledge', 'email-review.yaml'),
      "categories:\n  reset_request:\n    names: { zh: 恢复出厂, en: factory reset }\n    patterns: ['factory\\s+reset']\n",
    );
    await writeFile(
      path.join(workspacesDir, 'wka', 'inbox', 'reset.eml'),
      mail('desk@a.example', 'Zhao Min <zhao@customer.example>', 'Drive Link reset', 'Does a factory reset of the Drive Link adapter need the service PIN?'),
    );
    const draft = await draftFrom(keys.aAdmin, 'zhao@customer.example');
    expect(draft.review.reasons.map((reason) => reason.code)).toContain('reset_request');
    expect(await worker.workspaces!.service('wka')).toBe(built);
  });
});
