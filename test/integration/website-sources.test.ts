import { cp, mkdir, writeFile } from 'node:fs/promises';
import type { Server } from 'node:http';
import path from 'node:path';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, type Config } from '../../src/config/config.js';
import { hashKey } from '../../src/http/access.js';
import { ingestKnowledgeBase } from '../../src/ingest-knowledge-base.js';
import type { IngestJobRecord } from '../../src/ingest/jobs.js';
import type { IngestSummary } from '../../src/ingest/run-ingestion.js';
import { createLogger } from '../../src/log.js';
import { buildService, type Service } from '../../src/service.js';
import { LanceKnowledgeStore } from '../../src/store/lance-knowledge-store.js';
import { HelpCentreSite } from '../support/help-centre-site.js';
import { listenLocal } from '../support/listen.js';
import { configToEnv, realEmbedders, tempDir } from '../support/real-stack.js';

// A help centre generated from the sample knowledge base (236 addresses: articles, FAQ pages, category pages,
// print views), crawled into an otherwise empty knowledge folder with the real models and real LanceDB; the
// later syncs run as service jobs (child processes), as in production.
const adminKey = 'kefu_admin_sources_0123456789abcdefghijk';
const admin = () => ({ 'x-api-key': adminKey });
let site: HelpCentreSite;
let server: Server;
let service: Service;
let config: Config;
let first: IngestSummary;
let cleanup: () => Promise<void>;

async function waitForJob(id: string): Promise<IngestJobRecord> {
  for (let attempt = 0; attempt < 1200; attempt++) {
    const response = await request(service.app).get(`/v1/admin/jobs/${id}`).set(admin());
    if (response.body.state !== 'running') return response.body;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`job ${id} did not finish`);
}
const syncNow = async () => {
  const started = await request(service.app).post('/v1/admin/sources/help/sync').set(admin());
  expect(started.status, JSON.stringify(started.body)).toBe(202);
  return waitForJob(started.body.job.id);
};
const ask = async (question: string) =>
  (await request(service.app).post('/v1/ask').set(admin()).send({ question })).body as {
    sources: { url?: string; docId: string; snippet?: string; images?: { url: string; alt?: string }[] }[];
    knowledgeVersion?: number;
  };
const articleFetches = () => site.log.filter((entry) => /^\/(articles|faq)\//.test(entry.path) && entry.status === 200);

beforeAll(async () => {
  const temp = await tempDir('sources');
  cleanup = temp.remove;
  site = new HelpCentreSite('knowledge');
  ({ server, base: site.base } = await listenLocal(site.handler));
  const knowledge = path.join(temp.dir, 'knowledge');
  await mkdir(knowledge, { recursive: true });
  await cp('knowledge/product-lines.yaml', path.join(knowledge, 'product-lines.yaml'));
  await writeFile(
    path.join(knowledge, 'sources.yaml'),
    `sources:\n  - id: help\n    type: website\n    name: Lumora Help Centre\n    startUrls: ["${site.base}/articles/policies/warranty.en"]\n    include: ["/articles/", "/faq/"]\n    limits: { delayMs: 0, concurrency: 4 }\n`,
  );
  config = loadConfig({
    KNOWLEDGE_DIR: knowledge,
    PRODUCT_LINES_FILE: path.join(knowledge, 'product-lines.yaml'),
    SOURCES_FILE: path.join(knowledge, 'sources.yaml'),
    SOURCES_CACHE_DIR: path.join(temp.dir, 'sources'),
    SOURCE_FETCH_ALLOW: '127.0.0.1',
    SOURCE_SCHEDULER_SECONDS: '0',
    DB_DIR: path.join(temp.dir, 'db'),
    STATE_LOG_DIR: path.join(temp.dir, 'logs'),
    CALIBRATION_ENABLED: 'false',
    ANSWER_CACHE: 'false',
    LOG_LEVEL: 'silent',
    LANCEDB_READ_CONSISTENCY_SECONDS: '0',
    // The models of realEmbedders(): the sync jobs' children must embed into the same vector columns.
    EMBEDDING_MODEL_MULTI: 'none',
    API_KEYS: JSON.stringify([{ id: 'ops', sha256: hashKey(adminKey), scopes: ['admin', 'widget'], origins: [] }]),
    RATE_LIMIT_IP_BURST: '100000',
    RATE_LIMIT_KEY_BURST: '100000',
    RATE_LIMIT_KEY_CEILING_BURST: '100000',
  });
  first = await ingestKnowledgeBase(config, await realEmbedders(), { sync: 'all' });
  service = await buildService(loadConfig(configToEnv(config)), createLogger('silent'), { embedders: await realEmbedders(), chatModel: null });
}, 600_000);

afterAll(async () => {
  await service?.close();
  server?.close();
  await cleanup?.();
});

describe('a website as a knowledge source', () => {
  it('crawls the help centre (sitemap index, gzip, robots, canonical de-dup) and answers citing the page URL', async () => {
    const report = first.sources![0];
    expect(report).toMatchObject({ id: 'help', state: 'succeeded', pagesFailed: 0 });
    // Every article and FAQ page once, under its canonical address; print views and ?ref= links folded in.
    const expected = site.pages.size;
    expect(report.pages).toBe(expected);
    expect(first.documents.added).toBe(expected);
    expect(report.duplicates).toBeGreaterThan(30);
    // robots.txt disallows /internal/ and /search for KefuBot: never requested.
    expect(site.log.some((entry) => entry.path.startsWith('/internal/') || entry.path.startsWith('/search'))).toBe(false);
    // The gzipped child sitemap of the index was read.
    expect(site.log.some((entry) => entry.path === '/sitemaps/articles.xml.gz')).toBe(true);
    const store = await LanceKnowledgeStore.open(config.DB_DIR, config.TABLE_NAME);
    const documents = await store.documentHashes();
    store.close();
    expect([...documents.keys()].every((docId) => docId.startsWith(site.base) && !docId.includes('/print') && !docId.includes('?ref='))).toBe(true);
    // Each document remembers its source.
    expect([...documents.values()].every((entry) => entry.sourcePath.startsWith('source:help/'))).toBe(true);

    const answer = await ask('How do I make a warranty claim?');
    expect(answer.sources.map((source) => source.url)).toContain(`${site.base}/articles/policies/warranty.en`);
    const zh = await ask('保修期是多久？');
    expect(zh.sources.some((source) => source.url?.startsWith(`${site.base}/`))).toBe(true);
    // The comparison page's table and screenshot survive the crawl: a row (with its column headers) is a source,
    // and the screenshot, resolved against the page, rides along with its chunk.
    const comparison = `${site.base}/articles/policies/product-comparison.en`;
    const row = await ask('What is the operating temperature range of Drive Link?');
    expect(row.sources.find((source) => source.url === comparison)?.snippet).toMatch(/^Model: Drive Link \| Warranty: 2 years \|.*Operating temperature: -10 °C to 60 °C/);
    const shot = await ask("The Lumora Home app's device list with a Glow bulb, a Guard Cam S1 and a Lock L1");
    expect(shot.sources.flatMap((source) => source.images ?? []).map((image) => image.url)).toContain(`${site.base}/images/home-app-devices.png`);
    console.log(`cold crawl: ${report.pages} pages, ${report.requests} requests, ${report.bytes} bytes, ${first.chunksWritten} chunks embedded`);
  });

  it('re-syncs an unchanged site with no page downloaded and nothing embedded', async () => {
    site.log.length = 0;
    const job = await syncNow();
    expect(job.state).toBe('succeeded');
    const report = job.summary!.sources![0];
    expect(report.pagesFetched).toBe(0);
    expect(articleFetches()).toHaveLength(0);
    expect(job.summary!.chunksWritten).toBe(0);
    expect(job.summary!.committed).toBe(false);
    console.log(`unchanged re-sync: ${report.requests} requests, ${report.bytes} bytes, ${report.pagesNotModified} × 304, ${report.pagesSkipped} skipped by lastmod, 0 embedded`);
  });

  it('re-fetches and re-embeds only a changed page, and answers from its new text', async () => {
    const page = site.pages.get('/articles/policies/shipping.en')!;
    site.change(page.path, `${page.body}\n<h2>Iceland</h2><p>Orders to Iceland ship with the Aurora Express courier and arrive within 9 business days.</p>`);
    site.log.length = 0;
    const before = (await ask('Which courier ships orders to Iceland?')).knowledgeVersion;
    const job = await syncNow();
    expect(job.state).toBe('succeeded');
    const report = job.summary!.sources![0];
    expect(report).toMatchObject({ pagesFetched: 1, pagesChanged: 1, pagesAdded: 0, pagesRemoved: 0 });
    expect(articleFetches().map((entry) => entry.path)).toEqual(['/articles/policies/shipping.en']);
    expect(job.summary!.documents).toMatchObject({ added: 0, updated: 1, removed: 0 });
    const store = await LanceKnowledgeStore.open(config.DB_DIR, config.TABLE_NAME);
    const rows = (await store.documentHashes()).size;
    store.close();
    expect(rows).toBe(site.pages.size);
    const answer = await ask('Which courier ships orders to Iceland?');
    expect(answer.knowledgeVersion).not.toBe(before);
    expect(answer.sources[0]?.url).toBe(`${site.base}/articles/policies/shipping.en`);
    console.log(`one page changed: ${report.requests} requests, ${report.bytes} bytes, ${job.summary!.chunksWritten} chunks re-embedded`);
  });

  it('removes a page that is gone (404, out of the sitemap) at the next sync', async () => {
    site.remove('/articles/policies/returns.en');
    const job = await syncNow();
    expect(job.summary!.sources![0].pagesRemoved).toBe(1);
    expect(job.summary!.documents.removed).toBe(1);
    const store = await LanceKnowledgeStore.open(config.DB_DIR, config.TABLE_NAME);
    const documents = await store.documentHashes();
    store.close();
    expect(documents.has(`${site.base}/articles/policies/returns.en`)).toBe(false);
    expect(documents.size).toBe(site.pages.size);
  });

  it('lists a page that fails by URL in the job and keeps its previous version', async () => {
    const page = site.pages.get('/articles/policies/shipping.en')!;
    site.change(page.path, page.body);
    site.intercept = (request, response) => {
      if (request.url !== page.path) return false;
      response.writeHead(500).end();
      return true;
    };
    try {
      const job = await syncNow();
      expect(job.state).toBe('partial');
      expect(job.failures).toEqual([{ path: `${site.base}${page.path}`, reason: 'HTTP 500' }]);
      expect(job.summary!.documents).toMatchObject({ removed: 0, updated: 0 });
      expect((await ask('Which courier ships orders to Iceland?')).sources[0]?.url).toBe(`${site.base}${page.path}`);
    } finally {
      site.intercept = undefined;
    }
  });

  it('keeps serving the previous knowledge when the site blocks us in robots.txt, with the reason in the job', async () => {
    const robots = site.robots;
    site.robots = 'User-agent: *\nDisallow: /\n';
    try {
      const version = (await ask('Which courier ships orders to Iceland?')).knowledgeVersion;
      const job = await syncNow();
      expect(job.state).toBe('partial');
      expect(job.failures[0]).toMatchObject({ path: 'source:help' });
      expect(job.failures[0].reason).toMatch(/robots\.txt disallows/);
      expect(job.summary!.committed).toBe(false);
      const answer = await ask('Which courier ships orders to Iceland?');
      expect(answer.knowledgeVersion).toBe(version);
      expect(answer.sources[0]?.url).toBe(`${site.base}/articles/policies/shipping.en`);
      const status = await request(service.app).get('/v1/admin/sources/help').set(admin());
      expect(status.body.status).toMatchObject({ lastState: 'failed' });
      expect(status.body.status.lastError).toMatch(/robots\.txt/);
    } finally {
      site.robots = robots;
    }
  });

  it('manages sources through the admin API: validated, audited, and a re-ingest of the folder keeps the website pages', async () => {
    const list = await request(service.app).get('/v1/admin/sources').set(admin());
    expect(list.body.sources.map((source: { id: string }) => source.id)).toEqual(['knowledge', 'help']);
    expect(list.body.sources[1].status.lastReport.state).toBe('failed');
    expect(list.body.sources[1].status.lastSuccess.report.pages).toBe(site.pages.size);
    const bad = await request(service.app)
      .post('/v1/admin/sources')
      .set(admin())
      .send({ id: 'x', type: 'website', startUrls: ['ftp://example.com/'] });
    expect(bad.status).toBe(400);
    const credentials = await request(service.app)
      .post('/v1/admin/sources')
      .set(admin())
      .send({ id: 'x', type: 'website', startUrls: ['https://user:secret@example.com/'] });
    expect(credentials.status).toBe(400);
    const created = await request(service.app)
      .post('/v1/admin/sources')
      .set(admin())
      .send({ id: 'docs', type: 'website', startUrls: ['https://docs.example.com/'], schedule: '6h' });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ id: 'docs', schedule: '6h', enabled: true, limits: { maxPages: 1000 } });
    expect(
      (
        await request(service.app)
          .post('/v1/admin/sources')
          .set(admin())
          .send({ id: 'docs', type: 'website', startUrls: ['https://docs.example.com/'] })
      ).status,
    ).toBe(409);
    const patched = await request(service.app)
      .patch('/v1/admin/sources/docs')
      .set(admin())
      .send({ schedule: '1d', limits: { maxPages: 50 } });
    expect(patched.body).toMatchObject({ schedule: '1d', limits: { maxPages: 50, concurrency: 2 } });
    expect((await request(service.app).patch('/v1/admin/sources/docs').set(admin()).send({ schedule: 'hourly' })).status).toBe(400);
    // A source never synced here keeps nothing and removes nothing: the folder re-ingest keeps the website's pages.
    const ingest = await request(service.app).post('/v1/admin/ingest').set(admin());
    const job = await waitForJob(ingest.body.job.id);
    expect(job.summary!.documents).toMatchObject({ removed: 0, added: 0 });
    const deleted = await request(service.app).delete('/v1/admin/sources/docs').set(admin());
    expect(deleted.status).toBe(200);
    if (deleted.body.job) await waitForJob(deleted.body.job.id);
    expect((await request(service.app).get('/v1/admin/sources/docs').set(admin())).status).toBe(404);
    expect((await request(service.app).delete('/v1/admin/sources/knowledge').set(admin())).status).toBe(409);
    const audit = await request(service.app).get('/v1/admin/audit').set(admin());
    const actions = audit.body.audit.map((entry: { action: string }) => entry.action);
    expect(actions).toEqual(expect.arrayContaining(['source.create', 'source.update', 'source.delete', 'source.sync']));
    expect((await request(service.app).get('/v1/admin/sources')).status).toBe(401);
  });
});
