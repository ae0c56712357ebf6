/**
 * An e-mail worker killed with SIGKILL in the middle of drafting (a real `src/worker.ts` process, waiting on a
 * slow model) loses nothing: another worker takes the job up once its lock lapses, and exactly one draft exists.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import request from 'supertest';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import { hashKey } from '../../src/http/access.js';
import { createLogger } from '../../src/log.js';
import { buildService, type Service } from '../../src/service.js';
import { FakeVllmServer } from '../support/fake-vllm-server.js';
import { configToEnv, ingestSampleKnowledge, realEmbedders, tempDir } from '../support/real-stack.js';
import { SmtpCapture } from '../support/smtp-capture.js';
import { until } from '../support/until.js';

const integrationKey = 'kefu_int_kill0123456789abcdefghijklmno';
const adminKey = 'kefu_admin_kill0123456789abcdefghijklm';
const children: ChildProcess[] = [];
const cleanups: (() => Promise<void>)[] = [];

afterAll(async () => {
  for (const child of children) child.kill('SIGKILL');
  for (const cleanup of cleanups.reverse()) await cleanup();
});

/** tsx as a loader in the worker process itself: its CLI would fork a second process that SIGKILL misses. */
function startWorker(env: Record<string, string>): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/worker.ts'], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env, LOG_LEVEL: 'info' } });
  children.push(child);
  return new Promise((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => reject(new Error(`worker did not start:\n${output}`)), 120_000);
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('e-mail worker running')) {
        clearTimeout(timer);
        resolve(child);
      }
    });
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('exit', (code) => reject(new Error(`worker exited (${code}):\n${output}`)));
  });
}


describe('e-mail worker killed mid-job', () => {
  it('loses nothing: the job is taken up by another worker and drafted exactly once', async () => {
    const temp = await tempDir('email-kill');
    cleanups.push(temp.remove);
    const llm = await new FakeVllmServer().start();
    cleanups.push(() => llm.stop());
    // Slow tokens: the first worker is still waiting on the model when it is killed.
    llm.mode = 'slow';
    llm.tokenDelayMs = 25;
    const smtp = await new SmtpCapture().start();
    cleanups.push(() => smtp.stop());
    const base = await ingestSampleKnowledge(temp.dir, { CALIBRATION_ENABLED: 'false', ANSWER_CACHE: 'false', STATE_LOG_DIR: `${temp.dir}/state` });
    const env = {
      ...configToEnv(base),
      API_KEYS: JSON.stringify([
        { id: 'mailbox', sha256: hashKey(integrationKey), scopes: ['integration'], origins: [] },
        { id: 'reviewer', sha256: hashKey(adminKey), scopes: ['admin'], origins: [] },
      ]),
      REDIS_URL: 'redis://127.0.0.1:6379',
      REDIS_KEY_PREFIX: `kefu-test-email-kill-${process.pid}-${Date.now()}:`,
      EMAIL_ENABLED: 'true',
      SMTP_URL: smtp.url,
      LLM_BASE_URL: llm.baseURL,
      LLM_TIMEOUT_MS: '60000',
      LLM_FIRST_TOKEN_TIMEOUT_MS: '30000',
      EMAIL_JOB_LOCK_MS: '2000',
      EMAIL_BACKOFF_MS: '100',
      EMAIL_WORKER: 'false',
      RATE_LIMIT_IP_BURST: '100000',
    };
    // The API takes mail in; the workers are separate processes.
    const api: Service = await buildService(loadConfig({ ...env, EMAIL_WORKERS_IN_PROCESS: 'false', LLM_BASE_URL: '' }), createLogger('silent'), { embedders: await realEmbedders(), chatModel: null });
    cleanups.push(() => api.close());

    const first = await startWorker(env);
    const raw = await readFile('test/fixtures/email/en-multipart-qp.eml');
    const intake = await request(api.app).post('/v1/email').set('authorization', `Bearer ${integrationKey}`).set('content-type', 'message/rfc822').send(raw);
    expect(intake.status).toBe(202);
    const id = intake.body.id as string;
    // Killed while its model call streams: the job is active, nothing is drafted yet.
    await until('the first worker to call the model', async () => (llm.requests.length >= 1 ? true : undefined));
    expect(await api.email!.draftQueue.getActiveCount()).toBe(1);
    first.kill('SIGKILL');
    await new Promise((resolve) => first.once('exit', resolve));
    expect((await request(api.app).get(`/v1/admin/drafts/${id}`).set('x-api-key', adminKey)).status).toBe(202);

    llm.mode = 'answer';
    await startWorker(env);
    const draft = await until('the draft by the second worker', async () => {
      const response = await request(api.app).get(`/v1/admin/drafts/${id}`).set('x-api-key', adminKey);
      return response.status === 200 && response.body.draft ? response.body : undefined;
    }, 90_000);
    expect(draft.events.filter((event: { action: string }) => event.action === 'drafted')).toHaveLength(1);
    expect(draft.draft.text).toContain('Dear Anna Smith');
    const drafts = (await request(api.app).get('/v1/admin/drafts').set('x-api-key', adminKey)).body.drafts;
    expect(drafts).toHaveLength(1);
    const counts = await api.email!.draftQueue.getJobCounts();
    expect(counts).toMatchObject({ completed: 1, failed: 0, active: 0 });
    // The model was asked twice: once by the killed worker, once by the one that finished the job.
    expect(llm.requests.length).toBeGreaterThanOrEqual(2);
  }, 300_000);
});
