import { createHash } from 'node:crypto';
import { z } from 'zod';
import { detectLanguage } from '../../text/language.js';
import { loadHtml } from '../loaders/html.js';
import type { CrawlContext } from './crawl-website.js';
import { emptyReport, SourceSyncError, withRetryAfter } from './crawl-website.js';
import { createAgents, type FetchedResponse, fetchOnce } from './safe-fetch.js';
import type { SnapshotPage, SourceSnapshot, SourceSyncReport } from './snapshot.js';
import { type FreshdeskSource, sourcePathPrefix } from './source-config.js';

/*
 * The fields we read of Freshdesk's solutions API (https://developers.freshdesk.com/api/#solutions): categories,
 * their folders and the folders' subfolders (with `visibility`: 1 = all users; 2 logged-in users, 3 agents,
 * 4 selected companies and others are restricted; `sub_folders_count`), and each folder's articles (`status`: 1
 * draft, 2 published; `description` is the HTML body), in the primary language or, with `/<language code>` after
 * the list's path, in a translation (same article id, its own title, body, status and updated_at).
 */
const category = z.object({ id: z.number(), name: z.string() });
const folder = z.object({ id: z.number(), name: z.string(), visibility: z.number(), sub_folders_count: z.number().optional() });
type Folder = z.infer<typeof folder>;
const article = z.object({
  id: z.number(),
  title: z.string(),
  description: z.string().nullable(),
  status: z.number(),
  folder_id: z.number().optional(),
  category_id: z.number().optional(),
  updated_at: z.string(),
});
type Article = z.infer<typeof article>;

/** Folder visibility "All users": the only articles an anonymous customer can read in the portal. */
const VISIBLE_TO_ALL = 1;
const PUBLISHED = 2;
const MAX_PAGES_PER_LIST = 10_000;
/** Subfolders are read this many levels below a category's own folders; deeper ones are left out with a warning. */
export const MAX_FOLDER_DEPTH = 5;

/** A Freshdesk language code as a knowledge-base language ("zh-CN" → zh), when it is one. */
const localeLanguage = (code: string) => (/^zh/i.test(code) ? 'zh' : /^en/i.test(code) ? 'en' : undefined);

/** The `rel="next"` URL of a Link header (RFC 8288), which is how Freshdesk says there is another page. */
export function nextLink(header: string | string[] | undefined): string | undefined {
  const text = Array.isArray(header) ? header.join(',') : header;
  if (!text) return undefined;
  for (const part of text.split(/,(?=\s*<)/)) {
    const match = /^\s*<([^>]*)>\s*;(.*)$/.exec(part);
    if (match && /\brel\s*=\s*"?([^";]*\s)?next(\s[^";]*)?"?/i.test(match[2])) return match[1];
  }
  return undefined;
}

/**
 * A Freshdesk knowledge base through its solutions API: categories → folders → subfolders (MAX_FOLDER_DEPTH levels)
 * → articles, in the primary language and in each of the source's `languages` (translations, documents in their
 * language at the portal's `/<code>/` address), every list page by page (`per_page=100`, then the Link header's
 * `rel="next"`, only on the helpdesk's own origin), with the source's API key as Basic auth (`<key>:X`, sent to that
 * origin only). Drafts and folders not visible to all users (with all their subfolders) are left out;
 * categories are product lines (`productLines`); 429 with a `Retry-After` up to `maxRetryAfterSeconds` is waited
 * out. Incremental by `updated_at`, as Zendesk: an unchanged article keeps its document (nothing re-embedded).
 * Any failed list fails the whole sync (SourceSyncError) so that nothing half-read removes a document.
 */
export async function importFreshdesk(
  source: FreshdeskSource,
  previous: SourceSnapshot | undefined,
  context: CrawlContext & { apiKey?: string },
): Promise<{ snapshot: SourceSnapshot; report: SourceSyncReport }> {
  const started = performance.now();
  const elapsed = () => Math.round((performance.now() - started) / 10) / 100;
  const report = emptyReport(source.id, 'freshdesk');
  if (!context.apiKey) throw Object.assign(new SourceSyncError(`no API key for source "${source.id}": set it in SOURCE_API_KEYS`), { report });
  const origin = new URL(source.baseUrl).origin;
  const portal = (source.portalUrl ?? source.baseUrl).replace(/\/+$/, '');
  const agents = createAgents(1);
  const sleep = context.sleep ?? ((ms: number) => new Promise((resolve) => setTimeout(resolve, ms)));
  const credentials = { origin, headers: { authorization: `Basic ${Buffer.from(`${context.apiKey}:X`).toString('base64')}` } };
  const pages: Record<string, SnapshotPage> = {};
  // By article and language: a translation shares its article's id.
  const articleKey = (id: unknown, language: unknown) => (language ? `${id}/${language}` : String(id));
  const previousById = new Map(Object.values(previous?.pages ?? {}).map((page) => [articleKey(page.document.metadata?.freshdeskId, page.document.metadata?.freshdeskLanguage), page]));
  let cursor = previous?.cursor;

  /** Every item of one list, following `rel="next"`; with `missingIsEmpty`, a 404 is an empty list. */
  const list = async <T>(path: string, schema: z.ZodType<T>, missingIsEmpty = false): Promise<T[]> => {
    const items: T[] = [];
    let next: string | undefined = `${origin}${path}${path.includes('?') ? '&' : '?'}per_page=100`;
    for (let page = 1; next; page++) {
      if (page > MAX_PAGES_PER_LIST) throw new SourceSyncError(`more than ${MAX_PAGES_PER_LIST} pages of ${path}`);
      if (new URL(next).origin !== origin) throw new SourceSyncError(`the Link header leaves the helpdesk (${new URL(next).origin})`);
      if (report.bytes >= source.limits.maxBytes) throw new SourceSyncError(`the sync's byte budget (${source.limits.maxBytes}) is spent`);
      const target: string = next;
      let response: FetchedResponse;
      try {
        response = await withRetryAfter(
          () => {
            report.requests++;
            return fetchOnce(target, {
              policy: context.policy,
              userAgent: context.userAgent,
              timeoutMs: source.limits.timeoutMs,
              maxBytes: source.limits.maxPageBytes,
              agents,
              credentials,
              headers: { accept: 'application/json' },
            });
          },
          source.limits.maxRetryAfterSeconds,
          sleep,
        );
      } catch (error) {
        throw new SourceSyncError(`${new URL(target).pathname}: ${(error as Error).message}`);
      }
      report.bytes += response.wireBytes;
      if (response.status === 401 || response.status === 403)
        throw new SourceSyncError(`the Freshdesk API answered ${response.status}: check the source's API key in SOURCE_API_KEYS (and that its agent may read solutions)`);
      if (response.status === 404 && missingIsEmpty) return items;
      if (response.status === 429) throw new SourceSyncError(`the Freshdesk API is rate-limiting us (429, Retry-After ${response.headers['retry-after'] ?? '?'} s): the next sync tries again`);
      if (response.status !== 200) throw new SourceSyncError(`the Freshdesk API answered HTTP ${response.status} for ${new URL(target).pathname}`);
      try {
        items.push(...z.array(schema).parse(JSON.parse(response.body.toString('utf8'))));
      } catch (error) {
        throw new SourceSyncError(`not a Freshdesk solutions response for ${new URL(target).pathname}: ${(error as Error).message.slice(0, 200)}`);
      }
      next = nextLink(response.headers.link);
    }
    return items;
  };

  /** One article, in the primary language (`language` undefined) or in a translation. */
  const add = (item: Article, productLine: string | undefined, language?: string) => {
    const freshdeskId = String(item.id);
    // A multilingual portal serves a translation under its language code.
    const url = `${portal}${language ? `/${encodeURIComponent(language)}` : ''}/support/solutions/articles/${item.id}`;
    if (!cursor || item.updated_at > cursor) cursor = item.updated_at;
    const before = previousById.get(articleKey(freshdeskId, language));
    if (before && before.lastmod === item.updated_at && before.document.productLine === productLine) {
      pages[before.url] = before;
      report.pagesSkipped++;
      return;
    }
    // The primary language is the source's, or the text's; a translation's is its language code's (else its text's).
    const text = `${item.title}\n${(item.description ?? '').replace(/<[^>]*>/g, ' ')}`;
    const lang = (language ? localeLanguage(language) : source.language) ?? detectLanguage(text);
    let loaded: SnapshotPage['document'] | undefined;
    try {
      [loaded] = loadHtml(Buffer.from(`<html lang="${lang}"><head><title></title></head><body>${item.description}</body></html>`), `${sourcePathPrefix(source.id)}${url}`);
    } catch {
      loaded = undefined;
    }
    if (!loaded) return;
    const metadata = { url, source: source.id, freshdeskId, ...(language ? { freshdeskLanguage: language } : {}) };
    const document = { ...loaded, docId: url, title: item.title, lang, productLine, metadata } as SnapshotPage['document'];
    const contentHash = createHash('sha256')
      .update(JSON.stringify([document.title, document.sections, document.lang, productLine]))
      .digest('hex');
    if (!before) report.pagesAdded++;
    else if (before.contentHash !== contentHash) report.pagesChanged++;
    report.pagesFetched++;
    pages[url] = { url, fetchedUrl: url, lastmod: item.updated_at, contentHash, links: [], document };
  };

  const translated = new Map(source.languages.map((language) => [language, 0]));
  const seenFolders = new Set<number>();
  let stopped = false;
  /**
   * A folder's articles in every language, then its subfolders, depth first. A folder not visible to all users is
   * skipped with everything under it: a subfolder of an agents-only folder is not for customers either.
   */
  const readFolder = async ({ id, visibility, sub_folders_count }: Folder, productLine: string | undefined, depth: number): Promise<void> => {
    // Logged-in users, agents, selected companies or segments: not for every customer who asks.
    if (visibility !== VISIBLE_TO_ALL || seenFolders.has(id) || stopped) return;
    seenFolders.add(id);
    for (const language of [undefined, ...source.languages]) {
      const path = `/api/v2/solutions/folders/${id}/articles${language ? `/${encodeURIComponent(language)}` : ''}`;
      // A folder without translations in a language may answer 404: nothing to read there.
      for (const item of await list(path, article, language !== undefined)) {
        if (item.status !== PUBLISHED || !item.description) continue;
        if (Object.keys(pages).length >= source.limits.maxPages) {
          report.warnings.push(`stopped at the page limit (maxPages ${source.limits.maxPages})`);
          stopped = true;
          return;
        }
        add(item, productLine, language);
        if (language) translated.set(language, (translated.get(language) ?? 0) + 1);
      }
    }
    context.onPage?.(Object.keys(pages).length, Object.keys(pages).length);
    if (sub_folders_count === 0) return;
    if (depth >= MAX_FOLDER_DEPTH) {
      if (!report.warnings.some((warning) => warning.startsWith('subfolders deeper than'))) report.warnings.push(`subfolders deeper than ${MAX_FOLDER_DEPTH} levels left out`);
      return;
    }
    for (const child of await list(`/api/v2/solutions/folders/${id}/subfolders`, folder, true)) await readFolder(child, productLine, depth + 1);
  };

  try {
    for (const { id: categoryId } of await list('/api/v2/solutions/categories', category)) {
      const productLine = source.productLines[String(categoryId)] ?? source.productLine;
      for (const top of await list(`/api/v2/solutions/categories/${categoryId}/folders`, folder)) await readFolder(top, productLine, 0);
      if (stopped) break;
    }
  } catch (error) {
    report.seconds = elapsed();
    throw Object.assign(error instanceof SourceSyncError ? error : new SourceSyncError((error as Error).message), { report });
  } finally {
    for (const agent of Object.values(agents)) agent.destroy();
  }
  // Stopped by maxPages: what was not reached is not known to be gone, so it is kept.
  const complete = !report.warnings.some((warning) => warning.startsWith('stopped at the page limit'));
  if (!complete) for (const [url, page] of Object.entries(previous?.pages ?? {})) pages[url] ??= page;
  report.pagesRemoved = Object.keys(previous?.pages ?? {}).filter((url) => !pages[url]).length;
  // A language code the helpdesk does not have answers 404 everywhere: say so rather than import nothing silently.
  for (const [language, count] of translated) if (complete && count === 0) report.warnings.push(`no published article translated to "${language}" (is it one of the helpdesk's languages?)`);
  report.pages = Object.keys(pages).length;
  report.state = 'succeeded';
  report.seconds = elapsed();
  return { snapshot: { sourceId: source.id, type: 'freshdesk', syncedAt: new Date().toISOString(), pages, cursor }, report };
}
