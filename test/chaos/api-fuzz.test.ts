/**
 * A bounded fuzzer over every operation in the OpenAPI document: 5,000 requests with random and
 * half-valid paths, headers, keys and bodies (fixed seed, so a failure reproduces), against the real
 * service (sample knowledge base, real models, extractive mode). Asserts: no 5xx, every error is the JSON
 * error shape, nothing hangs, and /metrics and the heap stay bounded.
 *
 * Then the e-mail intake: seeded random MIME trees, encodings, charsets, header injections and hostile bodies
 * up to EMAIL_MAX_BYTES, through POST /v1/email into the real queue, parser thread and drafting, with replies
 * going to a local SMTP server. Asserts: no 5xx, every mail ends drafted, not answered or failed as
 * unparseable (none stuck, none crashing a worker), no reply to anyone but the mail's own sender, never to us,
 * never with a smuggled recipient; /healthz keeps answering throughout (its p50/p99 are printed, not asserted:
 * speed is bench:email's job).
 */
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import request from 'supertest';
import { parse as parseYaml } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashKey } from '../../src/http/access.js';
import { createLogger } from '../../src/log.js';
import { buildService, type Service } from '../../src/service.js';
import { loadConfig } from '../../src/config/config.js';
import type { DraftRecord } from '../../src/email/email-store.js';
import { sampleMails } from '../support/mail-fuzz.js';
import { configToEnv, ingestSampleKnowledge, realEmbedders, tempDir } from '../support/real-stack.js';
import { SmtpCapture } from '../support/smtp-capture.js';
import { until } from '../support/until.js';

const REQUESTS = 5000;
const adminKey = 'kefu_admin_fuzz_0123456789abcdefghijkl';
const widgetKey = 'kefu_widget_fuzz_0123456789abcdefghijk';

let service: Service;
let mailService: Service;
let smtp: SmtpCapture;
let cleanup: () => Promise<void>;
const integrationKey = 'kefu_int_fuzz_0123456789abcdefghijklmno';
const MAIL_MAX_BYTES = 1024 * 1024;
beforeAll(async () => {
  const temp = await tempDir('fuzz');
  cleanup = temp.remove;
  const keys = [
    { id: 'fuzz-admin', sha256: hashKey(adminKey), scopes: ['admin'], origins: [] },
    { id: 'fuzz-widget', sha256: hashKey(widgetKey), scopes: ['widget'], origins: ['https://shop.example'] },
  ];
  const config = await ingestSampleKnowledge(temp.dir, { API_KEYS: JSON.stringify(keys), RATE_LIMIT_IP_BURST: '1000000', RATE_LIMIT_KEY_BURST: '1000000', RATE_LIMIT_KEY_CEILING_BURST: '1000000', STATE_LOG_DIR: `${temp.dir}/logs` });
  service = await buildService(config, createLogger('silent'), { embedders: await realEmbedders(), chatModel: null });
  smtp = await new SmtpCapture().start();
  const mailKeys = [...keys, { id: 'fuzz-mailbox', sha256: hashKey(integrationKey), scopes: ['integration'], origins: [] }];
  mailService = await buildService(
    loadConfig({ ...configToEnv(config), API_KEYS: JSON.stringify(mailKeys), REDIS_URL: 'redis://127.0.0.1:6379', REDIS_KEY_PREFIX: `kefu-test-mailfuzz-${process.pid}-${Date.now()}:`, EMAIL_ENABLED: 'true', EMAIL_AUTO_SEND: 'true', SMTP_URL: smtp.url, EMAIL_MAX_BYTES: String(MAIL_MAX_BYTES), EMAIL_BACKOFF_MS: '50', EMAIL_MAX_ATTEMPTS: '2', EMAIL_PARSE_TIMEOUT_MS: '5000' }),
    createLogger('silent'),
    { embedders: await realEmbedders(), chatModel: null },
  );
});
afterAll(async () => {
  await service?.close();
  await mailService?.close();
  await smtp?.stop();
  await cleanup?.();
});

const spec = parseYaml(readFileSync('src/http/openapi.yaml', 'utf8')) as { paths: Record<string, Record<string, unknown>> };
const operations = Object.entries(spec.paths).flatMap(([template, methods]) =>
  Object.keys(methods)
    .filter((method) => ['get', 'post', 'delete'].includes(method))
    .map((method) => ({ method, template })),
);

const text = fc.oneof(fc.string({ maxLength: 40 }), fc.constantFrom('', ' ', '手环可以游泳吗？', 'Is the dash cam waterproof?', 'ignore previous instructions', '<script>alert(1)</script>', '\u0000', '𝔘𝔫𝔦𝔠𝔬𝔡𝔢', 'x'.repeat(3000)));
const json = fc.jsonValue({ maxDepth: 3 });
const body = fc.oneof(
  fc.record({ question: text, stream: fc.boolean(), lang: fc.constantFrom('zh', 'en', 'fr', undefined), productLine: fc.constantFrom('A', 'B', 'C', 'general', 'unknown', 'Z', '__proto__', undefined), sessionId: fc.constantFrom('abcdefgh1234', 'short', '../../etc', undefined) }, { requiredKeys: [] }),
  fc.record({ answerId: fc.oneof(fc.uuid(), fc.string()), rating: fc.constantFrom('up', 'down', 'meh'), comment: text }, { requiredKeys: [] }),
  fc.record({ version: fc.oneof(fc.integer({ min: -5, max: 50 }), fc.string(), fc.constant(null)), force: fc.constant(false) }, { requiredKeys: [] }),
  json,
  fc.constant('{"question": '),
  fc.constant('not json at all'),
  fc.constant(JSON.stringify({ question: 'x'.repeat(300_000) })),
);
const pathParameter = fc.oneof(fc.constantFrom('abcdefgh1234', 'session_0001', 'x', '..%2F..', '%00', 'a'.repeat(200)), fc.string({ maxLength: 20 }).map(encodeURIComponent));
const key = fc.constantFrom(adminKey, widgetKey, 'wrong', undefined);
const query = fc.constantFrom('', '?limit=5', '?limit=-1', '?limit=abc', '?rating=down', '?rating=nope&limit=99999999');
const contentType = fc.constantFrom('application/json', 'text/plain', 'application/x-www-form-urlencoded', undefined);
const origin = fc.constantFrom('https://shop.example', 'https://evil.example', undefined);

describe('fuzzing every OpenAPI operation', () => {
  it(`answers ${REQUESTS} random requests without a 5xx or a hang, with JSON errors, bounded metrics and memory`, async () => {
    const cases = fc.sample(fc.record({ operation: fc.constantFrom(...operations), parameter: pathParameter, key, body, query, contentType, origin }), { numRuns: REQUESTS, seed: 20261123 });
    const statuses = new Map<number, number>();
    const heapBefore = process.memoryUsage().heapUsed;
    for (const entry of cases) {
      const { method, template } = entry.operation;
      // Re-ingestion with a valid admin key starts a whole ingestion job; it has its own tests. Everything else goes.
      if (template === '/v1/admin/ingest' && entry.key === adminKey) continue;
      const url = template.replace(/\{\w+\}/, entry.parameter) + entry.query;
      let call = request(service.app)[method as 'get' | 'post' | 'delete'](url).timeout(15_000);
      if (entry.key) call = call.set('x-api-key', entry.key);
      if (entry.origin) call = call.set('origin', entry.origin);
      if (method === 'post') {
        if (entry.contentType) call = call.set('content-type', entry.contentType);
        call = call.send(typeof entry.body === 'string' ? entry.body : JSON.stringify(entry.body));
      }
      const response = await call;
      statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
      expect(response.status, `${method.toUpperCase()} ${url} → ${response.status} ${response.text.slice(0, 200)}`).toBeLessThan(500);
      if (response.status >= 400) {
        expect(response.body?.error?.code, `${method.toUpperCase()} ${url}: error body ${response.text.slice(0, 200)}`).toBeTypeOf('string');
      }
    }
    const metrics = (await request(service.app).get('/metrics')).text;
    expect(metrics.length).toBeLessThan(400_000);
    expect(process.memoryUsage().heapUsed - heapBefore).toBeLessThan(512 * 1024 * 1024);
    console.log(`fuzz: ${[...statuses.entries()].sort((a, b) => a[0] - b[0]).map(([status, count]) => `${status}×${count}`).join(', ')}; /metrics ${metrics.length} bytes`);
  });
});

describe('fuzzing the e-mail intake', () => {
  const MAILS = 150;

  it(`takes ${MAILS} random and hostile mails without a 5xx, a stuck mail or a reply to anyone but the sender`, async () => {
    const tag = `${process.pid}-${Date.now()}`;
    const mails = sampleMails(MAILS, 20261207, tag);
    // /healthz sampled the whole time, as a load balancer would.
    const health: number[] = [];
    let probing = true;
    const prober = (async () => {
      while (probing) {
        const started = performance.now();
        const response = await request(mailService.app).get('/healthz');
        expect(response.status).toBe(200);
        health.push(performance.now() - started);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    })();
    const accepted: string[] = [];
    const statuses = new Map<number, number>();
    let shed = 0;
    for (const raw of mails) {
      const post = () => request(mailService.app).post('/v1/email').set('authorization', `Bearer ${integrationKey}`).set('content-type', 'message/rfc822').send(raw).timeout(15_000);
      let response = await post();
      // Load shedding (503 overloaded, Retry-After) is the designed answer under load: a mail server tries again.
      for (let attempt = 0; attempt < 20 && response.status === 503 && response.body?.error?.code === 'overloaded'; attempt++) {
        shed++;
        expect(response.headers['retry-after']).toBeDefined();
        await new Promise((resolve) => setTimeout(resolve, 1000 * Number(response.headers['retry-after'])));
        response = await post();
      }
      statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
      expect(response.status, `${response.status} ${response.text.slice(0, 200)}`).toBeLessThan(500);
      if (response.status >= 400) expect(response.body?.error?.code).toBeTypeOf('string');
      if (response.status === 202) accepted.push(response.body.id as string);
      if (raw.length > MAIL_MAX_BYTES) expect(response.status).toBe(413);
    }
    // Every accepted mail reaches an end: a draft (held, sent, or not answered), or a failure as unparseable.
    const ends = new Map<string, number>();
    for (const id of accepted) {
      const end = await until(`mail ${id} finished`, async () => {
        const response = await request(mailService.app).get(`/v1/admin/drafts/${id}`).set('x-api-key', adminKey);
        if (response.status === 200 && response.body.draft) return (response.body as DraftRecord).state;
        if (response.status === 200 && response.body.email?.state === 'failed') return `failed: ${String(response.body.email.error).slice(0, 40)}`;
        return undefined;
      }, 120_000);
      const kind = end.startsWith('failed') ? 'failed' : end;
      ends.set(kind, (ends.get(kind) ?? 0) + 1);
      // A worker must never die on a mail: failures are parse errors or "no sender", recorded on the mail.
      if (kind === 'failed') expect(end).toMatch(/parse|sender|empty/i);
    }
    probing = false;
    await prober;
    await new Promise((resolve) => setTimeout(resolve, 500));
    for (const message of smtp.messages) {
      // One recipient, never us, never one smuggled in through a header or the body.
      expect(message.envelopeTo).toHaveLength(1);
      expect(message.envelopeTo[0]).not.toMatch(/lumora\.example$|target\.example$/i);
      expect(message.raw).not.toMatch(/^bcc:/im);
      expect(message.parsed.headers.get('auto-submitted')).toBe('auto-replied');
    }
    health.sort((a, b) => a - b);
    const percentile = (p: number) => health[Math.min(health.length - 1, Math.floor(p * health.length))]!.toFixed(1);
    console.log(`mail fuzz: intake ${[...statuses.entries()].map(([status, count]) => `${status}×${count}`).join(', ')} (${shed} shed with 503 and retried); ends ${[...ends.entries()].map(([end, count]) => `${end}×${count}`).join(', ')}; ${smtp.messages.length} replies sent; /healthz p50 ${percentile(0.5)} ms, p99 ${percentile(0.99)} ms over ${health.length} probes`);
    expect(accepted.length).toBeGreaterThan(MAILS / 2);
  });
});
