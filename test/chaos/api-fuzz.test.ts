/**
 * A bounded fuzzer over every operation in the OpenAPI document: 5,000 requests with random and
 * half-valid paths, headers, keys and bodies (fixed seed, so a failure reproduces), against the real
 * service (sample knowledge base, real models, extractive mode). Asserts: no 5xx, every error is the JSON
 * error shape, nothing hangs, and /metrics and the heap stay bounded.
 */
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import request from 'supertest';
import { parse as parseYaml } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashKey } from '../../src/http/access.js';
import { createLogger } from '../../src/log.js';
import { buildService, type Service } from '../../src/service.js';
import { ingestSampleKnowledge, realEmbedders, tempDir } from '../support/real-stack.js';

const REQUESTS = 5000;
const adminKey = 'kefu_admin_fuzz_0123456789abcdefghijkl';
const widgetKey = 'kefu_widget_fuzz_0123456789abcdefghijk';

let service: Service;
let cleanup: () => Promise<void>;
beforeAll(async () => {
  const temp = await tempDir('fuzz');
  cleanup = temp.remove;
  const keys = [
    { id: 'fuzz-admin', sha256: hashKey(adminKey), scopes: ['admin'], origins: [] },
    { id: 'fuzz-widget', sha256: hashKey(widgetKey), scopes: ['widget'], origins: ['https://shop.example'] },
  ];
  const config = await ingestSampleKnowledge(temp.dir, { API_KEYS: JSON.stringify(keys), RATE_LIMIT_IP_BURST: '1000000', RATE_LIMIT_KEY_BURST: '1000000', RATE_LIMIT_KEY_CEILING_BURST: '1000000', STATE_LOG_DIR: `${temp.dir}/logs` });
  service = await buildService(config, createLogger('silent'), { embedders: await realEmbedders(), chatModel: null });
});
afterAll(async () => {
  await service?.close();
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
