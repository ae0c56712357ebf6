import type { Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CrawlContext } from '../../src/ingest/sources/crawl-website.js';
import { SourceSyncError } from '../../src/ingest/sources/crawl-website.js';
import { parseFetchAllow } from '../../src/ingest/sources/safe-fetch.js';
import { sourceSpec, type ZendeskSource } from '../../src/ingest/sources/source-config.js';
import { importZendesk } from '../../src/ingest/sources/zendesk.js';
import { HelpCentreSite } from '../support/help-centre-site.js';
import { listenLocal } from '../support/listen.js';
import { ZendeskDouble } from '../support/zendesk-double.js';

// A Zendesk Guide help centre through its articles API (a protocol-exact local double, real HTTP).
let zendesk: ZendeskDouble;
let server: Server;
const context: CrawlContext = { policy: parseFetchAllow('127.0.0.1'), userAgent: 'KefuBot/0.1 (test)' };
let source: ZendeskSource;

beforeAll(async () => {
  zendesk = new ZendeskDouble(new HelpCentreSite('knowledge'), { releaseNotes: 20 });
  ({ server, base: zendesk.base } = await listenLocal(zendesk.handler));
  const wearables = zendesk.sections.get('wearables')!;
  source = sourceSpec.parse({ id: 'zd', type: 'zendesk', baseUrl: zendesk.base, locales: ['en-us', 'zh-cn'], productLines: { [wearables]: 'W' } }) as ZendeskSource;
});
afterAll(() => server?.close());

describe('Zendesk Guide as a source', () => {
  it('imports every locale page by page, leaving out drafts and restricted articles, with sections as product lines', async () => {
    const { snapshot, report } = await importZendesk(source, undefined, context);
    const visible = zendesk.visible();
    expect(zendesk.articles.length - visible.length).toBeGreaterThan(5);
    expect(report).toMatchObject({ state: 'succeeded', pages: visible.length, pagesAdded: visible.length });
    // More than 100 English articles: the second page came through next_page.
    expect(zendesk.requests.some((entry) => entry.includes('/en-us/articles.json?page=2'))).toBe(true);
    const documents = Object.values(snapshot.pages).map((page) => page.document);
    expect(documents.map((document) => (document.metadata as { zendeskId: string }).zendeskId.split(':')[0]).sort()).toEqual(visible.map((article) => String(article.id)).sort());
    const wearables = zendesk.sections.get('wearables');
    const inSection = (id: string) => zendesk.articles.find((article) => `${article.id}:${article.locale}` === id)?.section_id === wearables;
    const zendeskId = (document: (typeof documents)[number]) => (document.metadata as { zendeskId: string }).zendeskId;
    expect(documents.filter((document) => inSection(zendeskId(document))).length).toBeGreaterThan(5);
    expect(documents.every((document) => (document.productLine === 'W') === inSection(zendeskId(document)))).toBe(true);
    expect(documents.filter((document) => document.lang === 'zh').length).toBeGreaterThan(10);
    expect(documents.every((document) => document.docId.startsWith(`${zendesk.base}/hc/`) && (document.metadata as { url: string }).url === document.docId)).toBe(true);
  });

  it('is incremental by updated_at: unchanged articles are kept as they were, a changed one re-read, a deleted one removed', async () => {
    const first = await importZendesk(source, undefined, context);
    const unchanged = await importZendesk(source, first.snapshot, context);
    expect(unchanged.report).toMatchObject({ pagesFetched: 0, pagesSkipped: zendesk.visible().length, pagesRemoved: 0 });
    const [changed, deleted] = zendesk.visible();
    changed.body = `${changed.body}<p>New paragraph.</p>`;
    changed.updated_at = '2027-01-01T00:00:00Z';
    zendesk.articles.splice(zendesk.articles.indexOf(deleted), 1);
    const next = await importZendesk(source, unchanged.snapshot, context);
    expect(next.report).toMatchObject({ pagesFetched: 1, pagesChanged: 1, pagesRemoved: 1 });
  });

  it('fails with a clear error on 401 and keeps nothing half-read', async () => {
    zendesk.status = 401;
    try {
      const error = await importZendesk(source, undefined, context).catch((caught) => caught);
      expect(error).toBeInstanceOf(SourceSyncError);
      expect(error.message).toMatch(/answered 401 \(en-us\): it needs credentials/);
    } finally {
      zendesk.status = undefined;
    }
  });
});
