import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import { crawlWebsite, type CrawlContext, SourceSyncError } from '../../src/ingest/sources/crawl-website.js';
import { parseFetchAllow } from '../../src/ingest/sources/safe-fetch.js';
import type { SourceSnapshot, SourceSyncReport } from '../../src/ingest/sources/snapshot.js';
import { sourceSpec, type WebsiteSource } from '../../src/ingest/sources/source-config.js';
import { loadSourceDocuments, syncSources } from '../../src/ingest/sources/sync-sources.js';
import { HelpCentreSite } from '../support/help-centre-site.js';
import { listenLocal } from '../support/listen.js';
import { tempDir } from '../support/real-stack.js';

// Bad sources against the local help centre (real HTTP, no models): each is a clear error of its own, the
// limits hold, and what the previous sync had is kept.
let site: HelpCentreSite;
let server: Server;
const context: CrawlContext = { policy: parseFetchAllow('127.0.0.1'), userAgent: 'KefuBot/0.1 (test)' };
const website = (overrides: Record<string, unknown> = {}) =>
  sourceSpec.parse({
    id: 'help',
    type: 'website',
    startUrls: [`${site.base}/articles/policies/warranty.en`],
    include: ['/articles/', '/faq/'],
    limits: { delayMs: 0, concurrency: 4 },
    ...overrides,
  }) as WebsiteSource;
const failure = (error: unknown) => {
  expect(error).toBeInstanceOf(SourceSyncError);
  return error as SourceSyncError & { report: SourceSyncReport };
};
let baseline: SourceSnapshot;

beforeAll(async () => {
  site = new HelpCentreSite('knowledge');
  ({ server, base: site.base } = await listenLocal(site.handler));
  baseline = (await crawlWebsite(website(), undefined, context)).snapshot;
});
beforeEach(() => {
  site.intercept = undefined;
  site.routes.clear();
  site.log.length = 0;
});
afterAll(() => server?.close());

describe('bad sources lose nothing', () => {
  it('follows an in-scope redirect and reports a redirect loop by page, the rest syncing', async () => {
    site.routes.set('/articles/loop-a', (_request, response) => response.writeHead(302, { location: '/articles/loop-b' }).end());
    site.routes.set('/articles/loop-b', (_request, response) => response.writeHead(302, { location: '/articles/loop-a' }).end());
    site.routes.set('/articles/moved', (_request, response) => response.writeHead(301, { location: '/articles/policies/returns.en' }).end());
    const { report, snapshot } = await crawlWebsite(website({ startUrls: [`${site.base}/articles/loop-a`, `${site.base}/articles/moved`] }), baseline, context);
    expect(report.state).toBe('partial');
    expect(report.failures).toEqual([{ url: `${site.base}/articles/loop-a`, reason: expect.stringMatching(/^redirect loop/) }]);
    expect(snapshot.pages[`${site.base}/articles/policies/returns.en`]).toBeDefined();
    expect(Object.keys(snapshot.pages)).toHaveLength(site.pages.size);
  });

  it('stops a 5xx storm with one clear error, and the previous snapshot keeps serving', async () => {
    site.sitemapLastmod = false;
    site.intercept = (request, response) => {
      if (!/^\/(faq|articles)\//.test(request.url ?? '')) return false;
      response.writeHead(500).end('boom');
      return true;
    };
    try {
      const error = failure(await crawlWebsite(website({ startUrls: [`${site.base}/faq/faq-g-001`] }), baseline, context).catch((caught) => caught));
      expect(error.message).toMatch(/^stopped after 2\d failed pages \(0 succeeded\): 2\d× HTTP 500$/);
      // It stopped: nowhere near every page was asked.
      expect(site.log.filter((entry) => /^\/(faq|articles)\//.test(entry.path)).length).toBeLessThan(30);
    } finally {
      site.sitemapLastmod = true;
    }
  });

  it('cuts a 50 MB page at the byte limit and reports it, the rest syncing', async () => {
    let written = 0;
    site.routes.set('/articles/huge', (_request, response) => {
      response.writeHead(200, { 'content-type': 'text/html' });
      const chunk = Buffer.alloc(64 * 1024, '<p>lorem ipsum</p>');
      const pump = () => {
        while (written < 50 * 1024 * 1024) {
          written += chunk.length;
          if (!response.write(chunk)) return void response.once('drain', pump);
        }
        response.end();
      };
      response.on('close', () => undefined);
      pump();
    });
    const { report } = await crawlWebsite(
      website({ startUrls: [`${site.base}/articles/huge`, `${site.base}/articles/policies/warranty.en`], limits: { delayMs: 0, concurrency: 4, maxPageBytes: 1024 * 1024 } }),
      baseline,
      context,
    );
    expect(report.failures).toEqual([{ url: `${site.base}/articles/huge`, reason: expect.stringMatching(/over the 1048576-byte limit/) }]);
    expect(report.bytes).toBeLessThan(3 * 1024 * 1024);
    expect(report.pages).toBe(site.pages.size);
  });

  it('reports non-HTML content by page and keeps the page it had', async () => {
    const url = `${site.base}/articles/policies/warranty.en`;
    site.intercept = (request, response) => {
      if (request.url !== '/articles/policies/warranty.en') return false;
      response.writeHead(200, { 'content-type': 'application/pdf' }).end('%PDF-1.7');
      return true;
    };
    // Its sitemap lastmod moved, so it is asked again, and answers with a PDF.
    const previous = structuredClone(baseline);
    previous.pages[url].lastmod = '2000-01-01';
    const { report, snapshot } = await crawlWebsite(website(), previous, context);
    expect(report.failures).toEqual([{ url, reason: 'not HTML (application/pdf)' }]);
    expect(snapshot.pages[url]).toEqual(previous.pages[url]);
  });

  it('keeps to maxSitemapUrls in a sitemap of a million URLs (gzipped), and to maxPages', async () => {
    const lines: string[] = [];
    for (let index = 0; index < 1_000_000; index++) lines.push(`<url><loc>${site.base}/articles/gen/${index}</loc></url>`);
    const body = gzipSync(`<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">${lines.join('\n')}</urlset>`);
    site.routes.set('/big-sitemap.xml.gz', (_request, response) => response.writeHead(200, { 'content-type': 'application/gzip' }).end(body));
    site.intercept = (request, response) => {
      if (!request.url?.startsWith('/articles/gen/')) return false;
      response
        .writeHead(200, { 'content-type': 'text/html' })
        .end(`<html lang="en"><body><main><h1>Generated ${request.url}</h1><p>${'Generated article text for the crawl limits. '.repeat(8)}</p></main></body></html>`);
      return true;
    };
    const { report, snapshot } = await crawlWebsite(
      website({
        startUrls: [`${site.base}/articles/gen/0`],
        sitemaps: [`${site.base}/big-sitemap.xml.gz`],
        followLinks: false,
        limits: { delayMs: 0, concurrency: 4, maxSitemapUrls: 5000, maxSitemapBytes: 100 * 1024 * 1024, maxPages: 30 },
      }),
      undefined,
      context,
    );
    expect(report.warnings).toEqual(expect.arrayContaining([expect.stringMatching(/lists 995000 more URLs than the limit/), 'stopped at the page limit (maxPages 30)']));
    expect(Object.keys(snapshot.pages)).toHaveLength(30);
    expect(report.requests).toBeLessThan(45);
  });

  it('refuses to crawl a site whose robots.txt blocks us, naming robots.txt', async () => {
    const robots = site.robots;
    site.robots = 'User-agent: KefuBot\nDisallow: /\n';
    try {
      const error = failure(await crawlWebsite(website(), baseline, context).catch((caught) => caught));
      expect(error.message).toMatch(/robots\.txt disallows .* for our user agent \(KefuBot\)/);
      expect(site.log.filter((entry) => entry.path.startsWith('/articles/'))).toHaveLength(0);
    } finally {
      site.robots = robots;
    }
  });

  it('treats robots.txt answering 5xx as "disallowed" (RFC 9309) and a 401 start page as a source error', async () => {
    site.routes.set('/robots.txt', (_request, response) => response.writeHead(503).end());
    failure(await crawlWebsite(website(), baseline, context).catch((caught) => caught));
    site.routes.clear();
    site.routes.set('/articles/private', (_request, response) => response.writeHead(401, { 'www-authenticate': 'Basic' }).end());
    const error = failure(await crawlWebsite(website({ startUrls: [`${site.base}/articles/private`], sitemaps: [], followLinks: false }), baseline, context).catch((caught) => caught));
    expect(error.message).toBe('every start URL failed: 1× HTTP 401');
  });

  it('waits out a short Retry-After and tries again', async () => {
    let calls = 0;
    site.routes.set('/articles/busy', (_request, response) => {
      if (++calls === 1) return response.writeHead(503, { 'retry-after': '1' }).end();
      response.writeHead(200, { 'content-type': 'text/html' }).end(`<html lang="en"><body><main><h1>Busy page</h1><p>${'It answered the second time. '.repeat(10)}</p></main></body></html>`);
    });
    const { snapshot } = await crawlWebsite(website({ startUrls: [`${site.base}/articles/busy`], sitemaps: [], followLinks: false }), undefined, context);
    expect(calls).toBe(2);
    expect(snapshot.pages[`${site.base}/articles/busy`].document.title).toBe('Busy page');
  });

  it('re-syncs an unchanged site without lastmod through ETags: all 304, nothing downloaded', async () => {
    site.sitemapLastmod = false;
    try {
      const first = await crawlWebsite(website(), undefined, context);
      site.log.length = 0;
      const { report } = await crawlWebsite(website(), first.snapshot, context);
      expect(report.pagesFetched).toBe(0);
      expect(report.pagesNotModified).toBe(site.pages.size);
      expect(site.log.filter((entry) => /^\/(articles|faq)\//.test(entry.path) && entry.status === 200)).toHaveLength(0);
    } finally {
      site.sitemapLastmod = true;
    }
  });

  it('does not reach a private address without SOURCE_FETCH_ALLOW', async () => {
    const error = failure(await crawlWebsite(website(), baseline, { ...context, policy: parseFetchAllow('') }).catch((caught) => caught));
    expect(error.message).toMatch(/127\.0\.0\.1 is not a public address/);
    // A host name that resolves to loopback is judged by the address it resolves to, at connect time.
    const byName = failure(
      await crawlWebsite(website({ startUrls: [site.base.replace('127.0.0.1', 'localhost') + '/articles/x'] }), undefined, { ...context, policy: parseFetchAllow('') }).catch((caught) => caught),
    );
    expect(byName.message).toMatch(/localhost resolves to .*not a public address/);
  });

  it('keeps the previous snapshot (and so the stored pages) when a sync fails, through syncSources', async () => {
    const temp = await tempDir('sync-sources');
    try {
      const knowledge = path.join(temp.dir, 'knowledge');
      await mkdir(knowledge);
      await writeFile(
        path.join(knowledge, 'sources.yaml'),
        `sources:\n  - id: help\n    type: website\n    startUrls: ["${site.base}/articles/policies/warranty.en"]\n    include: ["/articles/"]\n    limits: { delayMs: 0, concurrency: 4 }\n`,
      );
      const config = loadConfig({ KNOWLEDGE_DIR: knowledge, SOURCES_FILE: path.join(knowledge, 'sources.yaml'), SOURCES_CACHE_DIR: path.join(temp.dir, 'cache'), SOURCE_FETCH_ALLOW: '127.0.0.1' });
      const [ok] = await syncSources(config, 'all');
      expect(ok.state).toBe('succeeded');
      const snapshotFile = path.join(temp.dir, 'cache', 'help.json');
      const before = await readFile(snapshotFile, 'utf8');
      site.routes.set('/robots.txt', (_request, response) => response.writeHead(500).end());
      const [failed] = await syncSources(config, ['help', 'nope']);
      expect(failed).toMatchObject({ id: 'help', state: 'failed', error: expect.stringMatching(/robots\.txt answered HTTP 500/) });
      expect(await readFile(snapshotFile, 'utf8')).toBe(before);
      const loaded = await loadSourceDocuments(config);
      expect(loaded.documents.length).toBe(ok.pages);
      const [, unknown] = await syncSources(config, ['help', 'nope']);
      expect(unknown.error).toMatch(/no source "nope"/);
    } finally {
      await temp.remove();
    }
  });
});

describe('limits on every response', () => {
  it('stops a gzip bomb at the byte cap once decompressed', async () => {
    const { fetchOnce, ResponseTooLargeError } = await import('../../src/ingest/sources/safe-fetch.js');
    const bomb = gzipSync(Buffer.alloc(64 * 1024 * 1024));
    site.routes.set('/articles/bomb', (_request, response) => response.writeHead(200, { 'content-type': 'text/html', 'content-encoding': 'gzip' }).end(bomb));
    expect(bomb.length).toBeLessThan(1024 * 1024);
    const error = await fetchOnce(`${site.base}/articles/bomb`, { policy: parseFetchAllow('127.0.0.1'), userAgent: 'KefuBot/0.1', timeoutMs: 10_000, maxBytes: 1024 * 1024 }).catch((caught) => caught);
    expect(error).toBeInstanceOf(ResponseTooLargeError);
    expect(error.message).toMatch(/once decompressed/);
  });
});

describe('credentials stay with their origin', () => {
  it("sends a source's headers to its own origin only, never to where a redirect leads", async () => {
    const { fetchOnce } = await import('../../src/ingest/sources/safe-fetch.js');
    const seen: (string | undefined)[] = [];
    const other = createServer((request, response) => {
      seen.push(request.headers.authorization);
      response.end('ok');
    });
    const { base: otherBase } = await listenLocal(other);
    try {
      const options = {
        policy: parseFetchAllow('127.0.0.1'),
        userAgent: 'KefuBot/0.1',
        timeoutMs: 5000,
        maxBytes: 1024,
        credentials: { origin: site.base, headers: { authorization: 'Bearer secret' } },
      };
      await fetchOnce(`${otherBase}/x`, options);
      expect(seen).toEqual([undefined]);
    } finally {
      other.close();
    }
  });
});
