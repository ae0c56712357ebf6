import { gunzipSync } from 'node:zlib';
import robotsParserModule from 'robots-parser';

interface RobotRules {
  isAllowed(url: string, userAgent?: string): boolean | undefined;
  getCrawlDelay(userAgent?: string): number | undefined;
  getSitemaps(): string[];
}
// The package's typings declare an ambient module TypeScript cannot call through; it is a CommonJS function.
const robotsParser = robotsParserModule as unknown as (url: string, text: string) => RobotRules;
import type { WebsiteSource } from './source-config.js';

/** What a website source covers: its start URLs' hosts, then include/exclude path patterns. */
export class SiteScope {
  private readonly hosts: Set<string>;
  private readonly include: RegExp[];
  private readonly exclude: RegExp[];

  constructor(source: Pick<WebsiteSource, 'startUrls' | 'include' | 'exclude'>) {
    this.hosts = new Set(source.startUrls.map((url) => new URL(url).host.toLowerCase()));
    this.include = source.include.map(pattern);
    this.exclude = source.exclude.map(pattern);
  }

  contains(target: string): boolean {
    let url: URL;
    try {
      url = new URL(target);
    } catch {
      return false;
    }
    if ((url.protocol !== 'http:' && url.protocol !== 'https:') || !this.hosts.has(url.host.toLowerCase())) return false;
    const path = decodeSafely(url.pathname);
    if (this.include.length && !this.include.some((rule) => rule.test(path))) return false;
    return !this.exclude.some((rule) => rule.test(path));
  }
}

/** "/docs/" is a prefix; "/docs/*.html" and "/**\/faq" are globs (* within a segment, ** across). */
function pattern(text: string): RegExp {
  if (!text.includes('*')) return new RegExp(`^${escapeRegex(text)}`);
  const body = text
    .split('**')
    .map((part) => part.split('*').map(escapeRegex).join('[^/]*'))
    .join('.*');
  return new RegExp(`^${body}$`);
}
const escapeRegex = (text: string) => text.replace(/[.+?^${}()|[\]\\]/g, '\\$&');
const decodeSafely = (text: string) => {
  try {
    return decodeURI(text);
  } catch {
    return text;
  }
};

/** A page's identity: no fragment, no default port, host lower-cased; the query stays (it can select content). */
export function normalizeUrl(target: string, base?: string): string | undefined {
  try {
    const url = new URL(target, base);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined;
    url.hash = '';
    url.username = '';
    url.password = '';
    return url.href;
  } catch {
    return undefined;
  }
}

export interface Robots {
  isAllowed(url: string): boolean;
  sitemaps: string[];
  crawlDelaySeconds?: number;
}

/**
 * robots.txt through robots-parser (Google's matching rules: longest match, Allow over Disallow on ties,
 * wildcards), for our own user agent. Following RFC 9309: a missing file (4xx) allows everything; a server
 * error means "assume disallowed" (the caller stops the sync).
 */
export function parseRobots(robotsUrl: string, text: string, userAgent: string): Robots {
  const robot = robotsParser(robotsUrl, text);
  const agent = userAgent.split('/')[0];
  return {
    isAllowed: (url) => robot.isAllowed(url, agent) !== false,
    sitemaps: robot.getSitemaps(),
    crawlDelaySeconds: robot.getCrawlDelay(agent),
  };
}

export const ALLOW_ALL: Robots = { isAllowed: () => true, sitemaps: [] };

export interface SitemapEntry {
  url: string;
  lastmod?: string;
}

export interface ParsedSitemap {
  /** Child sitemaps of a sitemap index. */
  sitemaps: SitemapEntry[];
  urls: SitemapEntry[];
  /** URLs beyond `maxUrls` that were not kept. */
  dropped: number;
}

/** Gunzips a sitemap when it is gzip (by its magic bytes, whatever the name or type says), capped in size. */
export function sitemapText(body: Buffer, maxBytes: number): string {
  if (body.length >= 2 && body[0] === 0x1f && body[1] === 0x8b) return gunzipSync(body, { maxOutputLength: maxBytes }).toString('utf8');
  return body.toString('utf8');
}

/**
 * Sitemap protocol (sitemaps.org): `<urlset><url><loc>…</loc><lastmod>…</lastmod></url>` or
 * `<sitemapindex><sitemap><loc>…</loc></sitemap>`. A linear scan of `<loc>` entries, so a sitemap of a
 * million URLs costs one pass and keeps only `maxUrls` of them.
 */
export function parseSitemap(text: string, maxUrls: number): ParsedSitemap {
  const result: ParsedSitemap = { sitemaps: [], urls: [], dropped: 0 };
  const isIndex = /<sitemapindex[\s>]/i.test(text.slice(0, 2000));
  const entry = isIndex ? /<sitemap(?:\s[^>]*)?>([\s\S]*?)<\/sitemap>/gi : /<url(?:\s[^>]*)?>([\s\S]*?)<\/url>/gi;
  for (const match of text.matchAll(entry)) {
    const loc = field(match[1], 'loc');
    if (!loc) continue;
    const item = { url: loc, lastmod: field(match[1], 'lastmod') };
    const list = isIndex ? result.sitemaps : result.urls;
    if (list.length >= maxUrls) {
      result.dropped++;
      continue;
    }
    list.push(item);
  }
  return result;
}

function field(block: string, name: string): string | undefined {
  const match = new RegExp(`<${name}>\\s*(?:<!\\[CDATA\\[)?([\\s\\S]*?)(?:\\]\\]>)?\\s*</${name}>`, 'i').exec(block);
  if (!match) return undefined;
  return (
    match[1]
      .trim()
      .replace(/&amp;/g, '&')
      .replace(/&lt;/g, '<')
      .replace(/&gt;/g, '>')
      .replace(/&quot;/g, '"')
      .replace(/&apos;/g, "'") || undefined
  );
}
