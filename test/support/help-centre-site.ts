import { createHash } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { parse as parseCsv } from 'csv-parse/sync';

/**
 * Test double: a realistic help centre generated from the sample knowledge base, served over real HTTP.
 * Every article (Markdown, text and HTML manuals) and every FAQ entry is a page with site chrome (header
 * navigation, a cookie banner, a sidebar, a footer), `<html lang>`, a canonical link, an ETag and
 * Last-Modified (304 on a match); category pages link the articles; `/sitemap.xml` is a sitemap index of a
 * gzipped article sitemap and a plain FAQ sitemap (with lastmod); robots.txt disallows /internal/; an old
 * address redirects to its article. Pages can be changed and removed, and every request is logged.
 */
export interface SitePage {
  path: string;
  title: string;
  lang: 'zh' | 'en';
  /** The article's HTML (inside <article>). */
  body: string;
  category: string;
  updated: string;
}

export interface LoggedRequest {
  path: string;
  status: number;
  bytes: number;
}

export class HelpCentreSite {
  readonly pages = new Map<string, SitePage>();
  readonly log: LoggedRequest[] = [];
  base = '';
  /** Extra routes a test adds (failure cases). */
  readonly routes = new Map<string, (request: IncomingMessage, response: ServerResponse) => void>();
  /** Answers a request itself when it returns true (failure cases: 5xx storms, slow or huge pages). */
  intercept?: (request: IncomingMessage, response: ServerResponse) => boolean;
  /** Sitemaps carry <lastmod>; without it, a re-sync relies on ETags (304). */
  sitemapLastmod = true;
  robots = 'User-agent: *\nDisallow: /internal/\n\nUser-agent: KefuBot\nDisallow: /internal/\nDisallow: /search\n';
  private clock = Date.parse('2026-11-01T00:00:00Z');

  constructor(knowledgeDir: string) {
    const files = walk(knowledgeDir);
    for (const file of files) {
      const relative = path.relative(knowledgeDir, file).split(path.sep).join('/');
      const category = relative.split('/')[0];
      if (category === 'curated' || category === 'prompts' || !relative.includes('/')) continue;
      const extension = path.extname(file);
      const lang = /\.zh\./.test(relative) ? 'zh' : 'en';
      const slug = relative.replace(/\.[^.]+$/, '');
      if (extension === '.md' || extension === '.txt') {
        const text = readFileSync(file, 'utf8').replace(/^---\n[\s\S]*?\n---\n/, '');
        const title = /^#\s+(.+)$/m.exec(text)?.[1] ?? path.basename(slug);
        this.add({ path: `/articles/${slug}`, title, lang, body: markdownToHtml(text), category, updated: this.tick() });
      } else if (extension === '.html') {
        const html = readFileSync(file, 'utf8');
        const body = /<body[^>]*>([\s\S]*)<\/body>/i.exec(html)?.[1] ?? html;
        const title = /<title>([^<]*)<\/title>/i.exec(html)?.[1] ?? path.basename(slug);
        this.add({ path: `/articles/${slug}`, title, lang, body, category, updated: this.tick() });
      } else if (extension === '.csv' || extension === '.jsonl') {
        const rows: Record<string, string>[] =
          extension === '.csv'
            ? parseCsv(readFileSync(file), { columns: true, skip_empty_lines: true })
            : readFileSync(file, 'utf8')
                .split('\n')
                .filter(Boolean)
                .map((line) => JSON.parse(line));
        for (const row of rows) {
          const rowLang = row.lang === 'zh' ? 'zh' : 'en';
          this.add({ path: `/faq/${row.id}`, title: row.question, lang: rowLang, body: `<h1>${escapeHtml(row.question)}</h1><p>${escapeHtml(row.answer)}</p>`, category: 'faq', updated: this.tick() });
        }
      }
    }
  }

  private tick(): string {
    this.clock += 60_000;
    return new Date(this.clock).toISOString();
  }

  private add(page: SitePage) {
    this.pages.set(page.path, page);
  }

  /** Changes one article's text (its ETag, Last-Modified and sitemap lastmod move). */
  change(pagePath: string, body: string) {
    const page = this.pages.get(pagePath)!;
    this.pages.set(pagePath, { ...page, body, updated: this.tick() });
  }

  remove(pagePath: string) {
    this.pages.delete(pagePath);
  }

  categories(): string[] {
    return [...new Set([...this.pages.values()].map((page) => page.category))].sort();
  }

  render(page: SitePage): string {
    const nav = this.categories()
      .map((category) => `<a href="/categories/${category}">${category}</a>`)
      .join(' ');
    const related = [...this.pages.values()]
      .filter((other) => other.category === page.category && other.path !== page.path)
      .slice(0, 5)
      .map((other) => `<li><a href="${other.path}?ref=related">${escapeHtml(other.title)}</a></li>`)
      .join('');
    return `<!doctype html><html lang="${page.lang === 'zh' ? 'zh-CN' : 'en-US'}"><head><meta charset="utf-8"><title>${escapeHtml(page.title)} – Lumora Help Centre</title>
<link rel="canonical" href="${this.base}${page.path}"></head><body>
<header class="site-header"><a href="/">Lumora Help Centre</a><nav>${nav} <a href="/internal/agents">Agents</a> <a href="/search?q=">Search</a></nav></header>
<div class="cookie-banner" role="dialog">We use cookies to improve your experience. <button>Accept all cookies</button> <a href="/cookies">Cookie settings</a></div>
<div class="layout"><aside class="sidebar"><h3>Related articles</h3><ul>${related}</ul></aside>
<main><article class="article"><div class="article-body">${page.body}</div></article>
${page.path.startsWith('/articles/') ? `<a class="print" href="${page.path}/print">Print this article</a>` : ''}
<div class="vote">Was this article helpful? <button>Yes</button> <button>No</button></div></main></div>
<footer class="site-footer"><p>© 2026 Lumora 朗曜科技 · <a href="/privacy-notice">Privacy</a> · <a href="/terms">Terms</a> · Follow us on social media</p></footer>
</body></html>`;
  }

  sitemapIndex(): string {
    return `<?xml version="1.0" encoding="UTF-8"?>
<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
<sitemap><loc>${this.base}/sitemaps/articles.xml.gz</loc></sitemap>
<sitemap><loc>${this.base}/sitemaps/faq.xml</loc></sitemap>
</sitemapindex>`;
  }

  sitemap(filter: (page: SitePage) => boolean): string {
    const urls = [...this.pages.values()]
      .filter(filter)
      .map((page) => `<url><loc>${this.base}${page.path}</loc>${this.sitemapLastmod ? `<lastmod>${page.updated}</lastmod>` : ''}</url>`)
      .join('\n');
    return `<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n${urls}\n</urlset>`;
  }

  /** The request handler (give it to listenLocal, then set `base`). */
  readonly handler = (request: IncomingMessage, response: ServerResponse) => {
    const url = new URL(request.url ?? '/', 'http://site');
    const send = (status: number, body: string | Buffer, headers: Record<string, string> = {}) => {
      const buffer = typeof body === 'string' ? Buffer.from(body) : body;
      // Like a CDN in front of the site: every page carries an ETag and answers 304 to a match.
      if (status === 200 && !headers.etag && /html/.test(headers['content-type'] ?? '')) {
        const etag = `"${createHash('sha1').update(buffer).digest('hex').slice(0, 16)}"`;
        if (request.headers['if-none-match'] === etag) return send(304, '', { etag });
        headers = { ...headers, etag };
      }
      this.log.push({ path: url.pathname + url.search, status, bytes: buffer.length });
      response.writeHead(status, { 'content-length': String(buffer.length), ...headers });
      response.end(buffer);
    };
    if (this.intercept?.(request, response)) {
      this.log.push({ path: url.pathname, status: response.statusCode, bytes: 0 });
      return;
    }
    const extra = this.routes.get(url.pathname);
    if (extra) {
      this.log.push({ path: url.pathname, status: 0, bytes: 0 });
      return extra(request, response);
    }
    if (url.pathname === '/robots.txt') return send(200, `${this.robots}\nSitemap: ${this.base}/sitemap.xml\n`, { 'content-type': 'text/plain' });
    if (url.pathname === '/sitemap.xml') return send(200, this.sitemapIndex(), { 'content-type': 'application/xml' });
    if (url.pathname === '/sitemaps/articles.xml.gz') return send(200, gzipSync(this.sitemap((page) => page.path.startsWith('/articles/'))), { 'content-type': 'application/gzip' });
    if (url.pathname === '/sitemaps/faq.xml')
      return send(
        200,
        this.sitemap((page) => page.path.startsWith('/faq/')),
        { 'content-type': 'application/xml' },
      );
    if (url.pathname === '/old/returns-policy') return send(301, '', { location: '/articles/policies/returns.en' });
    const category = /^\/categories\/([\w-]+)$/.exec(url.pathname)?.[1];
    if (category || url.pathname === '/') {
      const pages = [...this.pages.values()].filter((page) => !category || page.category === category);
      const links = category
        ? pages.map((page) => `<li><a href="${page.path}">${escapeHtml(page.title)}</a></li>`).join('')
        : this.categories()
            .map((name) => `<li><a href="/categories/${name}">${name}</a></li>`)
            .join('');
      return send(
        200,
        `<!doctype html><html lang="en"><head><title>${category ?? 'Lumora Help Centre'}</title></head><body><nav><a href="/">Home</a></nav><main><h1>${category ?? 'Help Centre'}</h1><ul>${links}</ul><a href="/old/returns-policy">Returns (old link)</a></main></body></html>`,
        { 'content-type': 'text/html; charset=utf-8' },
      );
    }
    // A print view of each article: the same text under its own address, canonical to the article (de-duplicated by a crawler).
    const print = /^(\/articles\/.+)\/print$/.exec(url.pathname)?.[1];
    const page = this.pages.get(print ?? url.pathname);
    if (!page) return send(404, '<html><body><h1>Not found</h1></body></html>', { 'content-type': 'text/html' });
    const html = this.render(page);
    const etag = `"${createHash('sha1').update(html).digest('hex').slice(0, 16)}"`;
    const lastModified = new Date(page.updated).toUTCString();
    if (request.headers['if-none-match'] === etag) return send(304, '', { etag, 'last-modified': lastModified });
    send(200, html, { 'content-type': 'text/html; charset=utf-8', etag, 'last-modified': lastModified });
  };
}

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .sort((a, b) => a.name.localeCompare(b.name))
    .flatMap((entry) => (entry.isDirectory() ? walk(path.join(dir, entry.name)) : entry.isFile() ? [path.join(dir, entry.name)] : []));
}

const escapeHtml = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** Enough Markdown for the sample manuals: headings, lists, tables (header row first), screenshots, paragraphs, bold. */
export function markdownToHtml(text: string): string {
  const out: string[] = [];
  const inline = (line: string) => escapeHtml(line).replace(/\*\*(.+?)\*\*/g, '<strong>$1</strong>');
  const lines = text.split('\n');
  for (let index = 0; index < lines.length; index++) {
    const line = lines[index];
    const heading = /^(#{1,6})\s+(.+)$/.exec(line);
    if (heading) out.push(`<h${heading[1].length}>${inline(heading[2])}</h${heading[1].length}>`);
    else if (/^\s*[-*]\s+/.test(line)) {
      const items: string[] = [];
      while (index < lines.length && /^\s*[-*]\s+/.test(lines[index])) items.push(`<li>${inline(lines[index++].replace(/^\s*[-*]\s+/, ''))}</li>`);
      index--;
      out.push(`<ul>${items.join('')}</ul>`);
    } else if (/^\|/.test(line)) {
      const rows: string[] = [];
      while (index < lines.length && /^\|/.test(lines[index])) {
        const cells = lines[index++]
          .split('|')
          .slice(1, -1)
          .map((cell) => cell.trim());
        // The first row is the header, as GitHub renders a pipe table.
        const tag = rows.length ? 'td' : 'th';
        if (!cells.every((cell) => /^:?-+:?$/.test(cell))) rows.push(`<tr>${cells.map((cell) => `<${tag}>${inline(cell)}</${tag}>`).join('')}</tr>`);
      }
      index--;
      out.push(`<table><thead>${rows[0] ?? ''}</thead><tbody>${rows.slice(1).join('')}</tbody></table>`);
    } else if (/^!\[[^\]]*\]\(/.test(line)) {
      // A screenshot: a figure, its title the caption.
      const image = /^!\[([^\]]*)\]\(([^)\s]+)(?:\s+"([^"]*)")?\)/.exec(line);
      if (image) out.push(`<figure><img src="${escapeHtml(image[2]!)}" alt="${escapeHtml(image[1]!)}">${image[3] ? `<figcaption>${escapeHtml(image[3])}</figcaption>` : ''}</figure>`);
    } else if (line.trim()) out.push(`<p>${inline(line)}</p>`);
  }
  return out.join('\n');
}
