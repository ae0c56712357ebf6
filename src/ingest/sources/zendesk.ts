import { createHash } from 'node:crypto';
import { z } from 'zod';
import { loadHtml } from '../loaders/html.js';
import type { CrawlContext } from './crawl-website.js';
import { emptyReport, SourceSyncError } from './crawl-website.js';
import { createAgents, fetchOnce, type FetchedResponse } from './safe-fetch.js';
import type { SourceSnapshot, SourceSyncReport, SnapshotPage } from './snapshot.js';
import { sourcePathPrefix, type ZendeskSource } from './source-config.js';

/** The fields of a Zendesk Guide article we read (Help Center API, `GET /api/v2/help_center/{locale}/articles`). */
const article = z.object({
  id: z.number(),
  html_url: z.string(),
  title: z.string(),
  body: z.string().nullable(),
  locale: z.string(),
  draft: z.boolean().default(false),
  user_segment_id: z.number().nullable().optional(),
  section_id: z.number().nullable().optional(),
  updated_at: z.string(),
});
const articlesPage = z.object({ articles: z.array(article), next_page: z.string().nullable().optional() });

/**
 * A Zendesk Guide help centre through its public API: every locale's articles, page by page (`next_page`, only
 * on the help centre's own origin), drafts and restricted articles (a `user_segment_id`) left out, sections as
 * product lines (`productLines`), locales as languages. Incremental by `updated_at`: an article whose
 * updated_at has not moved keeps its previous document (nothing re-extracted, nothing re-embedded). An article
 * no longer listed is removed; a listing that fails part-way keeps everything (SourceSyncError).
 */
export async function importZendesk(source: ZendeskSource, previous: SourceSnapshot | undefined, context: CrawlContext): Promise<{ snapshot: SourceSnapshot; report: SourceSyncReport }> {
  const started = performance.now();
  const report = emptyReport(source.id, 'zendesk');
  const origin = new URL(source.baseUrl).origin;
  const agents = createAgents(1);
  const pages: Record<string, SnapshotPage> = {};
  const previousById = new Map(Object.values(previous?.pages ?? {}).map((page) => [String(page.document.metadata?.zendeskId), page]));
  let cursor = previous?.cursor;
  try {
    for (const locale of source.locales) {
      let next: string | undefined = `${origin}/api/v2/help_center/${encodeURIComponent(locale.toLowerCase())}/articles.json?per_page=100&sort_by=updated_at`;
      let pageCount = 0;
      while (next) {
        if (++pageCount > 10_000) throw new SourceSyncError('more than 10,000 pages of articles');
        if (new URL(next).origin !== origin) throw new SourceSyncError(`next_page leaves the help centre (${new URL(next).origin})`);
        if (report.bytes >= source.limits.maxBytes) throw new SourceSyncError(`the sync's byte budget (${source.limits.maxBytes}) is spent`);
        report.requests++;
        let response: FetchedResponse;
        try {
          response = await fetchOnce(next, {
            policy: context.policy,
            userAgent: context.userAgent,
            timeoutMs: source.limits.timeoutMs,
            maxBytes: source.limits.maxPageBytes,
            agents,
            headers: { accept: 'application/json' },
          });
        } catch (error) {
          throw new SourceSyncError(`${next}: ${(error as Error).message}`);
        }
        report.bytes += response.wireBytes;
        if (response.status === 401 || response.status === 403)
          throw new SourceSyncError(`the help centre API answered ${response.status} (${locale}): it needs credentials, or the help centre is not public`);
        if (response.status !== 200) throw new SourceSyncError(`the help centre API answered HTTP ${response.status} for ${new URL(next).pathname}`);
        let body: z.infer<typeof articlesPage>;
        try {
          body = articlesPage.parse(JSON.parse(response.body.toString('utf8')));
        } catch (error) {
          throw new SourceSyncError(`not a Help Center articles response: ${(error as Error).message.slice(0, 200)}`);
        }
        for (const item of body.articles) {
          // Drafts are unpublished; an article with a user segment is for signed-in customers or agents only.
          if (item.draft || item.user_segment_id != null || !item.body) continue;
          if (Object.keys(pages).length >= source.limits.maxPages) {
            report.warnings.push(`stopped at the page limit (maxPages ${source.limits.maxPages})`);
            next = undefined;
            break;
          }
          if (!cursor || item.updated_at > cursor) cursor = item.updated_at;
          const url = item.html_url;
          const before = previousById.get(`${item.id}:${item.locale}`);
          if (before && before.lastmod === item.updated_at) {
            pages[before.url] = before;
            report.pagesSkipped++;
            continue;
          }
          const [loaded] = (() => {
            try {
              return loadHtml(Buffer.from(`<html lang="${item.locale}"><head><title></title></head><body>${item.body}</body></html>`), `${sourcePathPrefix(source.id)}${url}`, { baseUrl: url });
            } catch {
              return [];
            }
          })();
          if (!loaded) continue;
          const lang = item.locale.toLowerCase().startsWith('zh') ? 'zh' : item.locale.toLowerCase().startsWith('en') ? 'en' : undefined;
          const productLine = (item.section_id != null ? source.productLines[String(item.section_id)] : undefined) ?? source.productLine;
          const document = { ...loaded, docId: url, title: item.title, lang, productLine, metadata: { url, source: source.id, zendeskId: `${item.id}:${item.locale}` } } as SnapshotPage['document'];
          const contentHash = createHash('sha256')
            .update(JSON.stringify([document.title, document.sections, lang, productLine]))
            .digest('hex');
          if (!before) report.pagesAdded++;
          else if (before.contentHash !== contentHash) report.pagesChanged++;
          report.pagesFetched++;
          pages[url] = { url, fetchedUrl: url, lastmod: item.updated_at, contentHash, links: [], document };
        }
        context.onPage?.(Object.keys(pages).length, Object.keys(pages).length);
        next = body.next_page ?? undefined;
      }
    }
  } catch (error) {
    report.seconds = Math.round((performance.now() - started) / 10) / 100;
    throw Object.assign(error instanceof SourceSyncError ? error : new SourceSyncError((error as Error).message), { report });
  } finally {
    agents.http.destroy();
    agents.https.destroy();
  }
  report.pagesRemoved = Object.keys(previous?.pages ?? {}).filter((url) => !pages[url]).length;
  report.pages = Object.keys(pages).length;
  report.state = 'succeeded';
  report.seconds = Math.round((performance.now() - started) / 10) / 100;
  return { snapshot: { sourceId: source.id, type: 'zendesk', syncedAt: new Date().toISOString(), pages, cursor }, report };
}
