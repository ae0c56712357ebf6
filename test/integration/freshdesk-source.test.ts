import { mkdir, writeFile } from 'node:fs/promises';
import type { Server } from 'node:http';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import type { CrawlContext } from '../../src/ingest/sources/crawl-website.js';
import { SourceSyncError } from '../../src/ingest/sources/crawl-website.js';
import { importFreshdesk, MAX_FOLDER_DEPTH, nextLink } from '../../src/ingest/sources/freshdesk.js';
import { parseFetchAllow } from '../../src/ingest/sources/safe-fetch.js';
import { type FreshdeskSource, sourceSpec } from '../../src/ingest/sources/source-config.js';
import { loadSourceDocuments, syncSources } from '../../src/ingest/sources/sync-sources.js';
import { FreshdeskDouble } from '../support/freshdesk-double.js';
import { HelpCentreSite } from '../support/help-centre-site.js';
import { listenLocal } from '../support/listen.js';
import { tempDir } from '../support/real-stack.js';

// A Freshdesk knowledge base through its solutions API (a protocol-exact local double that checks the key, real HTTP).
const apiKey = 'fd_test_key_0123456789';
let freshdesk: FreshdeskDouble;
let server: Server;
const waits: number[] = [];
const context: CrawlContext & { apiKey?: string } = { policy: parseFetchAllow('127.0.0.1'), userAgent: 'KefuBot/0.1 (test)', apiKey, sleep: async (ms) => void waits.push(ms) };
let source: FreshdeskSource;

beforeAll(async () => {
  freshdesk = new FreshdeskDouble(new HelpCentreSite('knowledge'), apiKey, { releaseNotes: 120 });
  ({ server, base: freshdesk.base } = await listenLocal(freshdesk.handler));
  const wearables = freshdesk.categories.find((category) => category.name === 'wearables')!.id;
  source = sourceSpec.parse({ id: 'fd', type: 'freshdesk', baseUrl: freshdesk.base, portalUrl: 'https://support.lumora.example', productLines: { [wearables]: 'W' } }) as FreshdeskSource;
});
afterAll(() => server?.close());

const freshdeskId = (document: { metadata?: Record<string, unknown> }) => Number(document.metadata?.freshdeskId);

describe('Freshdesk solutions as a source', () => {
  it('imports every category, folder and article page by page with the key, leaving out drafts and folders not visible to all users, with categories as product lines', async () => {
    const { snapshot, report } = await importFreshdesk(source, undefined, context);
    const visible = freshdesk.visible();
    expect(freshdesk.articles.filter((article) => article.status === 1).length).toBeGreaterThan(3);
    expect(freshdesk.folders.filter((folder) => folder.visibility !== 1).reduce((sum, folder) => sum + folder.articles_count, 0)).toBeGreaterThan(3);
    expect(report).toMatchObject({ state: 'succeeded', pages: visible.length, pagesAdded: visible.length });
    // Every request carried the key as Basic auth; the release notes' folder (over 100 articles) took a second page through the Link header.
    expect(freshdesk.requests.every((entry) => entry.authorized)).toBe(true);
    expect(freshdesk.requests.some((entry) => /\/folders\/\d+\/articles\?page=2&per_page=100$/.test(entry.path))).toBe(true);
    const documents = Object.values(snapshot.pages).map((page) => page.document);
    expect(documents.map(freshdeskId).sort()).toEqual(visible.map((article) => article.id).sort());
    const wearables = freshdesk.categories.find((category) => category.name === 'wearables')!.id;
    const inWearables = (document: (typeof documents)[number]) => freshdesk.articles.find((article) => article.id === freshdeskId(document))?.category_id === wearables;
    expect(documents.filter(inWearables).length).toBeGreaterThan(3);
    expect(documents.every((document) => (document.productLine === 'W') === inWearables(document))).toBe(true);
    // The citation is the article's page in the customer portal; Chinese articles are Chinese documents.
    expect(documents.every((document) => document.docId === `https://support.lumora.example/support/solutions/articles/${freshdeskId(document)}`)).toBe(true);
    expect(documents.filter((document) => document.lang === 'zh').length).toBeGreaterThan(5);
  });

  it('is incremental by updated_at: unchanged articles are kept as they were, a changed one re-read, a deleted one removed', async () => {
    const first = await importFreshdesk(source, undefined, context);
    const unchanged = await importFreshdesk(source, first.snapshot, context);
    expect(unchanged.report).toMatchObject({ pagesFetched: 0, pagesSkipped: freshdesk.visible().length, pagesRemoved: 0 });
    const [changed, deleted] = freshdesk.visible();
    changed.description = `${changed.description}<p>New paragraph about the charging case.</p>`;
    changed.updated_at = '2027-01-01T00:00:00Z';
    freshdesk.articles.splice(freshdesk.articles.indexOf(deleted), 1);
    const next = await importFreshdesk(source, unchanged.snapshot, context);
    expect(next.report).toMatchObject({ pagesFetched: 1, pagesChanged: 1, pagesRemoved: 1 });
    expect(next.snapshot.cursor).toBe('2027-01-01T00:00:00Z');
  });

  it('waits out a 429 for its Retry-After and goes on; one longer than the limit fails the sync with a clear error', async () => {
    waits.length = 0;
    freshdesk.rateLimited = 1;
    freshdesk.retryAfter = 2;
    expect((await importFreshdesk(source, undefined, context)).report.state).toBe('succeeded');
    expect(waits).toEqual([2000]);
    freshdesk.rateLimited = 3;
    freshdesk.retryAfter = 3600;
    try {
      const error = await importFreshdesk(source, undefined, context).catch((caught) => caught);
      expect(error).toBeInstanceOf(SourceSyncError);
      expect(error.message).toMatch(/rate-limiting us \(429, Retry-After 3600 s\)/);
    } finally {
      freshdesk.rateLimited = 0;
    }
  });

  it('fails with a clear error on a wrong or missing key and keeps nothing half-read', async () => {
    const wrong = await importFreshdesk(source, undefined, { ...context, apiKey: 'not-the-key' }).catch((caught) => caught);
    expect(wrong).toBeInstanceOf(SourceSyncError);
    expect(wrong.message).toMatch(/answered 401: check the source's API key in SOURCE_API_KEYS/);
    const missing = await importFreshdesk(source, undefined, { ...context, apiKey: undefined }).catch((caught) => caught);
    expect(missing.message).toMatch(/no API key for source "fd"/);
  });

  it('never follows a Link header to another origin, so the key goes to the helpdesk alone', async () => {
    const elsewhere = await listenLocal((_request, response) => response.writeHead(200, { 'content-type': 'application/json' }).end('[]'));
    freshdesk.nextOrigin = elsewhere.base;
    try {
      const error = await importFreshdesk(source, undefined, context).catch((caught) => caught);
      expect(error).toBeInstanceOf(SourceSyncError);
      expect(error.message).toMatch(/the Link header leaves the helpdesk/);
    } finally {
      freshdesk.nextOrigin = undefined;
      elsewhere.server.close();
    }
  });

  it('syncs from the sources file with the key from SOURCE_API_KEYS, and every ingestion then reads its articles', async () => {
    const temp = await tempDir('freshdesk-sync');
    try {
      const sourcesFile = path.join(temp.dir, 'knowledge', 'sources.yaml');
      await mkdir(path.dirname(sourcesFile), { recursive: true });
      await writeFile(sourcesFile, `sources:\n  - id: fd\n    type: freshdesk\n    baseUrl: ${freshdesk.base}\n    productLines: { "${Object.keys(source.productLines)[0]}": W }\n`);
      const config = loadConfig({ SOURCES_FILE: sourcesFile, SOURCES_CACHE_DIR: path.join(temp.dir, 'sources'), SOURCE_FETCH_ALLOW: '127.0.0.1', SOURCE_API_KEYS: JSON.stringify({ fd: apiKey }) });
      const [report] = await syncSources(config, ['fd']);
      expect(report).toMatchObject({ id: 'fd', type: 'freshdesk', state: 'succeeded', pages: freshdesk.visible().length });
      const { documents } = await loadSourceDocuments(config);
      expect(documents.length).toBe(freshdesk.visible().length);
      expect(documents.every((document) => document.sourcePath.startsWith('source:fd/'))).toBe(true);
      expect(() => loadConfig({ SOURCE_API_KEYS: 'fd=abc' })).toThrow(/SOURCE_API_KEYS: must be a JSON object of source id → API key/);
    } finally {
      await temp.remove();
    }
  });
});

describe('Freshdesk subfolders and translations', () => {
  // Subfolders two levels down, a visible subfolder under a logged-in-only folder, a chain of nested folders deeper
  // than an import reads, and the Chinese pages as zh-CN translations of their English articles.
  let nested: FreshdeskDouble;
  let nestedServer: Server;
  let multilingual: FreshdeskSource;
  const deeper = MAX_FOLDER_DEPTH + 2;
  beforeAll(async () => {
    nested = new FreshdeskDouble(new HelpCentreSite('knowledge'), apiKey, { subfolders: true, nestedDepth: deeper, translations: true });
    ({ server: nestedServer, base: nested.base } = await listenLocal(nested.handler));
    multilingual = sourceSpec.parse({ id: 'fd', type: 'freshdesk', baseUrl: nested.base, portalUrl: 'https://support.lumora.example', language: 'en', languages: ['zh-CN'] }) as FreshdeskSource;
  });
  afterAll(() => nestedServer?.close());

  it('reads subfolders recursively down to MAX_FOLDER_DEPTH, and nothing under a folder not visible to all users', async () => {
    const { snapshot, report } = await importFreshdesk(multilingual, undefined, context);
    const ids = new Set(
      Object.values(snapshot.pages)
        .filter((page) => !page.document.metadata?.freshdeskLanguage)
        .map((page) => freshdeskId(page.document)),
    );
    const expected = nested.visible(MAX_FOLDER_DEPTH);
    expect([...ids].sort()).toEqual(expected.map((article) => article.id).sort());
    // Articles in subfolders one and two levels down are in; so is the nested chain down to the bound, not below.
    expect(expected.filter((article) => nested.depthIfVisible(article.folder_id) === 2).length).toBeGreaterThan(3);
    const nestedTitles = Object.values(snapshot.pages)
      .map((page) => page.document.title)
      .filter((title) => title.startsWith('Nested article'));
    expect(nestedTitles.sort()).toEqual(Array.from({ length: MAX_FOLDER_DEPTH }, (_, index) => `Nested article ${index + 1}`).sort());
    expect(report.warnings).toContain(`subfolders deeper than ${MAX_FOLDER_DEPTH} levels left out`);
    // A subfolder visible to all under a logged-in-only folder holds articles, none of them imported; its list is never asked for.
    const hidden = nested.folders.filter((folder) => folder.visibility === 1 && folder.parent_folder_id !== null && nested.depthIfVisible(folder.id) < 0);
    const hiddenArticles = nested.articles.filter((article) => hidden.some((folder) => folder.id === article.folder_id) && article.status === 2);
    expect(hiddenArticles.length).toBeGreaterThan(1);
    expect(hiddenArticles.some((article) => ids.has(article.id))).toBe(false);
    expect(nested.requests.some((entry) => hidden.some((folder) => entry.path.startsWith(`/api/v2/solutions/folders/${folder.id}/`)))).toBe(false);
    expect(nested.requests.some((entry) => /\/folders\/\d+\/subfolders\?per_page=100$/.test(entry.path))).toBe(true);
  });

  it('imports published translations as documents in their language at the portal address for it', async () => {
    const { snapshot, report } = await importFreshdesk(multilingual, undefined, context);
    const translations = Object.values(snapshot.pages)
      .map((page) => page.document)
      .filter((document) => document.metadata?.freshdeskLanguage === 'zh-CN');
    const expected = nested.visibleTranslations(MAX_FOLDER_DEPTH);
    expect(nested.translations.length - expected.length).toBeGreaterThan(0); // drafts, left out
    expect(translations.map(freshdeskId).sort()).toEqual(expected.map((translation) => translation.id).sort());
    expect(translations.every((document) => document.lang === 'zh' && document.docId === `https://support.lumora.example/zh-CN/support/solutions/articles/${freshdeskId(document)}`)).toBe(true);
    // The original stays, in English, at its own address.
    const [first] = translations;
    const original = snapshot.pages[`https://support.lumora.example/support/solutions/articles/${freshdeskId(first!)}`]!.document;
    expect(original.lang).toBe('en');
    expect(original.title).not.toBe(first!.title);
    expect(report.pages).toBe(nested.visible(MAX_FOLDER_DEPTH).length + expected.length);
  });

  it('keeps incremental sync by updated_at for translations: one changed is re-read, one deleted removed, the rest kept', async () => {
    const first = await importFreshdesk(multilingual, undefined, context);
    const unchanged = await importFreshdesk(multilingual, first.snapshot, context);
    expect(unchanged.report).toMatchObject({ pagesFetched: 0, pagesRemoved: 0, pagesSkipped: first.report.pages });
    const [changed, deleted] = nested.visibleTranslations(MAX_FOLDER_DEPTH);
    changed!.description = `${changed!.description}<p>充电盒的新段落。</p>`;
    changed!.updated_at = '2027-02-01T00:00:00Z';
    nested.translations.splice(nested.translations.indexOf(deleted!), 1);
    const next = await importFreshdesk(multilingual, unchanged.snapshot, context);
    expect(next.report).toMatchObject({ pagesFetched: 1, pagesChanged: 1, pagesRemoved: 1 });
    expect(next.snapshot.pages[`https://support.lumora.example/zh-CN/support/solutions/articles/${changed!.id}`]?.lastmod).toBe('2027-02-01T00:00:00Z');
    expect(next.snapshot.cursor).toBe('2027-02-01T00:00:00Z');
  });

  it("says so when a language is not one of the helpdesk's, and imports the rest", async () => {
    const french = { ...multilingual, languages: ['fr'] };
    const { report } = await importFreshdesk(french, undefined, context);
    expect(report.state).toBe('succeeded');
    expect(report.pages).toBe(nested.visible(MAX_FOLDER_DEPTH).length);
    expect(report.warnings).toContain('no published article translated to "fr" (is it one of the helpdesk\'s languages?)');
  });
});

describe('the Link header', () => {
  it('gives the rel="next" URL among others, and nothing on the last page', () => {
    expect(nextLink('<https://a.freshdesk.com/api/v2/x?page=1>; rel="prev", <https://a.freshdesk.com/api/v2/x?page=3>; rel="next"')).toBe('https://a.freshdesk.com/api/v2/x?page=3');
    expect(nextLink('<https://a.freshdesk.com/api/v2/x?page=2&per_page=100>; rel="next"')).toBe('https://a.freshdesk.com/api/v2/x?page=2&per_page=100');
    expect(nextLink('<https://a.freshdesk.com/api/v2/x?page=1>; rel="prev"')).toBeUndefined();
    expect(nextLink(undefined)).toBeUndefined();
  });
});
