import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import type { DraftRecord } from '../../src/email/email-store.js';
import { createLogger } from '../../src/log.js';
import { buildService, type Service } from '../../src/service.js';
import { configToEnv, ingestSampleKnowledge, realEmbedders, tempDir } from '../support/real-stack.js';
import { SmtpCapture } from '../support/smtp-capture.js';
import { until } from '../support/until.js';
import { testKey, waitForJob, writeWorkspaceKnowledge } from '../support/workspaces.js';

/**
 * A workspace owns its e-mail inbox and review rules: with `settings.email`, mail dropped into its inbox folder is
 * drafted from its knowledge base, held by its own review rules, listed only among its drafts, and answered from its
 * own address; the deployment's drafts never show it. Real Redis (queues, records), real models, real SMTP.
 */
const prefix = `kefu-ws-email-${process.pid}-${Date.now()}:`;
const keys = { operator: testKey('mail-ops', ['operator']), defaultAdmin: testKey('mail-default-admin', ['admin']), brandAdmin: testKey('mail-b-admin', ['admin'], 'mailb') };
const as = (key: { secret: string }) => ({ 'x-api-key': key.secret });
const SECRET = 'MAILB8080';
let service: Service;
let smtp: SmtpCapture;
let inbox: string;
let cleanup: () => Promise<void>;

beforeAll(async () => {
  const temp = await tempDir('ws-email');
  cleanup = temp.remove;
  const workspaces = path.join(temp.dir, 'workspaces');
  const config = await ingestSampleKnowledge(path.join(temp.dir, 'db'), { STATE_LOG_DIR: path.join(temp.dir, 'logs'), WORKSPACES_DIR: workspaces, ANSWER_CACHE: 'false' });
  smtp = await new SmtpCapture().start();
  service = await buildService(
    loadConfig({
      ...configToEnv(config),
      API_KEYS: JSON.stringify(Object.values(keys).map((key) => key.entry)),
      REDIS_URL: 'redis://127.0.0.1:6379',
      REDIS_KEY_PREFIX: prefix,
      EMAIL_ENABLED: 'true',
      SMTP_URL: smtp.url,
      EMAIL_INBOX_POLL_SECONDS: '0.1',
      RATE_LIMIT_IP_BURST: '100000',
      RATE_LIMIT_KEY_BURST: '100000',
    }),
    createLogger('silent'),
    { embedders: await realEmbedders(), chatModel: null },
  );
  const created = await request(service.app).post('/v1/admin/workspaces').set(as(keys.operator)).send({ id: 'mailb', name: 'Brand B' });
  expect(created.status, created.text).toBe(201);
  const knowledge = path.join(workspaces, 'mailb', 'knowledge');
  await writeWorkspaceKnowledge(knowledge, SECRET);
  // Its own review rule: mail asking for the service PIN waits for a person.
  await writeFile(path.join(knowledge, 'email-review.yaml'), "categories:\n  pin_request:\n    names: { zh: 服务码, en: service PIN request }\n    patterns: ['service\\s+PIN']\n");
  const started = await request(service.app).post('/v1/admin/ingest').set(as(keys.brandAdmin));
  expect(started.status, started.text).toBe(202);
  expect((await waitForJob(service.app, as(keys.brandAdmin), started.body.job.id)).state).toBe('succeeded');
  // Then its mail: an inbox folder of its own and its own address.
  inbox = path.join(workspaces, 'mailb', 'inbox');
  await mkdir(inbox, { recursive: true });
  const configured = await request(service.app)
    .patch('/v1/admin/workspaces/mailb')
    .set(as(keys.operator))
    .send({ settings: { email: { inbox: 'inbox', from: 'Brand B Support <help@b.example>' } } });
  expect(configured.status, configured.text).toBe(200);
}, 300_000);

afterAll(async () => {
  await service?.close();
  await smtp?.stop();
  await cleanup?.();
});

const drafts = async (key: { secret: string }): Promise<{ id: string; subject?: string }[]> => {
  const response = await request(service.app).get('/v1/admin/drafts').set(as(key));
  expect(response.status, response.text).toBe(200);
  return response.body.drafts;
};

describe('a workspace’s e-mail', () => {
  it('drafts mail from its own inbox with its knowledge base, holds it by its own review rules, and sends the reply from its address', async () => {
    await writeFile(
      path.join(inbox, 'pin.eml'),
      [
        'From: Chen Jing <chen@customer.example>',
        'To: Brand B Support <help@b.example>',
        'Subject: Drive Link service PIN',
        `Message-ID: <ws-mail-${process.pid}-${Date.now()}@customer.example>`,
        'Date: Mon, 07 Dec 2026 09:00:00 +0000',
        'Content-Type: text/plain; charset=utf-8',
        '',
        'Hello,',
        '',
        'What is the Drive Link service PIN? The service centre is asking for it before the factory reset.',
        '',
        'Thanks,',
        'Chen Jing',
        '',
      ].join('\r\n'),
    );
    const listed = await until('a draft in the workspace', async () => (await drafts(keys.brandAdmin)).find(Boolean), 120_000);
    const draft = await until('the draft written', async () => {
      const response = await request(service.app).get(`/v1/admin/drafts/${listed.id}`).set(as(keys.brandAdmin));
      return response.status === 200 && response.body.draft ? (response.body as DraftRecord) : undefined;
    });
    expect(draft.draft.text).toContain(SECRET);
    expect(draft.review.reasons.map((reason) => reason.code)).toContain('pin_request');
    // The deployment's drafts, and its audit trail, know nothing of it.
    expect((await drafts(keys.defaultAdmin)).map((entry) => entry.id)).not.toContain(listed.id);
    expect((await request(service.app).get(`/v1/admin/drafts/${listed.id}`).set(as(keys.defaultAdmin))).status).toBe(404);

    const approved = await request(service.app).post(`/v1/admin/drafts/${listed.id}/approve`).set(as(keys.brandAdmin)).send({});
    expect(approved.status, approved.text).toBe(200);
    const sent = await smtp.waitFor('chen@customer.example');
    expect(sent.parsed.from?.text).toContain('help@b.example');
    expect(sent.parsed.text).toContain(SECRET);
  });

  it('cannot take an inbox folder another workspace reads', async () => {
    await request(service.app).post('/v1/admin/workspaces').set(as(keys.operator)).send({ id: 'mailc', name: 'Brand C' });
    const taken = await request(service.app)
      .patch('/v1/admin/workspaces/mailc')
      .set(as(keys.operator))
      .send({ settings: { email: { inbox: path.join('..', 'mailb', 'inbox') } } });
    expect(taken.status, taken.text).toBe(409);
    expect(taken.body.error.code).toBe('inbox_taken');
  });
});
