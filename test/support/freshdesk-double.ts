import type { IncomingMessage, ServerResponse } from 'node:http';
import type { HelpCentreSite } from './help-centre-site.js';

/**
 * Test double of Freshdesk's solutions API (https://developers.freshdesk.com/api/#solutions), following its
 * documented protocol: Basic auth with the API key as user name and `X` as password (401 `invalid_credentials`
 * otherwise); `GET /api/v2/solutions/categories`, `/categories/{id}/folders`, `/folders/{id}/articles`, each a
 * JSON array paginated by `page` and `per_page` (default 30, at most 100; more is a 400) with a `link: <…>;
 * rel="next"` header while another page follows; 404 for an unknown id; 429 with `Retry-After` when told to.
 * Articles come from the generated help centre: each category of it a Freshdesk category with one folder visible
 * to all users (visibility 1) and one for logged-in users only (visibility 2); some articles are drafts (status 1).
 */
export interface FreshdeskArticle {
  id: number;
  type: number;
  category_id: number;
  folder_id: number;
  agent_id: number;
  title: string;
  description: string;
  description_text: string;
  status: 1 | 2;
  seo_data: Record<string, string>;
  tags: string[];
  thumbs_up: number;
  thumbs_down: number;
  hits: number;
  created_at: string;
  updated_at: string;
}

export interface FreshdeskFolder {
  id: number;
  name: string;
  description: string | null;
  visibility: number;
  category_id: number;
  articles_count: number;
  created_at: string;
  updated_at: string;
}

export class FreshdeskDouble {
  readonly categories: { id: number; name: string; description: string | null; visible_in_portals: number[]; created_at: string; updated_at: string }[] = [];
  readonly folders: FreshdeskFolder[] = [];
  readonly articles: FreshdeskArticle[] = [];
  /** Every request: its path and query, and whether it carried the right key. */
  readonly requests: { path: string; authorized: boolean }[] = [];
  /** The next this-many requests answer 429 with `Retry-After: retryAfter`. */
  rateLimited = 0;
  retryAfter = 1;
  /** When set, `rel="next"` links point at this origin instead (a hostile or misconfigured helpdesk). */
  nextOrigin?: string;
  base = '';

  /** `releaseNotes`: that many extra English articles in one category (a folder with more than one page of them). */
  constructor(
    site: HelpCentreSite,
    readonly apiKey: string,
    options: { releaseNotes?: number } = {},
  ) {
    let id = 43_000_000_000;
    const notes = Array.from({ length: options.releaseNotes ?? 0 }, (_, index) => ({
      title: `Lumora app release notes 4.${index}`,
      body: `<h1>Lumora app release notes 4.${index}</h1><p>Version 4.${index} of the Lumora app improves pairing stability and fixes ${index + 1} reported issues.</p>`,
      category: 'release-notes',
      updated: new Date(Date.UTC(2026, 5, 1 + index)).toISOString(),
    }));
    for (const page of [...site.pages.values(), ...notes]) {
      let category = this.categories.find((entry) => entry.name === page.category);
      if (!category) {
        category = {
          id: 43_000_100_000 + this.categories.length,
          name: page.category,
          description: null,
          visible_in_portals: [43_000_000_001],
          created_at: '2026-01-01T00:00:00Z',
          updated_at: '2026-01-01T00:00:00Z',
        };
        this.categories.push(category);
        for (const visibility of [1, 2]) {
          this.folders.push({
            id: 43_000_200_000 + this.folders.length,
            name: `${page.category} (${visibility === 1 ? 'all users' : 'logged-in users'})`,
            description: null,
            visibility,
            category_id: category.id,
            articles_count: 0,
            created_at: '2026-01-01T00:00:00Z',
            updated_at: '2026-01-01T00:00:00Z',
          });
        }
      }
      id++;
      // Every ninth article of a category sits in the logged-in users' folder; every twentieth is a draft.
      const folder = this.folders.filter((entry) => entry.category_id === category.id)[id % 9 === 0 ? 1 : 0];
      folder.articles_count++;
      const updated = page.updated.replace(/\.\d{3}Z$/, 'Z');
      this.articles.push({
        id,
        type: 1,
        category_id: category.id,
        folder_id: folder.id,
        agent_id: 43_000_000_002,
        title: page.title,
        description: page.body,
        description_text: page.body.replace(/<[^>]+>/g, ' '),
        status: id % 20 === 0 ? 1 : 2,
        seo_data: {},
        tags: [],
        thumbs_up: 0,
        thumbs_down: 0,
        hits: 0,
        created_at: '2026-01-01T00:00:00Z',
        updated_at: updated,
      });
    }
  }

  /** Published, in a folder every user sees: what an import should hold. */
  visible(): FreshdeskArticle[] {
    const open = new Set(this.folders.filter((folder) => folder.visibility === 1).map((folder) => folder.id));
    return this.articles.filter((article) => article.status === 2 && open.has(article.folder_id));
  }

  readonly handler = (request: IncomingMessage, response: ServerResponse) => {
    const url = new URL(request.url ?? '/', this.base);
    const expected = `Basic ${Buffer.from(`${this.apiKey}:X`).toString('base64')}`;
    const authorized = request.headers.authorization === expected;
    this.requests.push({ path: url.pathname + url.search, authorized });
    const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
      response.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers }).end(JSON.stringify(body));
    if (!authorized) return json(401, { code: 'invalid_credentials', message: 'You have to be logged in to perform this action.' });
    if (this.rateLimited > 0) {
      this.rateLimited--;
      return json(429, { message: 'You have exceeded the limit of requests per minute' }, { 'retry-after': String(this.retryAfter) });
    }
    const perPage = Number(url.searchParams.get('per_page') ?? 30);
    const page = Number(url.searchParams.get('page') ?? 1);
    if (!Number.isInteger(perPage) || perPage < 1 || perPage > 100 || !Number.isInteger(page) || page < 1) {
      return json(400, { description: 'Validation failed', errors: [{ field: 'per_page', message: 'It should be a Positive Integer less than or equal to 100', code: 'invalid_value' }] });
    }
    const list = (items: unknown[]) => {
      const headers: Record<string, string> = {};
      if (page * perPage < items.length) headers.link = `<${this.nextOrigin ?? this.base}${url.pathname}?page=${page + 1}&per_page=${perPage}>; rel="next"`;
      json(200, items.slice((page - 1) * perPage, page * perPage), headers);
    };
    let match: RegExpExecArray | null;
    if (url.pathname === '/api/v2/solutions/categories') return list(this.categories);
    if ((match = /^\/api\/v2\/solutions\/categories\/(\d+)\/folders$/.exec(url.pathname))) {
      const id = Number(match[1]);
      if (!this.categories.some((category) => category.id === id)) return json(404, { code: 'not_found' });
      return list(this.folders.filter((folder) => folder.category_id === id));
    }
    if ((match = /^\/api\/v2\/solutions\/folders\/(\d+)\/articles$/.exec(url.pathname))) {
      const id = Number(match[1]);
      if (!this.folders.some((folder) => folder.id === id)) return json(404, { code: 'not_found' });
      return list(this.articles.filter((article) => article.folder_id === id));
    }
    json(404, { code: 'not_found', message: 'Not found' });
  };
}
