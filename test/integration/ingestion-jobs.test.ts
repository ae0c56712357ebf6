import { spawn } from 'node:child_process';
import { cp, readdir, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import { hashKey } from '../../src/http/access.js';
import type { IngestJobRecord } from '../../src/ingest/jobs.js';
import { acquireIngestLock, LockHeldError } from '../../src/ingest/lock.js';
import { createLogger } from '../../src/log.js';
import { buildService, type Service } from '../../src/service.js';
import { ingestSampleKnowledge, realEmbedders, tempDir, configToEnv } from '../support/real-stack.js';
import { listenLocal } from '../support/listen.js';

// Real Redis at 127.0.0.1:6379 (.ci/run starts it), real models, real LanceDB, real ingestion child processes.
const REDIS_URL = 'redis://127.0.0.1:6379';
const prefix = `kefu-jobs-${process.pid}-${Date.now()}:`;
const adminKey = 'kefu_admin_jobs_0123456789abcdefghijklmn';
let service: Service;
let knowledge: string;
let dbDir: string;
let cleanup: () => Promise<void>;

const admin = () => ({ 'x-api-key': adminKey });
const ask = (question: string) => request(service.app).post('/v1/ask').set(admin()).send({ question });

async function waitForJob(id: string): Promise<IngestJobRecord> {
  for (let attempt = 0; attempt < 600; attempt++) {
    const response = await request(service.app).get(`/v1/admin/jobs/${id}`).set(admin());
    expect(response.status).toBe(200);
    if (response.body.state !== 'running') return response.body;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`job ${id} did not finish`);
}

beforeAll(async () => {
  const temp = await tempDir('jobs');
  cleanup = temp.remove;
  knowledge = path.join(temp.dir, 'knowledge');
  dbDir = path.join(temp.dir, 'db');
  await cp('knowledge', knowledge, { recursive: true });
  const settings = { KNOWLEDGE_DIR: knowledge, PRODUCT_LINES_FILE: path.join(knowledge, 'product-lines.yaml'), STATE_LOG_DIR: path.join(temp.dir, 'logs'), REDIS_URL, REDIS_KEY_PREFIX: prefix };
  // The first table is the run's shared sample table (test/support/table-cache.ts); the settings below are the service's
  // and so its jobs'. No regression gate: each of this file's six jobs would ask the regression set again, and they are
  // about jobs, locks and versions; a job the gate holds is proven by regression-gate.test.ts and admin-held-versions.test.ts.
  const config = await ingestSampleKnowledge(dbDir, settings);
  service = await buildService(
    loadConfig({
      ...configToEnv(config),
      KNOWLEDGE_KEEP_VERSIONS: '2',
      REGRESSION_GATE: 'false',
      API_KEYS: JSON.stringify([{ id: 'ops', sha256: hashKey(adminKey), scopes: ['admin'], origins: [] }]),
      RATE_LIMIT_IP_BURST: '100000',
      RATE_LIMIT_KEY_BURST: '100000',
      RATE_LIMIT_KEY_CEILING_BURST: '100000',
    }),
    createLogger('silent'),
    { embedders: await realEmbedders(), chatModel: null },
  );
});

afterAll(async () => {
  await service?.close();
  await cleanup?.();
});

describe('ingestion as a job', () => {
  it('returns 202 with a job at once, refuses a second with 409 naming it, and switches versions under load with no failed request', async () => {
    await writeFile(path.join(knowledge, 'policies', 'gift-cards.md'), '# Gift cards\n\nLumora gift cards never expire and can be used on every product in the online store.\n');
    const before = (await ask('Can I swim with the Pulse Band 3?')).body.knowledgeVersion as number;
    expect(before).toBeGreaterThan(0);

    const started = await request(service.app).post('/v1/admin/ingest').set(admin());
    expect(started.status).toBe(202);
    expect(started.body.job).toMatchObject({ state: 'running', kind: 'ingest', startedBy: 'ops' });
    expect(started.headers.location).toBe(`/v1/admin/jobs/${started.body.job.id}`);
    const second = await request(service.app).post('/v1/admin/ingest').set(admin());
    expect(second.status).toBe(409);
    expect(second.body.error.code).toBe('ingestion_running');
    expect(second.body.error.details.runningJob).toBe(started.body.job.id);

    // A bounded load generator: four clients asking until the job is over, each pausing 20 ms between questions
    // (about 150 a second in all: load enough to land questions on both sides of the switch; unpaced, the clients took
    // the cores from the job they wait for, which then ran 90 s).
    let done = false;
    const statuses: number[] = [];
    const versions = new Set<number>();
    const client = async () => {
      while (!done) {
        const response = await ask('Can I swim with the Pulse Band 3?');
        statuses.push(response.status);
        versions.add(response.body.knowledgeVersion);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    };
    const clients = [client(), client(), client(), client()];
    const job = await waitForJob(started.body.job.id);
    // A few more answers after the switch, then stop.
    for (let index = 0; index < 3; index++) statuses.push((await ask('Can I swim with the Pulse Band 3?')).status);
    done = true;
    await Promise.all(clients);

    expect(job.state).toBe('succeeded');
    expect(job.summary).toMatchObject({ committed: true, documents: { added: 1, failed: 0 } });
    expect(job.files.total).toBeGreaterThan(5);
    expect(job.files.done).toBe(job.files.total);
    expect(job.chunks.done).toBe(job.chunks.total);
    expect(job.summary!.db).not.toMatch(/\//);
    expect(statuses.length).toBeGreaterThan(10);
    expect(statuses.filter((status) => status !== 200)).toEqual([]);
    const after = (await ask('Do Lumora gift cards expire?')).body;
    expect(after.knowledgeVersion).toBeGreaterThan(before);
    expect(after.refused).toBe(false);
    expect(versions.has(before)).toBe(true);
    const switchSeconds = (Date.parse(job.finishedAt!) - Date.parse(job.startedAt)) / 1000;
    console.log(`knowledge switch under load: job ${switchSeconds.toFixed(1)} s, ${statuses.length} answers, ${statuses.filter((status) => status !== 200).length} failed, versions seen ${[...versions].join(', ')}`);

    const list = await request(service.app).get('/v1/admin/jobs').set(admin());
    expect(list.body.jobs[0].id).toBe(job.id);
    const metrics = (await request(service.app).get('/metrics')).text;
    expect(metrics).toMatch(/kefu_ingestion_runs_total\{result="success"\} 1/);
    expect(metrics).toMatch(/kefu_ingestion_runs_total\{result="conflict"\} 1/);
    expect(metrics).toMatch(/^kefu_ingestion_running 0$/m);
  });

  it('reports a failing file as the job goes and ingests the rest (partial)', async () => {
    await writeFile(path.join(knowledge, 'policies', 'broken-manual.pdf'), 'not a pdf at all');
    const started = await request(service.app).post('/v1/admin/ingest').set(admin());
    const job = await waitForJob(started.body.job.id);
    expect(job.state, job.error).toBe('partial');
    expect(job.failures).toEqual([{ path: 'policies/broken-manual.pdf', reason: 'not a PDF file (no %PDF header)' }]);
    const { rm } = await import('node:fs/promises');
    await rm(path.join(knowledge, 'policies', 'broken-manual.pdf'));
  });

  it('an uploaded document becomes answerable; deleting it makes the question refused again', async () => {
    const question = 'How long does the Zephyr Kettle K9 take to boil a full jug?';
    const unknown = await ask(question);
    expect(unknown.body, JSON.stringify(unknown.body)).toMatchObject({ refused: true });
    const upload = await request(service.app)
      .post('/v1/admin/documents')
      .set(admin())
      .attach('file', Buffer.from('# Zephyr Kettle K9\n\n## Boiling time\n\nThe Zephyr Kettle K9 boils a full 1.7-litre jug in about three minutes. It switches off by itself when the water boils.\n'), 'zephyr-kettle.md');
    expect(upload.status).toBe(202);
    expect(upload.body.document.path).toBe('uploads/zephyr-kettle.md');
    expect((await waitForJob(upload.body.job.id)).state).toBe('succeeded');
    const answered = (await ask(question)).body;
    expect(answered.refused).toBe(false);
    expect(answered.answer).toMatch(/three minutes/);
    expect(answered.citations[0].path).toBe('uploads/zephyr-kettle.md');

    // Unsupported types and missing files are refused before anything is written.
    const exe = await request(service.app).post('/v1/admin/documents').set(admin()).attach('file', Buffer.from('MZ'), 'tool.exe');
    expect(exe.status).toBe(415);
    expect((await request(service.app).post('/v1/admin/documents').set(admin()).send({ file: 'x' })).status).toBe(415);
    expect((await readdir(path.join(knowledge, 'uploads'))).sort()).toEqual(['.incoming', 'zephyr-kettle.md']);

    const removed = await request(service.app).delete(`/v1/admin/documents/${encodeURIComponent('uploads/zephyr-kettle.md')}`).set(admin());
    expect(removed.status).toBe(202);
    expect((await waitForJob(removed.body.job.id)).summary?.documents.removed).toBe(1);
    expect((await ask(question)).body.refused).toBe(true);
    expect((await request(service.app).delete(`/v1/admin/documents/${encodeURIComponent('uploads/zephyr-kettle.md')}`).set(admin())).status).toBe(404);
  });

  it('keeps only the configured number of ingestion versions, and rollback to a deleted one is 404', async () => {
    const versions = (await request(service.app).get('/v1/admin/versions').set(admin())).body.versions as { version: number; tag?: string }[];
    expect(versions.filter((entry) => entry.tag).length).toBeLessThanOrEqual(2);
    const oldest = Math.min(...versions.map((entry) => entry.version));
    expect(oldest).toBeGreaterThan(2);
    const rollback = await request(service.app).post('/v1/admin/rollback').set(admin()).send({ version: 2 });
    expect(rollback.status).toBe(404);
  });

  it('rollback takes the lock (409 while a job runs) and is audited', async () => {
    const held = await acquireIngestLock({ dbDir, tableName: 'knowledge', redisUrl: REDIS_URL, redisPrefix: prefix, jobId: 'someone-else' });
    const tagged = ((await request(service.app).get('/v1/admin/versions').set(admin())).body.versions as { version: number; tag?: string }[]).filter((entry) => entry.tag);
    const blocked = await request(service.app).post('/v1/admin/rollback').set(admin()).send({ version: tagged[0].version });
    expect(blocked.status).toBe(409);
    expect(blocked.body.error.details.runningJob).toBe('someone-else');
    await held.release();
    // A file the rolled-back version does not hold: the next ingestion would bring it back, and the answer says so.
    const { rm, writeFile } = await import('node:fs/promises');
    await writeFile(path.join(knowledge, 'late-addition.md'), '# Late addition\n\nAdded after that version.\n');
    const done = await request(service.app).post('/v1/admin/rollback').set(admin()).send({ version: tagged[0].version });
    await rm(path.join(knowledge, 'late-addition.md'));
    expect(done.status).toBe(200);
    expect(done.body.comesBack).toContain('late-addition.md');
    expect(done.body.comesBack.filter((file: string) => /^(prompts|curated)\/|\.yaml$/.test(file))).toEqual([]);
    expect(done.body.note).toMatch(/table only[\s\S]*come back at the next ingestion[\s\S]*late-addition\.md/);
    const audit = (await request(service.app).get('/v1/admin/audit').set(admin())).body.audit;
    expect(audit.at(-1)).toMatchObject({ action: 'rollback', by: 'ops', to: tagged[0].version });
    expect(audit.map((entry: { action: string }) => entry.action)).toEqual(expect.arrayContaining(['job.ingest', 'job.upload', 'job.delete']));
    expect((await request(service.app).get('/v1/admin/jobs/00000000-0000-4000-8000-000000000000').set(admin())).status).toBe(404);
  });
});

describe('the CLIs against a running service', () => {
  it('npm run ingest -- --server starts a job and follows it; npm run keys:* create, list and revoke keys', async () => {
    const { server, base: url } = await listenLocal(service.app);
    const run = (args: string[]) =>
      new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
        const child = spawn(process.execPath, ['--import', 'tsx', ...args], { env: { ...process.env, KEFU_ADMIN_KEY: adminKey } });
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (chunk) => (stdout += chunk));
        child.stderr.on('data', (chunk) => (stderr += chunk));
        child.on('close', (code) => resolve({ code, stdout, stderr }));
      });
    try {
      const ingest = await run(['ingest/ingest.ts', '--server', url, '--json']);
      expect(ingest.code, ingest.stderr).toBe(0);
      expect(JSON.parse(ingest.stdout)).toMatchObject({ table: 'knowledge', documents: { failed: 0 } });
      expect(ingest.stderr).toMatch(/job [0-9a-f-]{36} started/);

      const created = await run(['ingest/keys.ts', 'create', '--id', 'cli-widget', '--scopes', 'widget', '--server', url]);
      expect(created.code, created.stderr).toBe(0);
      const key = /key \(shown once\): (\S+)/.exec(created.stdout)![1];
      expect((await request(service.app).post('/v1/ask').set('x-api-key', key).send({ question: 'Can I swim with the Pulse Band 3?' })).status).toBe(200);
      expect((await run(['ingest/keys.ts', 'list', '--server', url])).stdout).toMatch(/active +cli-widget +widget/);
      expect((await run(['ingest/keys.ts', 'revoke', '--id', 'cli-widget', '--server', url])).code).toBe(0);
      expect((await request(service.app).post('/v1/ask').set('x-api-key', key).send({ question: 'Can I swim with the Pulse Band 3?' })).status).toBe(401);
    } finally {
      server.close();
    }
  });
});

describe('knowledge-gaps report', () => {
  it('groups refused and thumbs-down questions by similarity and product line, with counts, first/last seen and an example', async () => {
    const refusedQuestions = ['Do Lumora gift cards expire?', 'Is there an expiry date on gift cards?', 'How long is a gift card valid?', 'Can I pay with PayPal?', 'Do you accept PayPal payments?', 'What is the weather in Paris today?'];
    for (const question of refusedQuestions) {
      const body = (await ask(question)).body;
      if (!body.refused) {
        // Answered (the gift-card page from the first test): a thumbs-down puts it into the report too.
        await request(service.app).post('/v1/feedback').set(admin()).send({ answerId: body.answerId, rating: 'down', comment: 'not what I asked' });
      }
    }
    const report = (await request(service.app).get('/v1/admin/gaps').set(admin())).body;
    const giftCards = report.gaps.find((gap: { example: string }) => /gift card/i.test(gap.example));
    expect(giftCards.count).toBeGreaterThanOrEqual(3);
    expect(giftCards.refused + giftCards.thumbsDown).toBe(giftCards.count);
    expect(Date.parse(giftCards.lastSeen)).toBeGreaterThanOrEqual(Date.parse(giftCards.firstSeen));
    const paypal = report.gaps.find((gap: { example: string }) => /PayPal/.test(gap.example));
    expect(paypal.count).toBe(2);
    // Off-topic: its own bucket, not a gap (src/insights/off-topic.ts).
    expect(report.gaps.find((gap: { example: string }) => /weather/.test(gap.example))).toBeUndefined();
    expect(report.offTopic.find((gap: { example: string }) => /weather/.test(gap.example)).count).toBe(1);

    const future = (await request(service.app).get(`/v1/admin/gaps?since=${encodeURIComponent(new Date(Date.now() + 60_000).toISOString())}`).set(admin())).body;
    expect(future.gaps).toEqual([]);
    const otherLine = (await request(service.app).get('/v1/admin/gaps?productLine=C').set(admin())).body;
    expect(otherLine.gaps.every((gap: { productLine: string }) => gap.productLine === 'C')).toBe(true);
    expect((await request(service.app).get('/v1/admin/gaps?since=yesterday').set(admin())).status).toBe(400);
    expect((await request(service.app).get('/v1/admin/gaps')).status).toBe(401);
    const page = await request(service.app).get('/admin');
    expect(page.text).toContain('Knowledge gaps');
  });
});

describe('ingestion locks are leases', () => {
  it('a lock file left by a dead holder on another host expires; a live one from another host is respected', async () => {
    const dir = await tempDir('lease');
    const file = path.join(dir.dir, '.t.ingest.lock');
    const otherHost = { token: 'x', pid: 1, host: `${hostname()}-elsewhere`, startedAt: 'earlier', purpose: 'ingestion' };
    await writeFile(file, JSON.stringify({ ...otherHost, expiresAt: Date.now() + 60_000 }));
    await expect(acquireIngestLock({ dbDir: dir.dir, tableName: 't' })).rejects.toThrow(LockHeldError);
    await writeFile(file, JSON.stringify({ ...otherHost, expiresAt: Date.now() - 1 }));
    const lock = await acquireIngestLock({ dbDir: dir.dir, tableName: 't' });
    expect(lock.owner.host).toBe(hostname());
    await lock.release();
    await dir.remove();
  });

  it('in Redis: a holder that stops renewing loses the lease after its TTL, wherever it ran; a live holder keeps it by renewing', async () => {
    const redis = new Redis(REDIS_URL);
    const key = `${prefix}lock:ingest:lease-test`;
    // A replica on another host took the lease and died: nothing renews it.
    await redis.set(key, JSON.stringify({ token: 'dead', pid: 1, host: 'other-host', startedAt: 'earlier', purpose: 'ingestion' }), 'PX', 600);
    await expect(acquireIngestLock({ dbDir: '/unused', tableName: 'lease-test', redisUrl: REDIS_URL, redisPrefix: prefix })).rejects.toThrow(/pid 1 on other-host/);
    await new Promise((resolve) => setTimeout(resolve, 700));
    const live = await acquireIngestLock({ dbDir: '/unused', tableName: 'lease-test', redisUrl: REDIS_URL, redisPrefix: prefix, ttlSeconds: 1 });
    // Renewed every third of the TTL: still held well after one TTL.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    await expect(acquireIngestLock({ dbDir: '/unused', tableName: 'lease-test', redisUrl: REDIS_URL, redisPrefix: prefix })).rejects.toThrow(LockHeldError);
    await live.release();
    expect(await redis.exists(key)).toBe(0);
    redis.disconnect();
  });
});
