import type { IncomingMessage, ServerResponse } from 'node:http';
import type { HelpCentreSite } from './help-centre-site.js';

/**
 * Test double of Freshdesk's solutions API (https://developers.freshdesk.com/api/#solutions), following its
 * documented protocol: Basic auth with the API key as user name and `X` as password (401 `invalid_credentials`
 * otherwise); `GET /api/v2/solutions/categories`, `/categories/{id}/folders` (the category's own folders),
 * `/folders/{id}/subfolders`, `/folders/{id}/articles` and, for a translation, `/folders/{id}/articles/{language
 * code}` (404 for a language the helpdesk does not have), each a JSON array paginated by `page` and `per_page`
 * (default 30, at most 100; more is a 400) with a `link: <…>; rel="next"` header while another page follows; 404
 * for an unknown id; 429 with `Retry-After` when told to. Articles come from the generated help centre: each
 * category of it a Freshdesk category with one folder visible to all users (visibility 1) and one for logged-in
 * users only (visibility 2); some articles are drafts (status 1). Options add subfolders (a visible one under a
 * restricted folder among them), a chain of nested folders deeper than an import reads, and translations: the
 * Chinese page of an English one becomes its `zh-CN` translation.
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
  parent_folder_id: number | null;
  articles_count: number;
  sub_folders_count: number;
  created_at: string;
  updated_at: string;
}

export class FreshdeskDouble {
  readonly categories: { id: number; name: string; description: string | null; visible_in_portals: number[]; created_at: string; updated_at: string }[] = [];
  readonly folders: FreshdeskFolder[] = [];
  readonly articles: FreshdeskArticle[] = [];
  /** Translations: an article's id with its text in another language. */
  readonly translations: (FreshdeskArticle & { language: string })[] = [];
  /** The helpdesk's languages besides the primary one (translated lists for others answer 404). */
  readonly languages = ['zh-CN'];
  /** Every request: its path and query, and whether it carried the right key. */
  readonly requests: { path: string; authorized: boolean }[] = [];
  /** The next this-many requests answer 429 with `Retry-After: retryAfter`. */
  rateLimited = 0;
  retryAfter = 1;
  /** When set, `rel="next"` links point at this origin instead (a hostile or misconfigured helpdesk). */
  nextOrigin?: string;
  base = '';

  /**
   * `releaseNotes`: that many extra English articles in one category (a folder with more than one page of them);
   * `subfolders`: each category's folders get subfolders, two levels under the visible one; `nestedDepth`: a chain
   * of that many nested folders under the first category's visible folder, an article in each; `translations`:
   * Chinese pages with an English counterpart are its zh-CN translation rather than articles of their own.
   */
  constructor(
    site: HelpCentreSite,
    readonly apiKey: string,
    options: { releaseNotes?: number; subfolders?: boolean; nestedDepth?: number; translations?: boolean } = {},
  ) {
    let id = 43_000_000_000;
    const notes = Array.from({ length: options.releaseNotes ?? 0 }, (_, index) => ({
      title: `Lumora app release notes 4.${index}`,
      body: `<h1>Lumora app release notes 4.${index}</h1><p>Version 4.${index} of the Lumora app improves pairing stability and fixes ${index + 1} reported issues.</p>`,
      category: 'release-notes',
      updated: new Date(Date.UTC(2026, 5, 1 + index)).toISOString(),
    }));
    const articleByPath = new Map<string, FreshdeskArticle>();
    const translatedPages = [...site.pages.values()].filter((page) => options.translations && /\.zh$/.test(page.path) && site.pages.has(page.path.replace(/\.zh$/, '.en')));
    for (const page of [...site.pages.values(), ...notes]) {
      if (translatedPages.includes(page as (typeof translatedPages)[number])) continue;
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
        for (const visibility of [1, 2]) this.addFolder(`${page.category} (${visibility === 1 ? 'all users' : 'logged-in users'})`, visibility, category.id, null);
      }
      id++;
      // Every ninth article of a category sits in the logged-in users' folder; every twentieth is a draft.
      const folder = this.folders.filter((entry) => entry.category_id === category.id)[id % 9 === 0 ? 1 : 0];
      folder.articles_count++;
      const updated = page.updated.replace(/\.\d{3}Z$/, 'Z');
      const created: FreshdeskArticle = {
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
      };
      this.articles.push(created);
      if ('path' in page && typeof page.path === 'string') articleByPath.set(page.path, created);
    }
    if (options.subfolders) this.nestSubfolders();
    if (options.nestedDepth) this.nestChain(options.nestedDepth);
    translatedPages.forEach((page, index) => {
      const original = articleByPath.get(page.path.replace(/\.zh$/, '.en'))!;
      // Every tenth translation is still a draft.
      const status = index % 10 === 9 ? 1 : 2;
      this.translations.push({
        ...original,
        language: 'zh-CN',
        title: page.title,
        description: page.body,
        description_text: page.body.replace(/<[^>]+>/g, ' '),
        status,
        updated_at: page.updated.replace(/\.\d{3}Z$/, 'Z'),
      });
    });
  }

  private addFolder(name: string, visibility: number, categoryId: number, parent: FreshdeskFolder | null): FreshdeskFolder {
    const folder: FreshdeskFolder = {
      id: 43_000_200_000 + this.folders.length,
      name,
      description: null,
      visibility,
      category_id: categoryId,
      parent_folder_id: parent?.id ?? null,
      articles_count: 0,
      sub_folders_count: 0,
      created_at: '2026-01-01T00:00:00Z',
      updated_at: '2026-01-01T00:00:00Z',
    };
    if (parent) parent.sub_folders_count++;
    this.folders.push(folder);
    return folder;
  }

  private move(article: FreshdeskArticle, to: FreshdeskFolder): void {
    this.folders.find((folder) => folder.id === article.folder_id)!.articles_count--;
    article.folder_id = to.id;
    to.articles_count++;
  }

  /** Under each category's visible folder, a subfolder and a sub-subfolder; under its restricted one, a subfolder visible to all. */
  private nestSubfolders(): void {
    for (const top of this.folders.filter((folder) => folder.parent_folder_id === null)) {
      const child = this.addFolder(`${top.name} › guides`, 1, top.category_id, top);
      const grandchild = top.visibility === 1 ? this.addFolder(`${top.name} › guides › advanced`, 1, top.category_id, child) : undefined;
      this.articles
        .filter((article) => article.folder_id === top.id)
        .forEach((article, index) => {
          if (index % 3 === 1) this.move(article, child);
          else if (index % 3 === 2 && grandchild) this.move(article, grandchild);
        });
    }
  }

  /** A chain of `depth` nested visible folders under the first category's visible folder, one article in each. */
  private nestChain(depth: number): void {
    let parent = this.folders.find((folder) => folder.parent_folder_id === null && folder.visibility === 1)!;
    for (let level = 1; level <= depth; level++) {
      parent = this.addFolder(`level ${level}`, 1, parent.category_id, parent);
      const id = 43_000_900_000 + level;
      const body = `<h1>Nested article ${level}</h1><p>This article sits ${level} folder levels below its category's folder.</p>`;
      this.articles.push({ ...this.articles[0]!, id, folder_id: parent.id, title: `Nested article ${level}`, description: body, description_text: body.replace(/<[^>]+>/g, ' '), status: 2 });
      parent.articles_count++;
    }
  }

  /** A folder's depth below its category's own folders (0 for those), or -1 when it or a folder above it is restricted. */
  depthIfVisible(folderId: number): number {
    const folder = this.folders.find((entry) => entry.id === folderId)!;
    if (folder.visibility !== 1) return -1;
    if (folder.parent_folder_id === null) return 0;
    const above = this.depthIfVisible(folder.parent_folder_id);
    return above < 0 ? -1 : above + 1;
  }

  /** Published, in a folder every user sees (and every folder above it), at most `maxDepth` below the category's: what an import should hold. */
  visible(maxDepth = Number.POSITIVE_INFINITY): FreshdeskArticle[] {
    const open = (article: FreshdeskArticle) => {
      const depth = this.depthIfVisible(article.folder_id);
      return depth >= 0 && depth <= maxDepth;
    };
    return this.articles.filter((article) => article.status === 2 && open(article));
  }

  /** Published translations in a folder every user sees (each language version is published on its own). */
  visibleTranslations(maxDepth = Number.POSITIVE_INFINITY): (FreshdeskArticle & { language: string })[] {
    return this.translations.filter((translation) => {
      const depth = this.depthIfVisible(translation.folder_id);
      return translation.status === 2 && depth >= 0 && depth <= maxDepth;
    });
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
      return list(this.folders.filter((folder) => folder.category_id === id && folder.parent_folder_id === null));
    }
    if ((match = /^\/api\/v2\/solutions\/folders\/(\d+)\/subfolders$/.exec(url.pathname))) {
      const id = Number(match[1]);
      if (!this.folders.some((folder) => folder.id === id)) return json(404, { code: 'not_found' });
      return list(this.folders.filter((folder) => folder.parent_folder_id === id));
    }
    if ((match = /^\/api\/v2\/solutions\/folders\/(\d+)\/articles(?:\/([A-Za-z-]+))?$/.exec(url.pathname))) {
      const id = Number(match[1]);
      const language = match[2];
      if (!this.folders.some((folder) => folder.id === id)) return json(404, { code: 'not_found' });
      if (language && !this.languages.includes(language)) return json(404, { code: 'not_found', message: `Language ${language} is not supported` });
      if (language) return list(this.translations.filter((translation) => translation.folder_id === id && translation.language === language).map(({ language: _language, ...rest }) => rest));
      return list(this.articles.filter((article) => article.folder_id === id));
    }
    json(404, { code: 'not_found', message: 'Not found' });
  };
}
