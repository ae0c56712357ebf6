import type { IncomingMessage, ServerResponse } from 'node:http';
import type { HelpCentreSite } from './help-centre-site.js';

/**
 * Test double of the Zendesk Help Center API's article listing, following its documented response shape:
 * `GET /api/v2/help_center/{locale}/articles.json?per_page=&page=` → `{ articles, next_page, previous_page,
 * page, per_page, page_count, count, sort_by, sort_order }`, per_page capped at 100, `next_page` an absolute
 * URL or null, 404 for a locale the help centre does not have. Articles come from the generated help centre:
 * English pages as en-us, Chinese as zh-cn, each category a section; some are drafts, one is restricted to
 * signed-in users (user_segment_id).
 */
export interface ZendeskArticle {
  id: number;
  url: string;
  html_url: string;
  title: string;
  body: string;
  locale: string;
  source_locale: string;
  draft: boolean;
  user_segment_id: number | null;
  section_id: number;
  author_id: number;
  promoted: boolean;
  position: number;
  created_at: string;
  updated_at: string;
  edited_at: string;
  label_names: string[];
}

export class ZendeskDouble {
  readonly articles: ZendeskArticle[] = [];
  readonly sections = new Map<string, number>();
  readonly requests: string[] = [];
  /** When set, every request answers this status (401: a private help centre). */
  status?: number;
  base = '';

  /** `releaseNotes`: that many extra English articles (a help centre with more than one page of them). */
  constructor(site: HelpCentreSite, options: { releaseNotes?: number } = {}) {
    let id = 360_000_000_000;
    const notes = Array.from({ length: options.releaseNotes ?? 0 }, (_, index) => ({
      title: `Lumora app release notes 4.${index}`,
      body: `<h1>Lumora app release notes 4.${index}</h1><p>Version 4.${index} of the Lumora app improves pairing stability and fixes ${index + 1} reported issues.</p>`,
      lang: 'en' as const,
      category: 'release-notes',
      updated: new Date(Date.UTC(2026, 5, 1 + index)).toISOString(),
    }));
    for (const page of [...site.pages.values(), ...notes]) {
      const section = this.sections.get(page.category) ?? 360_100_000_000 + this.sections.size;
      this.sections.set(page.category, section);
      id++;
      this.articles.push({
        id,
        url: '',
        html_url: '',
        title: page.title,
        body: page.body,
        locale: page.lang === 'zh' ? 'zh-cn' : 'en-us',
        source_locale: 'en-us',
        draft: id % 25 === 0,
        user_segment_id: id % 40 === 1 ? 360_200_000_001 : null,
        section_id: section,
        author_id: 1,
        promoted: false,
        position: 0,
        created_at: '2026-01-01T00:00:00Z',
        updated_at: page.updated.replace(/\.\d{3}Z$/, 'Z'),
        edited_at: page.updated.replace(/\.\d{3}Z$/, 'Z'),
        label_names: [],
      });
    }
  }

  /** Published and visible to anonymous visitors: what an import should hold. */
  visible(): ZendeskArticle[] {
    return this.articles.filter((article) => !article.draft && article.user_segment_id === null);
  }

  private withUrls(article: ZendeskArticle): ZendeskArticle {
    const slug = `${article.id}-${
      article.title
        .toLowerCase()
        .replace(/[^a-z0-9]+/g, '-')
        .replace(/^-|-$/g, '')
        .slice(0, 40) || 'article'
    }`;
    return { ...article, url: `${this.base}/api/v2/help_center/${article.locale}/articles/${article.id}.json`, html_url: `${this.base}/hc/${article.locale}/articles/${slug}` };
  }

  readonly handler = (request: IncomingMessage, response: ServerResponse) => {
    const url = new URL(request.url ?? '/', this.base);
    this.requests.push(url.pathname + url.search);
    const json = (status: number, body: unknown) => response.writeHead(status, { 'content-type': 'application/json; charset=utf-8' }).end(JSON.stringify(body));
    if (this.status) return json(this.status, { error: "Couldn't authenticate you" });
    const match = /^\/api\/v2\/help_center\/([a-z-]+)\/articles\.json$/.exec(url.pathname);
    if (!match) return json(404, { error: 'InvalidEndpoint', description: 'Not found' });
    const locale = match[1];
    if (locale !== 'en-us' && locale !== 'zh-cn') return json(404, { error: 'RecordNotFound', description: 'Not found' });
    const perPage = Math.min(100, Math.max(1, Number(url.searchParams.get('per_page') ?? 30)));
    const page = Math.max(1, Number(url.searchParams.get('page') ?? 1));
    const all = this.articles.filter((article) => article.locale === locale).sort((a, b) => a.updated_at.localeCompare(b.updated_at));
    const pageCount = Math.max(1, Math.ceil(all.length / perPage));
    const link = (n: number) => `${this.base}/api/v2/help_center/${locale}/articles.json?page=${n}&per_page=${perPage}`;
    json(200, {
      articles: all.slice((page - 1) * perPage, page * perPage).map((article) => this.withUrls(article)),
      next_page: page < pageCount ? link(page + 1) : null,
      previous_page: page > 1 ? link(page - 1) : null,
      page,
      per_page: perPage,
      page_count: pageCount,
      count: all.length,
      sort_by: 'position',
      sort_order: 'asc',
    });
  };
}
